// Browser checks of the energy-flow page, a meter's own page, live updates by server-sent
// events and the meters list with 2,000 meters (run by web_test.mjs with its ctx).
import { execFileSync } from 'node:child_process'
import path from 'node:path'

// An admin token for the test's own site (the demo's login token only reads).
function adminToken(ctx) {
  return execFileSync(ctx.binary, ['token', 'create', '--role', 'admin', '--name', 'web-flow test', '--data-dir', ctx.dataDir],
    { encoding: 'utf8' }).trim()
}

async function api(ctx, token, method, p, body, type) {
  const res = await fetch(new URL(p, ctx.url), { method, body, headers: { Authorization: `Bearer ${token}`, ...(type ? { 'Content-Type': type } : {}) } })
  return { status: res.status, text: await res.text() }
}

// Clicks the Sankey's left column (the carriers) from top to bottom until the panel shows figures.
async function clickNode(p) {
  const box = await p.locator('[data-test=flow-chart]').boundingBox()
  for (let y = 20; y < box.height - 10; y += 15) {
    await p.mouse.click(box.x + 16, box.y + y)
    if (await p.locator('[data-test=flow-panel-tce]').count()) return true
  }
  return false
}

async function flowPage(ctx, p, lang) {
  await p.click('nav a[href="/flow"]')
  await p.waitForSelector('[data-test=flow-chart] canvas', { timeout: 20_000 })
  await p.waitForTimeout(1200) // the Sankey's animation
  ctx.check(await clickNode(p), `${lang}: a click on a Sankey node opens its figures`)
  const panel = (await p.locator('[data-test=flow-panel]').textContent()).replace(/\s+/g, ' ')
  ctx.check(/tce/.test(panel) && /[0-9]/.test(panel) && /%/.test(panel), `${lang}: the panel shows amount, unit, tce and share (${panel.slice(0, 160)})`)
  await p.screenshot({ path: path.join(ctx.shots, `flow-${lang}.png`), fullPage: true })
  await p.check('[data-test=flow-range-today]')
  await p.waitForSelector('[data-test=flow-chart] canvas, [data-test=flow-empty]')
  ctx.check(true, `${lang}: the flow of today loads`)
}

async function meterPage(ctx, p, lang) {
  await p.click('nav a[href="/meters"]')
  await p.click('[data-test=meter-link-grid-in]')
  await p.waitForURL('**/meters/grid-in')
  await p.waitForSelector('[data-test=meter-chart] canvas')
  await p.waitForFunction(() => document.querySelectorAll('[data-test=meter-readings] tbody tr').length > 0, null, { timeout: 20_000 })
  const meta = await p.locator('[data-test=meter-meta]').textContent()
  ctx.check(meta.includes('meter,id=grid-in,site=demo-cement value'), `${lang}: the meter page shows the series`)
  const quality = await p.locator('[data-test=meter-readings] tbody tr .pill').first().textContent()
  ctx.check(/good|正常/.test(quality), `${lang}: raw readings show their quality (${quality})`)
  await p.waitForSelector('[data-test=meter-events-none], [data-test=meter-events] table')
  // Live: the value's time changes without a reload, pushed by the stream (the demo writes every 5 s).
  const before = await p.locator('[data-test=meter-live-time]').textContent()
  const t0 = Date.now()
  const changed = await p.waitForFunction((b) => document.querySelector('[data-test=meter-live-time]')?.textContent !== b, before, { timeout: 20_000 })
    .then(() => true, () => false)
  ctx.check(changed, `${lang}: the live value updates without a reload (${Date.now() - t0} ms)`)
  await p.screenshot({ path: path.join(ctx.shots, `meter-${lang}.png`), fullPage: true })
}

// A site of 2,000 meters, one point each; the meters page renders only the rows in view.
async function manyMeters(ctx, p) {
  const admin = adminToken(ctx)
  let toml = '[site]\nid = "web-2000"\nname = "2,000 meters"\ntimezone = "Asia/Shanghai"\n'
  const lines = []
  const now = Date.now()
  for (let i = 0; i < 2000; i++) {
    const id = `m-${String(i).padStart(4, '0')}`
    toml += `\n[[meter]]\nid = "${id}"\ncarrier = "electricity"\nkind = "counter"\nunit = "kWh"\narea = "hall-${i % 20}"\n`
    lines.push(`meter,id=${id},site=web-2000 value=${i} ${now - 60_000}`)
  }
  // The server picks up a token created by the CLI on its next reload check (about a second).
  let put
  for (let i = 0; i < 50; i++) {
    put = await api(ctx, admin, 'PUT', '/api/v1/sites/web-2000', toml, 'application/toml')
    if (put.status !== 401) break
    await new Promise((r) => setTimeout(r, 200))
  }
  ctx.check(put.status === 201 || put.status === 200, `PUT a site with 2,000 meters (${put.status} ${put.text.slice(0, 120)})`)
  const w = await api(ctx, admin, 'POST', '/write?precision=ms', lines.join('\n'))
  ctx.check(w.status === 204, `one point written for each of the 2,000 meters (${w.status})`)
  await p.evaluate(() => localStorage.setItem('dualcarbon.site', 'web-2000'))
  const t0 = Date.now()
  await p.goto(`${ctx.url}meters`)
  await p.waitForFunction(() => /m-0000/.test(document.querySelector('[data-test=meters]')?.textContent ?? '') &&
    /kW/.test(document.querySelector('[data-test=meters] tbody tr.meter-row')?.textContent ?? ''), null, { timeout: 30_000 })
  console.log(`meters page with 2,000 meters usable ${Date.now() - t0} ms after navigation`)
  const rows = await p.locator('[data-test=meters] tbody tr').count()
  ctx.check(rows < 300, `2,000 meters: ${rows} rows in the DOM (< 300)`)
  await p.locator('[data-test=meters]').evaluate((el) => { el.scrollTop = el.scrollHeight })
  await p.waitForFunction(() => /m-1999/.test(document.querySelector('[data-test=meters]')?.textContent ?? ''), null, { timeout: 5_000 })
    .then(() => ctx.check(true, 'scrolling to the end shows meter m-1999'), () => ctx.check(false, 'scrolling to the end shows meter m-1999'))
  await p.fill('[data-test=meter-search]', 'hall-7')
  const count = await p.locator('[data-test=meter-count]').textContent()
  ctx.check(/^100\b/.test(count.trim()), `search by area: hall-7 has 100 meters (${count.trim()})`)
  const shown = await p.locator('[data-test=meters] tbody tr.meter-row').count()
  ctx.check(shown > 0, `the filtered list shows its rows even when scrolled to the end before (${shown})`)
  await p.screenshot({ path: path.join(ctx.shots, 'meters-2000.png') })
  await p.evaluate(() => localStorage.setItem('dualcarbon.site', 'demo-cement'))
}

export async function run(ctx) {
  for (const [locale, lang] of [['zh-CN', 'zh'], ['en-US', 'en']]) {
    const p = await ctx.page(locale)
    await ctx.login(p)
    await p.evaluate(() => localStorage.setItem('dualcarbon.site', 'demo-cement'))
    await flowPage(ctx, p, lang)
    await meterPage(ctx, p, lang)
    if (lang === 'en') await manyMeters(ctx, p)
    await p.context().close()
  }
}
