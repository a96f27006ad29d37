// Browser checks of the Emissions and Reports pages and of the Excel export (run by
// web_test.mjs with its context): the CEMS charts with their limit lines and the exceedance
// table, a report rendered, exports downloaded and opened (python zipfile/XML), zh and en
// screenshots, no console errors.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import fs from 'node:fs'

function readXlsx(ctx, file) {
  const r = spawnSync('/usr/bin/python3', [path.join(ctx.repo, 'tests', 'xlsx_read.py'), file], { encoding: 'utf-8' })
  if (r.status !== 0) throw new Error(`xlsx_read.py ${file}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

async function download(ctx, p, selector, name) {
  const [dl] = await Promise.all([p.waitForEvent('download', { timeout: 20_000 }), p.click(selector)])
  const file = path.join(ctx.shots, `${name}-${dl.suggestedFilename()}`)
  await dl.saveAs(file)
  return { file, suggested: dl.suggestedFilename() }
}

async function emissions(ctx, p, lang) {
  const { check } = ctx
  await p.click('nav a[href="/emissions"]')
  await p.waitForSelector('[data-test=em-chart-nox] canvas', { timeout: 20_000 })
  const limits = await p.$$eval('[data-test^=em-chart-]', (els) => els.map((e) => [e.dataset.test, +e.dataset.limit, +e.dataset.hours]))
  const lim = Object.fromEntries(limits.map(([k, l]) => [k.replace('em-chart-', ''), l]))
  check(lim.nox === 50 && lim.so2 === 35 && lim.pm === 10, `${lang}: emissions charts with the ultra-low limit lines (${JSON.stringify(lim)})`)
  check(limits.every(([, , h]) => h > 24 * 25), `${lang}: a month of hourly values per pollutant (${limits.map((x) => x[2]).join(', ')})`)
  const rows = await p.locator('[data-test=exceedances] tbody tr').count()
  const kpi = (await p.locator('[data-test=em-kpi-nox] .big').allTextContents()).map((s) => s.trim())
  check(rows === 6 && kpi[2] === '6', `${lang}: the kiln upset's 6 NOx hours over the limit listed (${rows} rows, KPI ${kpi.join(' / ')})`)
  const flags = await p.locator('[data-test=flags]').textContent()
  check(/仪器故障|monitor fault/.test(flags) && /校准|calibration/.test(flags), `${lang}: the flags legend explains C and D`)
  await p.waitForTimeout(800)
  await p.screenshot({ path: path.join(ctx.shots, `emissions-${lang}.png`), fullPage: true })

  const { file, suggested } = await download(ctx, p, '.controls [data-test=export]', `emissions-${lang}`)
  const book = readXlsx(ctx, file)
  const names = Object.keys(book.sheets)
  check(suggested.endsWith('.xlsx') && names.length === 2, `${lang}: emissions export downloaded (${suggested}: ${names.join(', ')})`)
  const hourly = book.sheets[names[0]]
  const header = hourly[1] ?? []
  const noxCol = header.findIndex((h) => typeof h === 'string' && /@10% O₂/.test(h))
  const values = hourly.slice(3).map((r) => r[noxCol]).filter((v) => typeof v === 'number')
  check(noxCol > 0 && values.length > 24 * 25 && Math.max(...values) > 100,
    `${lang}: its hourly sheet holds numbers, the upset's NOx among them (column ${noxCol}, ${values.length} hours, max ${Math.max(...values)})`)
  check(book.meta[names[0]].frozen_rows === 3, `${lang}: header frozen in the export`)
  const exc = book.sheets[names[1]].slice(2).filter((r) => r.length)
  check(exc.length === 6 && exc.every((r) => r[2] > r[3]), `${lang}: the exceedance sheet has the 6 hours, each over its limit`)
}

async function reports(ctx, p, lang) {
  const { check } = ctx
  await p.click('nav a[href="/reports"]')
  const frame = p.frameLocator('[data-test=report]')
  await frame.locator('body').waitFor({ timeout: 30_000 })
  const text = await frame.locator('body').textContent()
  check(/demo-cement|示范水泥厂/.test(text) && /tCO2e|tCO₂e|CO2/.test(text), `${lang}: the inventory report renders in the page`)
  await p.check('[data-test=unit-quarter]')
  await p.waitForFunction(() => /Q\d/.test(document.querySelector('[data-test=report-period]')?.value ?? ''))
  await frame.locator('body').waitFor({ timeout: 30_000 })
  await p.waitForTimeout(500)
  await p.screenshot({ path: path.join(ctx.shots, `reports-${lang}.png`), fullPage: true })
  const { file, suggested } = await download(ctx, p, '[data-test=dl-Excel]', `inventory-${lang}`)
  const book = readXlsx(ctx, file)
  const totals = Object.fromEntries((book.sheets.Totals ?? []).slice(3).filter((r) => r.length).map((r) => [r[0], r[1]]))
  check(Object.keys(book.sheets).join() === 'Totals,Energy by meter,Emission lines,Factors,Products' && totals.emissions > 10000,
    `${lang}: inventory.xlsx of the quarter downloaded and opened (${suggested}: ${totals.emissions} tCO2e)`)
  // The CBAM report of the same quarter (the demo declares clinker and cement as CBAM goods).
  await p.check('[data-test=kind-cbam]')
  await p.waitForFunction(() => /CBAM/.test(document.querySelector('[data-test=report]')?.srcdoc ?? ''), null, { timeout: 30_000 })
  const cbam = await frame.locator('body').textContent()
  check(/2523 10 00/.test(cbam) && /2523 29 00/.test(cbam), `${lang}: the CBAM report renders with the clinker and cement goods`)
  await p.check('[data-test=kind-inventory]')
}

// An export of an existing page's table: the Carbon page's emission lines.
async function carbonExport(ctx, p, lang) {
  await p.click('nav a[href="/carbon"]')
  await p.waitForSelector('[data-test=lines] tbody tr')
  const pageRows = await p.locator('[data-test=lines] tbody tr').count()
  const { file } = await download(ctx, p, '.card-head [data-test=export]', `carbon-${lang}`)
  const book = readXlsx(ctx, file)
  const [lines, factors] = Object.values(book.sheets)
  const rows = lines.slice(3).filter((r) => r.length)
  ctx.check(rows.length === pageRows && rows.every((r) => typeof r[5] === 'number') && factors.length > 3,
    `${lang}: Carbon's emission lines exported as shown (${rows.length} of ${pageRows} rows, tCO2e as numbers, factors sheet)`)
}

export async function run(ctx) {
  for (const [locale, lang] of [['zh-CN', 'zh'], ['en-US', 'en']]) {
    const p = await ctx.page(locale)
    await ctx.login(p)
    try {
      await emissions(ctx, p, lang)
      await reports(ctx, p, lang)
      await carbonExport(ctx, p, lang)
    } catch (e) {
      await p.screenshot({ path: path.join(ctx.shots, `failure-reports-${lang}.png`), fullPage: true })
      throw e
    }
    fs.rmSync(path.join(ctx.shots, 'downloads'), { recursive: true, force: true })
  }
}
