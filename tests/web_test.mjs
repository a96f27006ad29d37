// Drives the dashboard in headless chromium against `dualcarbon serve --demo`: every page loads
// with data and without console errors, the language toggle works, the inventory drill-down
// reaches a factor's source. Saves zh and en screenshots. Prints the overview's time to usable.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const [binary, repo] = process.argv.slice(2)
const require = createRequire(path.join(repo, 'web', 'package.json'))
const { chromium } = require('playwright-core')
const shots = path.join(repo, 'build', 'web-screenshots')
fs.mkdirSync(shots, { recursive: true })

const failures = []
function check(cond, what) {
  console.log(`  ${cond ? 'ok  ' : 'FAIL'} ${what}`)
  if (!cond) failures.push(what)
  return cond
}

function startDemo() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-web-test-'))
  const proc = spawn(binary, ['serve', '--demo', '--data-dir', dir, '--listen', '127.0.0.1:0',
    '--web-dir', path.join(repo, 'web', 'dist')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', (d) => { stderr += d })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`demo did not start: ${out} ${stderr}`)), 120_000)
    proc.stdout.on('data', (d) => {
      out += d
      const m = out.match(/dashboard: (http:\/\/\S+)\s+login token: (dc_\S+)/)
      if (m) { clearTimeout(timer); resolve({ proc, dir, url: m[1], token: m[2] }) }
    })
    proc.on('exit', (code) => reject(new Error(`demo exited ${code}: ${stderr}`)))
  })
}

// Browsers in zones other than the site's: charts must still show the site's wall-clock time.
async function page(browser, locale, errors) {
  const timezoneId = locale === 'zh-CN' ? 'UTC' : 'America/New_York'
  const ctx = await browser.newContext({ locale, timezoneId, viewport: { width: 1440, height: 900 } })
  const p = await ctx.newPage()
  p.on('console', (m) => { if (m.type() === 'error') errors.push(`${locale} console: ${m.text()}`) })
  p.on('pageerror', (e) => errors.push(`${locale} page error: ${e.message}`))
  p.on('response', (r) => { if (r.status() >= 400) errors.push(`${locale} HTTP ${r.status()} ${r.url()}`) })
  return p
}

const notDash = (sel) => `document.querySelector(${JSON.stringify(sel)})?.textContent.trim().match(/^[0-9]/) != null`

async function walk(p, demo, lang) {
  try {
    return await walkPages(p, demo, lang)
  } catch (e) {
    await p.screenshot({ path: path.join(shots, `failure-${lang}.png`), fullPage: true })
    throw e
  }
}

async function walkPages(p, demo, lang) {
  await p.goto(`${demo.url}login`)
  await p.fill('[data-test=token]', demo.token)
  const t0 = Date.now()
  await p.click('[data-test=login]')
  await p.waitForURL('**/overview')
  await p.waitForFunction(notDash('[data-test=kpi-month] .big'), null, { timeout: 20_000 })
  await p.waitForFunction(notDash('[data-test=live-load] .big'), null, { timeout: 20_000 })
  const usableMs = Date.now() - t0
  console.log(`overview usable ${usableMs} ms after sign-in (${lang})`)
  await p.waitForTimeout(800) // chart animations
  await p.screenshot({ path: path.join(shots, `overview-${lang}.png`), fullPage: true })
  check(await p.locator('canvas').count() >= 2, `${lang}: overview draws the gauge and the top consumers`)

  await p.click('nav a[href="/trends"]')
  await p.waitForSelector('[data-test=trend-chart] canvas')
  await p.check('[data-test=pick-kiln-coal]')
  await p.waitForTimeout(1500)
  await p.screenshot({ path: path.join(shots, `trends-${lang}.png`), fullPage: true })

  await p.click('nav a[href="/meters"]')
  await p.waitForFunction(`[...document.querySelectorAll('[data-test=meters] tbody tr')].some(r => /kW/.test(r.textContent))`)
  const packing = await p.locator('[data-test=meters] tr.stale, [data-test=meters] tr', { hasText: 'packing-elec' }).first().textContent()
  check(/离线|Offline/.test(packing), `${lang}: packing-elec shows offline (${packing.trim().replace(/\s+/g, ' ')})`)
  await p.screenshot({ path: path.join(shots, `meters-${lang}.png`), fullPage: true })

  await p.click('nav a[href="/carbon"]')
  await p.click('[data-test=line-diesel]')
  await p.waitForSelector('[data-test=factors]')
  const sources = await p.locator('[data-test=factor-source]').allTextContents()
  check(sources.some((s) => s.includes('reference')), `${lang}: diesel's factors name their source (${sources.join(' | ')})`)
  const confidence = await p.locator('[data-test=factors] .pill').allTextContents()
  check(confidence.length > 0, `${lang}: diesel's factors show a confidence (${confidence.join(', ')})`)
  await p.screenshot({ path: path.join(shots, `carbon-${lang}.png`), fullPage: true })
  return usableMs
}

const demo = await startDemo()
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
})
try {
  const errors = []
  const zh = await page(browser, 'zh-CN', errors)
  await walk(zh, demo, 'zh')
  check((await zh.locator('nav').textContent()).includes('总览'), 'zh-CN browser: the dashboard starts in Chinese')
  await zh.click('header [data-test=lang]')
  check((await zh.locator('nav').textContent()).includes('Overview'), 'language toggle: Chinese → English')
  await zh.reload()
  check((await zh.locator('nav').textContent()).includes('Overview'), 'the chosen language survives a reload')

  const en = await page(browser, 'en-US', errors)
  await walk(en, demo, 'en')
  check((await en.locator('nav').textContent()).includes('Overview'), 'en-US browser: the dashboard starts in English')
  // A page route reloaded directly is served by the binary (SPA fallback).
  await en.goto(`${demo.url}carbon`)
  await en.waitForSelector('[data-test=lines]')
  check(true, 'deep link /carbon loads')
  // The page modules (tests/web_*.mjs other than this file): each exports run(ctx).
  const ctx = {
    browser, demo, url: demo.url, token: demo.token, dataDir: demo.dir, binary, repo, shots, check, errors,
    page: (locale) => page(browser, locale, errors),
    login: async (p) => {
      await p.goto(`${demo.url}login`)
      await p.fill('[data-test=token]', demo.token)
      await p.click('[data-test=login]')
      await p.waitForURL('**/overview')
    },
  }
  for (const f of fs.readdirSync(path.dirname(new URL(import.meta.url).pathname)).sort()) {
    if (!/^web_.*\.mjs$/.test(f) || f === 'web_test.mjs') continue
    console.log(`${f}:`)
    const mod = await import(new URL(f, import.meta.url))
    await mod.run(ctx)
  }
  check(errors.length === 0, `no console errors or failed requests (${errors.join('; ')})`)
} finally {
  await browser.close()
  const exited = new Promise((resolve) => demo.proc.once('exit', resolve))
  demo.proc.kill('SIGTERM')
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))])
  fs.rmSync(demo.dir, { recursive: true, force: true })
}
console.log(`screenshots in ${shots}`)
if (failures.length) {
  console.log(`${failures.length} check(s) failed:\n  - ${failures.join('\n  - ')}`)
  process.exit(1)
}
console.log('all checks passed')
