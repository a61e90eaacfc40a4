// Chinese by default, English on request (kept in localStorage). Facility types and plan
// indicators are named by the services (type_label, /api/v1/plans/definitions).
const LANG_STORE = 'carecircle.lang';

const WORDS = {
  zh: {
    title: '养老服务地图',
    apiKey: 'API 密钥',
    apiDocs: '接口文档',
    panel: '面板',
    layers: '图层',
    facilityTypes: '设施类型',
    choropleth: '分区指标',
    level: '层级',
    indicator: '指标',
    gaps: '覆盖缺口（未覆盖老年人）',
    siting: '建议新站点',
    sitesK: '站点数',
    suggest: '计算',
    whatif: '情景模拟',
    whatifHint: '点击“添加站点”后在地图上点选位置（可拖动）；在设施弹窗中可“关闭”现有站点。',
    addStation: '添加站点',
    runScenario: '计算情景',
    reset: '重置',
    attribution: '底图：CareCircle 自有数据（行政区划边界、步行路网 © OpenStreetMap contributors, ODbL）',
    keyHint: '非公开图层（覆盖、缺口、指标、仪表盘）需要密钥；只保存在本浏览器中。',
    save: '保存',
    clear: '清除',
    cancel: '取消',
    regions: '行政区划',
    streets: '路网',
    facilities: '养老设施',
    isochrones: '步行等时圈（5/10/15 分钟）',
    gapCells: '未覆盖老年人（六边形）',
    sites: '建议站点',
    scenario: '情景站点',
    loading: '加载中…',
    ready: '已加载',
    needKey: '输入 API 密钥后可查看覆盖、缺口、指标和仪表盘。',
    keyRefused: 'API 密钥无效或权限不足',
    coverage: '15 分钟覆盖',
    ofElderly: '老年人',
    uncovered: '未覆盖',
    people: '人',
    points: '个点',
    marginal: '新增覆盖',
    covered: '覆盖',
    dashboard: '区域仪表盘',
    population: '常住人口',
    elderly60: '60 岁以上老年人',
    facilitiesTotal: '设施总数',
    indicators: '指标与目标',
    value: '当前值',
    target: '目标',
    met: '达标',
    not_met: '未达标',
    no_data: '无数据',
    noTarget: '未设目标',
    beds: '床位',
    latestBeds: '最新床位报告',
    totalBeds: '总床位',
    nursingBeds: '护理型床位',
    freeBeds: '空余床位',
    period: '月份',
    status: '状态',
    type: '类型',
    operation: '运营方式',
    stars: '星级',
    capacity: '床位/容量',
    address: '地址',
    phone: '电话',
    showIsochrones: '显示等时圈',
    closeStation: '关闭此站点（情景）',
    reopenStation: '恢复此站点',
    closed: '关闭',
    added: '新增',
    running: '计算中…',
    scenarioDone: '情景结果',
    baseline: '现状',
    change: '变化',
    downloadSummary: '下载情景结果（JSON）',
    downloadGaps: '下载情景缺口（GeoJSON）',
    downloadGapsGpkg: '缺口（GeoPackage，QGIS）',
    downloadPointsXlsx: '各需求点步行时间（Excel）',
    downloadPointsCsv: '各需求点步行时间（CSV）',
    noChanges: '请先添加或关闭站点。',
    noRun: '尚无覆盖计算结果。',
    failed: '失败',
    none: '无',
    clickMap: '在地图上点击放置新站点',
    region: '区域',
    planIndicators: '规划指标',
    computing: '计算中（可能需要一些时间）…',
  },
  en: {
    title: 'Elderly-care map',
    apiKey: 'API key',
    apiDocs: 'API docs',
    panel: 'Panel',
    layers: 'Layers',
    facilityTypes: 'Facility types',
    choropleth: 'Regions by indicator',
    level: 'Level',
    indicator: 'Indicator',
    gaps: 'Coverage gaps (uncovered elderly)',
    siting: 'Suggested new stations',
    sitesK: 'Sites',
    suggest: 'Suggest',
    whatif: 'What-if',
    whatifHint: 'Press "Add station", then click the map (drag to move); close a station from its popup.',
    addStation: 'Add station',
    runScenario: 'Run scenario',
    reset: 'Reset',
    attribution: "Base map: CareCircle's own data (region boundaries, walking network © OpenStreetMap contributors, ODbL)",
    keyHint: 'Coverage, gaps, indicators and dashboards need a key; it is kept in this browser only.',
    save: 'Save',
    clear: 'Clear',
    cancel: 'Cancel',
    regions: 'Regions',
    streets: 'Streets',
    facilities: 'Care facilities',
    isochrones: 'Walking isochrones (5/10/15 min)',
    gapCells: 'Uncovered elderly (hexagons)',
    sites: 'Suggested sites',
    scenario: 'Scenario stations',
    loading: 'Loading…',
    ready: 'Loaded',
    needKey: 'Enter an API key to see coverage, gaps, indicators and dashboards.',
    keyRefused: 'API key refused or not allowed',
    coverage: '15-minute coverage',
    ofElderly: 'of the elderly',
    uncovered: 'uncovered',
    people: 'people',
    points: 'points',
    marginal: 'newly covered',
    covered: 'covered',
    dashboard: 'Region dashboard',
    population: 'Population',
    elderly60: 'Aged 60+',
    facilitiesTotal: 'Facilities',
    indicators: 'Indicators and targets',
    value: 'Value',
    target: 'Target',
    met: 'met',
    not_met: 'not met',
    no_data: 'no data',
    noTarget: 'no target',
    beds: 'Beds',
    latestBeds: 'Latest bed report',
    totalBeds: 'Total beds',
    nursingBeds: 'Nursing-type beds',
    freeBeds: 'Free beds',
    period: 'Month',
    status: 'Status',
    type: 'Type',
    operation: 'Operation',
    stars: 'Stars',
    capacity: 'Beds/places',
    address: 'Address',
    phone: 'Phone',
    showIsochrones: 'Show isochrones',
    closeStation: 'Close this station (what-if)',
    reopenStation: 'Reopen this station',
    closed: 'closed',
    added: 'added',
    running: 'Running…',
    scenarioDone: 'Scenario',
    baseline: 'Now',
    change: 'Change',
    downloadSummary: "Download the scenario's result (JSON)",
    downloadGaps: "Download the scenario's gaps (GeoJSON)",
    downloadGapsGpkg: 'Gaps (GeoPackage, QGIS)',
    downloadPointsXlsx: 'Walking minutes per demand point (Excel)',
    downloadPointsCsv: 'Walking minutes per demand point (CSV)',
    noChanges: 'Add or close a station first.',
    noRun: 'No coverage run yet.',
    failed: 'failed',
    none: 'none',
    clickMap: 'Click the map to place a new station',
    region: 'Region',
    planIndicators: 'Plan indicators',
    computing: 'Computing (may take a while)…',
  },
};

