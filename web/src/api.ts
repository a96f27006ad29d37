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
