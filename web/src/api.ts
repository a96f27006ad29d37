// The dashboard's view of the HTTP API (docs/api.md). The login token is kept in localStorage
// and sent as Bearer on every call.
export type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any

const TOKEN_KEY = 'dualcarbon.token'

export function token(): string { return localStorage.getItem(TOKEN_KEY) ?? '' }
export function setToken(t: string) { localStorage.setItem(TOKEN_KEY, t) }
export function logout() { localStorage.removeItem(TOKEN_KEY) }

export class ApiError extends Error {
  constructor(public status: number, message: string) { super(message) }
}

export async function get(path: string): Promise<Json> {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } })
  const text = await res.text()
  let doc: Json = null
  try { doc = text ? JSON.parse(text) : null } catch { doc = { error: text } }
  if (!res.ok) throw new ApiError(res.status, doc?.error?.message ?? doc?.error ?? res.statusText)
  return doc
}

export interface SiteSummary { id: string; name: string; sector: string; timezone: string }
export const sites = (): Promise<SiteSummary[]> => get('/api/v1/sites')
export const site = (id: string): Promise<Json> => get(`/api/v1/sites/${encodeURIComponent(id)}`)
export const inventory = (id: string, period: string): Promise<Json> =>
  get(`/api/v1/sites/${encodeURIComponent(id)}/inventory?period=${encodeURIComponent(period)}`)

export interface Series { series: string; points: [number, number | null][] }
export async function query(series: string[], params: Record<string, string>): Promise<Series[]> {
  const q = new URLSearchParams(params)
  for (const s of series) q.append('series', s)
  q.set('epoch', 'ms')
  const doc = await get(`/api/v1/query?${q}`)
  return doc.results
}

// The store key of a site's meter (docs/site-file.md `series`).
export function seriesOf(siteId: string, meter: Json): string {
  return meter.series || `meter,id=${meter.id},site=${siteId} value`
}

// -- energy flow, meter events, live stream (issue 9) --

export interface FlowNode { id: string; kind: string; name: string }
export interface FlowLink { source: string; target: string; value_tce: number; amount: number; unit: string }
export interface FlowDoc { period: Json; unit: string; nodes: FlowNode[]; links: FlowLink[]; warnings: string[] }
export const flow = (id: string, period: string): Promise<FlowDoc> =>
  get(`/api/v1/sites/${encodeURIComponent(id)}/flow?period=${encodeURIComponent(period)}`)

// A meter's counter events; null when the server has no such route (404 from an older server).
export async function meterEvents(siteId: string, meter: string, start: number, end: number): Promise<Json | null> {
  const q = new URLSearchParams({ start: String(start * 1e6), end: String(end * 1e6) })
  const res = await fetch(`/api/v1/sites/${encodeURIComponent(siteId)}/meters/${encodeURIComponent(meter)}/events?${q}`,
    { headers: { Authorization: `Bearer ${token()}` } })
  if (res.status === 404) return null
  const text = await res.text()
  const doc = text ? JSON.parse(text) : null
  if (!res.ok) throw new ApiError(res.status, doc?.error?.message ?? res.statusText)
  return doc
}

// A raw point: [t, v] when good, [t, v, q] otherwise (q = 1 uncertain, 2 bad).
export type RawPoint = [number, number | null] | [number, number | null, number]

// Queries many series, split into requests whose URL stays well under the server's header limit
// (16 KiB by default) and its 1,000 series per request.
export async function queryMany(series: string[], params: Record<string, string>): Promise<Series[]> {
  const chunks: string[][] = []
  let cur: string[] = []
  let bytes = 0
  for (const s of series) {
    const len = encodeURIComponent(s).length + 8
    if (cur.length && (bytes + len > 8000 || cur.length >= 1000)) { chunks.push(cur); cur = []; bytes = 0 }
    cur.push(s)
    bytes += len
  }
  if (cur.length) chunks.push(cur)
  const parts = await Promise.all(chunks.map((c) => query(c, params)))
  return parts.flat()
}

export interface LivePoint { series: string; t: number; v: number }
// Live points of a site's meters from `GET /api/v1/stream` (server-sent events read with fetch,
// so the token stays in the Authorization header). Calls onPoint for each point and onEnd when
// the stream ends or fails; returns a function that closes it.
export function stream(siteId: string, onPoint: (p: LivePoint) => void, onEnd: (why: string) => void): () => void {
  const ctl = new AbortController()
  ;(async () => {
    const res = await fetch(`/api/v1/stream?site=${encodeURIComponent(siteId)}&epoch=ms`, {
      headers: { Authorization: `Bearer ${token()}`, Accept: 'text/event-stream' }, signal: ctl.signal,
    })
    if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`)
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let buf = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buf += value
      let at: number
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const event = buf.slice(0, at)
        buf = buf.slice(at + 2)
        for (const line of event.split('\n')) {
          if (line.startsWith('data:')) onPoint(JSON.parse(line.slice(5)))
        }
      }
    }
    onEnd('closed')
  })().catch((e) => { if (!ctl.signal.aborted) onEnd(String(e?.message ?? e)) })
  return () => ctl.abort()
}

// A sheet of an Excel export (docs/api.md "Export"): cells are strings, numbers or null.
export interface ExportSheet {
  name: string
  title?: string
  columns: { name: string; unit?: string }[]
  rows: (string | number | null)[][]
}

// Saves `blob` as a download named `filename`.
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

async function fetchBlob(path: string, init: RequestInit): Promise<Blob> {
  const res = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), Authorization: `Bearer ${token()}` } })
  if (!res.ok) {
    const text = await res.text()
    let msg = res.statusText
    try { msg = JSON.parse(text)?.error?.message ?? msg } catch { /* not JSON */ }
    throw new ApiError(res.status, msg)
  }
  return res.blob()
}

// POST /api/v1/export/xlsx: the sheets as an .xlsx download.
export async function exportXlsx(filename: string, sheets: ExportSheet[]) {
  const blob = await fetchBlob('/api/v1/export/xlsx', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ filename, sheets }),
  })
  saveBlob(blob, filename.endsWith('.xlsx') ? filename : `${filename}.xlsx`)
}

// A file of a site route (report HTML, inventory.xlsx) as a download.
export async function download(path: string, filename: string) {
  saveBlob(await fetchBlob(path, {}), filename)
}

export const emissions = (id: string, start: string, end: string): Promise<Json> =>
  get(`/api/v1/sites/${encodeURIComponent(id)}/emissions?start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`)

export async function text(path: string): Promise<string> {
  return (await fetchBlob(path, {})).text()
}