const TYPES = {
  nursing_home: ['养老机构', 'Nursing home'],
  care_center: ['街道/乡镇综合养老服务中心', 'Comprehensive care centre'],
  community_station: ['社区养老服务站', 'Community station'],
  day_care: ['日间照料中心', 'Day-care centre'],
  rural_happiness_home: ['农村幸福院', 'Rural happiness home'],
  mutual_aid_point: ['互助养老点', 'Mutual-aid point'],
  meal_point: ['老年助餐点', 'Meal point'],
  township_home: ['敬老院', 'Township home'],
  embedded_home: ['嵌入式养老机构', 'Embedded home'],
};
const LEVELS = {
  province: ['省', 'Province'],
  city: ['市', 'City'],
  district: ['区县', 'District'],
  street: ['街道/乡镇', 'Street/town'],
  community: ['社区/村', 'Community/village'],
};
const STATUSES = {
  planned: ['规划中', 'planned'],
  active: ['运营中', 'active'],
  suspended: ['暂停', 'suspended'],
  closed: ['已关闭', 'closed'],
};
const MODES = {
  public_run: ['公办公营', 'public'],
  public_built_private_run: ['公建民营', 'public-built, privately run'],
  private: ['民办', 'private'],
};

let lang = localStorage.getItem(LANG_STORE) === 'en' ? 'en' : 'zh';
const listeners = [];

export function language() {
  return lang;
}

export function t(word) {
  return WORDS[lang][word] ?? word;
}

function pick(table, slug) {
  const pair = table[slug];
  return pair ? pair[lang === 'zh' ? 0 : 1] : slug;
}

export const typeName = (slug) => pick(TYPES, slug);
export const levelName = (slug) => pick(LEVELS, slug);
export const statusName = (slug) => pick(STATUSES, slug);
export const modeName = (slug) => pick(MODES, slug);

/** Re-label every element marked data-i18n / data-i18n-title, then tell the listeners. */
export function applyLanguage() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `CareCircle ${t('title')}`;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  const button = document.getElementById('lang-button');
  button.textContent = lang === 'zh' ? 'English' : '中文';
  button.lang = lang === 'zh' ? 'en' : 'zh-CN';
  for (const listener of listeners) listener(lang);
}

export function onLanguage(listener) {
  listeners.push(listener);
}

export function toggleLanguage() {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem(LANG_STORE, lang);
  applyLanguage();
}

/** A number as people read it: shares as percentages, others grouped. */
export function formatValue(value, unit) {
  if (value === null || value === undefined) return t('no_data');
  const locale = lang === 'zh' ? 'zh-CN' : 'en-GB';
  if (unit === 'share') return `${(value * 100).toLocaleString(locale, { maximumFractionDigits: 1 })} %`;
  return value.toLocaleString(locale, { maximumFractionDigits: 1 });
}
