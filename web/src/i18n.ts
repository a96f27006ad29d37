import { createI18n } from 'vue-i18n'

const en = {
  app: { title: 'dualcarbon', subtitle: 'Energy & carbon', site: 'Site', logout: 'Log out', lang: '中文' },
  nav: { overview: 'Overview', flow: 'Energy flow', trends: 'Trends', meters: 'Meters', carbon: 'Carbon', emissions: 'Emissions', reports: 'Reports' },
  login: {
    title: 'Sign in', token: 'Access token', submit: 'Sign in',
    hint: '`dualcarbon serve` prints the token at start ("login token: dc_…"); `dualcarbon token create` makes more.',
    bad: 'This token was refused: {msg}',
  },
  overview: {
    today: 'Today', month: 'This month', energy: 'Energy', co2e: 'CO₂e', intensity: 'Intensity',
    liveLoad: 'Live load', loadToday: 'Load today (mean kW per 15 min, {meter})', topConsumers: 'Top consumers this month', gauge: 'Energy intensity of {product} vs benchmark (标杆) and baseline (基准)',
    benchmark: 'Benchmark (标杆)', baseline: 'Baseline (基准)', noBenchmark: 'No product with a benchmark on this site',
    perProduct: 'per t {product}', updated: 'updated {time}', grid: 'from {meter}',
    grade: { benchmark: 'Meets benchmark', between: 'Between benchmark and baseline', below_baseline: 'Below baseline' },
  },
  trends: {
    meters: 'Meters', range: 'Range', step: 'Bucket', prev: 'Compare with previous period',
    ranges: { '1d': '24 h', '7d': '7 days', '30d': '30 days', '90d': '90 days' }, none: 'Pick at least one meter',
  },
  meters: {
    id: 'Meter', carrier: 'Carrier', kind: 'Kind', area: 'Area', live: 'Live value', lastSeen: 'Last seen',
    status: 'Status', ok: 'Reporting', stale: 'Offline', virtual: 'computed',
  },
  carbon: {
    period: 'Period', total: 'Total', scope1: 'Scope 1', scope2: 'Scope 2', lines: 'Emission lines',
    source: 'Source', category: 'Category', scope: 'Scope', activity: 'Activity', factors: 'Factors of {line}',
    factor: 'Factor', value: 'Value', factorSource: 'Source', confidence: 'Confidence', citation: 'Reference',
    pick: 'Click a line to see its factors and their sources', warnings: 'Warnings',
  },
  products: { clinker: 'clinker', cement: 'cement' },
  carriers: { electricity: 'electricity', bituminous_coal: 'bituminous coal', diesel: 'diesel', fresh_water: 'fresh water', product: 'product' },
  kinds: { interval: 'interval', counter: 'counter', gauge: 'gauge' },
  categories: { combustion: 'fuel combustion', process: 'process', purchased_electricity: 'purchased electricity', purchased_heat: 'purchased heat' },
  factors: { ncv: 'net calorific value', cc: 'carbon content per GJ', of: 'oxidation rate', co2_per_c: 'CO₂ per carbon', ef: 'emission factor' },
  // -- issue 9: energy flow, a meter's page, thousands of meters --
  flow: {
    title: 'Energy flow (tce)', details: 'Details', pick: 'Click a node or a link to see its figures',
    ranges: { today: 'Today', month: 'This month', last: 'Last month', custom: 'Custom range' },
    total: 'Site total {tce} tce', share: '{pct} % of the site total', shareCol: 'Share', from: 'Flow', amount: 'Amount',
    empty: 'No energy metered in this period',
    kinds: { generated: '{carrier} (generated)', export: '{carrier} (exported)', loss: 'Losses / unmetered', other: 'Other / unallocated' },
  },
  meter: {
    missing: 'No meter "{id}" on this site', flow: 'Flow', series: 'Series', rollover: 'Rollover',
    readings: 'Raw readings', asRate: 'amount per interval shown as a rate in {unit}', newest: 'Newest readings', time: 'Time', value: 'Value', quality: 'Quality',
    q: { good: 'good', uncertain: 'uncertain', bad: 'bad' },
    events: 'Counter events', noEvents: 'No resets, rollovers or swaps in this range',
    eventsUnavailable: 'This server does not report counter events yet', event: 'Event', before: 'Before', after: 'After',
    kinds: { reset: 'reset', rollover: 'rollover', swap: 'meter swap' },
  },
  meterList: { search: 'Search id, area, carrier', allCarriers: 'All carriers', allAreas: 'All areas', count: '{n} of {total} meters' },
  // -- end issue 9 --
  emissions: {
    title: 'Stack emissions (CEMS)', hourly: 'Hourly average', exceeding: 'Over the limit', flagged: 'Flagged hour', limit: 'Limit',
    basis: 'Hourly averages at {o2} % O₂ (reference oxygen), {source}', policy: 'Limits', station: 'Station (MN) {mn}, HJ 212-2017',
    mean: 'Mean', exceedHours: 'Hours over the limit', byStation: 'Normalised by the station (ZsAvg)', computed: 'Normalised here from O₂ in {n} hours',
    chart: '{p}, hourly at {o2} % O₂ (mg/m³)', exceedances: 'Hours over the limit', hour: 'Hour', pollutant: 'Pollutant', value: 'Value',
    noExceedance: 'No hour over the limit in this range', flags: 'Data flags (hours)', flag: 'Flag', meaning: 'Meaning', measured: 'measured',
    flagNote: 'Hours with a flag other than N are not valid monitoring hours: they are not counted as exceedances.',
    none: 'No CEMS data for this site: connect the stack monitor over HJ 212 (docs/protocols/hj212.md).', stack: 'Stack', hourlySheet: 'Hourly',
  },
  pollutants: { nox: 'NOx', so2: 'SO₂', pm: 'Particulate' },
  flags: { N: 'normal', C: 'calibration', M: 'maintenance', S: 'manual value', T: 'over range', D: 'monitor fault', F: 'monitor stopped', B: 'communication fault' },
  reports: {
    kind: 'Report', inventory: 'GHG inventory', period: 'Period', units: { month: 'Month', quarter: 'Quarter', year: 'Year' },
    download: 'Download', print: 'Print',
  },
  export: { xlsx: 'Excel', busy: 'Exporting…', hint: 'Download this table as an Excel workbook' },
  areas: { plant: 'plant', raw_mill: 'raw mill', kiln: 'kiln', cement_mill: 'cement mill', packing: 'packing', compressed_air: 'compressed air', other: 'other' },
  error: 'Could not load: {msg}', loading: 'Loading…',
}

