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
