// Numbers shown rounded to what the data supports (3 significant digits, grouped), with units;
// the JSON and exports keep full precision.
import { i18n } from './i18n'

export function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  const locale = i18n.global.locale.value === 'zh' ? 'zh-CN' : 'en-US'
  const abs = Math.abs(v)
  const opts: Intl.NumberFormatOptions = abs >= 10 ** digits
    ? { maximumFractionDigits: 0 }
    : { maximumSignificantDigits: digits }
  return new Intl.NumberFormat(locale, opts).format(v)
}

export function withUnit(v: number | null | undefined, unit: string, digits = 3): string {
  return `${num(v, digits)} ${unit}`
}

export function time(ms: number | null | undefined, zone: string): string {
  if (!ms) return '—'
  const locale = i18n.global.locale.value === 'zh' ? 'zh-CN' : 'en-GB'
  return new Intl.DateTimeFormat(locale, {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  }).format(new Date(ms))
}

// "YYYY-MM" / "YYYY-MM-DD" of now in `zone` (periods are in the site's zone).
export function localDate(zone: string, d = new Date()): { month: string; day: string } {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d)
  return { month: parts.slice(0, 7), day: parts }
}

export function previousMonths(zone: string, n: number): string[] {
  const { month } = localDate(zone)
  let [y, m] = month.split('-').map(Number)
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    out.push(`${y}-${String(m).padStart(2, '0')}`)
    m -= 1
    if (m === 0) { m = 12; y -= 1 }
  }
  return out
}

// ECharts draws time axes in the browser's zone. To show the site's wall-clock time (and its
// calendar days) whatever the browser's zone is, chart times are shifted by the difference of
// the two offsets at that instant.
export function siteWall(ms: number, zone: string): number {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]))
  const wallAsUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second)
  const siteOffset = wallAsUtc - Math.floor(ms / 1000) * 1000
  const browserOffset = -new Date(ms).getTimezoneOffset() * 60_000
  return ms + siteOffset - browserOffset
}