type Messages = typeof en

const zh: Messages = {
  app: { title: 'dualcarbon', subtitle: '能源与碳管理', site: '厂区', logout: '退出', lang: 'English' },
  nav: { overview: '总览', flow: '能流', trends: '趋势', meters: '计量表', carbon: '碳排放', emissions: '污染物排放', reports: '报告' },
  login: {
    title: '登录', token: '访问令牌', submit: '登录',
    hint: '`dualcarbon serve` 启动时会打印令牌(“login token: dc_…”);用 `dualcarbon token create` 可创建更多。',
    bad: '令牌被拒绝:{msg}',
  },
  overview: {
    today: '今日', month: '本月', energy: '综合能耗', co2e: '二氧化碳当量', intensity: '单位产品能耗',
    liveLoad: '实时负荷', loadToday: '今日负荷曲线(15 分钟平均 kW,{meter})', topConsumers: '本月主要用能单元', gauge: '{product}单位产品综合能耗 对标 标杆/基准',
    benchmark: '标杆值', baseline: '基准值', noBenchmark: '本厂区没有设置对标的产品',
    perProduct: '每吨{product}', updated: '更新于 {time}', grid: '来自 {meter}',
    grade: { benchmark: '达到标杆', between: '介于标杆与基准之间', below_baseline: '未达基准' },
  },
  trends: {
    meters: '计量表', range: '时间范围', step: '统计周期', prev: '与上一周期对比',
    ranges: { '1d': '24 小时', '7d': '7 天', '30d': '30 天', '90d': '90 天' }, none: '请至少选择一个计量表',
  },
  meters: {
    id: '计量表', carrier: '能源品种', kind: '类型', area: '区域', live: '实时值', lastSeen: '最后上报',
    status: '状态', ok: '正常', stale: '离线', virtual: '计算值',
  },
  carbon: {
    period: '核算期', total: '合计', scope1: '范围一', scope2: '范围二', lines: '排放明细',
    source: '排放源', category: '类别', scope: '范围', activity: '活动数据', factors: '{line} 的排放因子',
    factor: '因子', value: '数值', factorSource: '来源', confidence: '置信度', citation: '出处',
    pick: '点击一行查看其排放因子及来源', warnings: '提示',
  },
  products: { clinker: '熟料', cement: '水泥' },
  carriers: { electricity: '电力', bituminous_coal: '烟煤', diesel: '柴油', fresh_water: '新水', product: '产品' },
  kinds: { interval: '区间量', counter: '累计表', gauge: '瞬时值' },
  categories: { combustion: '化石燃料燃烧', process: '工业生产过程', purchased_electricity: '净购入电力', purchased_heat: '净购入热力' },
  factors: { ncv: '低位发热量', cc: '单位热值含碳量', of: '碳氧化率', co2_per_c: '二氧化碳与碳分子量比', ef: '排放因子' },
  // -- issue 9: energy flow, a meter's page, thousands of meters --
  flow: {
    title: '能流图(吨标准煤)', details: '详情', pick: '点击节点或连线查看数据',
    ranges: { today: '今日', month: '本月', last: '上月', custom: '自定义' },
    total: '全厂合计 {tce} tce', share: '占全厂 {pct} %', shareCol: '占比', from: '流向', amount: '实物量',
    empty: '本期没有计量到能耗',
    kinds: { generated: '{carrier}(自发)', export: '{carrier}(外供)', loss: '损耗/未计量', other: '其他/未分摊' },
  },
  meter: {
    missing: '本厂区没有计量表“{id}”', flow: '计量方向', series: '数据序列', rollover: '满量程翻转值',
    readings: '原始读数', asRate: '区间量按 {unit} 显示', newest: '最新读数', time: '时间', value: '数值', quality: '质量',
    q: { good: '正常', uncertain: '可疑', bad: '无效' },
    events: '表计事件', noEvents: '此时间范围内没有清零、翻转或换表',
    eventsUnavailable: '此服务器尚不提供表计事件', event: '事件', before: '之前', after: '之后',
    kinds: { reset: '清零', rollover: '翻转', swap: '换表' },
  },
  meterList: { search: '搜索编号、区域、能源品种', allCarriers: '全部能源品种', allAreas: '全部区域', count: '{n} / {total} 个计量表' },
  // -- end issue 9 --
  emissions: {
    title: '烟气排放(CEMS)', hourly: '小时均值', exceeding: '超标', flagged: '标记小时', limit: '限值',
    basis: '小时均值,折算到基准含氧量 {o2} %,{source}', policy: '限值依据', station: '监测站 (MN) {mn},HJ 212-2017',
    mean: '均值', exceedHours: '超标小时数', byStation: '折算值由监测站上报 (ZsAvg)', computed: '{n} 小时按实测 O₂ 折算',
    chart: '{p} 小时均值(折算 {o2} % O₂,mg/m³)', exceedances: '超标小时', hour: '时间', pollutant: '污染物', value: '折算浓度',
    noExceedance: '所选时段内无超标小时', flags: '数据标记(小时数)', flag: '标记', meaning: '含义', measured: '实测',
    flagNote: '标记不是 N 的小时不是有效监测小时,不计入超标。',
    none: '本厂区没有 CEMS 数据:请通过 HJ 212 接入烟气在线监测(docs/protocols/hj212.md)。', stack: '排放口', hourlySheet: '小时数据',
  },
  pollutants: { nox: '氮氧化物', so2: '二氧化硫', pm: '颗粒物' },
  flags: { N: '正常', C: '校准', M: '维护', S: '手工输入', T: '超测量上限', D: '仪器故障', F: '停运', B: '通讯异常' },
  reports: {
    kind: '报告', inventory: '温室气体排放报告', period: '报告期', units: { month: '月度', quarter: '季度', year: '年度' },
    download: '下载', print: '打印',
  },
  export: { xlsx: 'Excel', busy: '导出中…', hint: '将此表导出为 Excel 工作簿' },
  areas: { plant: '全厂', raw_mill: '生料磨', kiln: '回转窑', cement_mill: '水泥磨', packing: '包装', compressed_air: '空压站', other: '其他' },
  error: '加载失败:{msg}', loading: '加载中…',
}

// The label of `key` in the message group `group` ("carriers", ...), else the key itself.
export function label(group: string, key: string): string {
  const k = `${group}.${key}`
  return i18n.global.te(k) ? i18n.global.t(k) : key
}

export const LANG_KEY = 'dualcarbon.lang'

function initial(): 'zh' | 'en' {
  const saved = localStorage.getItem(LANG_KEY)
  if (saved === 'zh' || saved === 'en') return saved
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en'
}

export const i18n = createI18n({ legacy: false, locale: initial(), fallbackLocale: 'en', messages: { en, zh } })

export function toggleLanguage() {
  const next = i18n.global.locale.value === 'zh' ? 'en' : 'zh'
  i18n.global.locale.value = next
  localStorage.setItem(LANG_KEY, next)
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en'
}
