// The selected site, shared by every page; pages watch `state.site` and reload.
import { reactive } from 'vue'
import * as api from './api'

export const state = reactive({
  sites: [] as api.SiteSummary[],
  siteId: localStorage.getItem('dualcarbon.site') ?? '',
  site: null as api.Json,
  error: '',
})

export async function loadSites() {
  state.sites = await api.sites()
  if (!state.sites.some((s) => s.id === state.siteId)) state.siteId = state.sites[0]?.id ?? ''
  await selectSite(state.siteId)
}

export async function selectSite(id: string) {
  state.siteId = id
  localStorage.setItem('dualcarbon.site', id)
  state.site = id ? await api.site(id) : null
}

export function zone(): string { return state.site?.timezone ?? 'UTC' }

// The site's physical meters with their store keys.
export function meters(): api.Json[] {
  return (state.site?.meters ?? []).map((m: api.Json) => ({ ...m, key: api.seriesOf(state.siteId, m) }))
}

// The master electricity meter: the purchased electricity meter (live load comes from it).
export function mainElectricity(): api.Json | undefined {
  return meters().find((m) => m.carrier === 'electricity' && m.flow === 'purchased')
}
