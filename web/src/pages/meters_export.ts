// The Meters table as an export sheet.
import type { ExportSheet, Json } from '../api'
import { i18n, label } from '../i18n'
import { time } from '../format'
import { zone } from '../state'

export function meterSheets(rows: Json[], virtuals: Json[]): ExportSheet[] {
  const t = i18n.global.t
  return [{
    name: t('nav.meters'),
    columns: [{ name: t('meters.id') }, { name: t('meters.carrier') }, { name: t('meters.kind') }, { name: t('meters.area') },
      { name: t('meters.live') }, { name: 'unit' }, { name: `${t('meters.lastSeen')} (${zone()})` }, { name: t('meters.status') }],
    rows: [
      ...rows.map((m) => [m.id, label('carriers', m.carrier), label('kinds', m.kind), m.area ? label('areas', m.area) : null,
        m.stale ? null : m.live?.value ?? null, m.stale ? null : m.live?.unit ?? null, (m.at ?? m.live?.at) ? time(m.at ?? m.live.at, zone()) : null,
        m.stale ? t('meters.stale') : t('meters.ok')]),
      ...virtuals.map((v) => [v.id, label('carriers', v.carrier), t('meters.virtual'), v.area ? label('areas', v.area) : null,
        null, null, null, `= ${v.formula?.text ?? v.formula}`]),
    ],
  }]
}
