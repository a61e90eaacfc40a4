// The side panel's details: a region's dashboard (indicators against targets, met / not met)
// and a facility's record with its latest bed report.
import { allPages, api, apiKey } from './api.js';
import { formatValue, levelName, modeName, statusName, t, typeName } from './i18n.js';

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function facts(rows) {
  const dl = el('dl', { className: 'facts' });
  for (const [term, value] of rows) {
    if (value === null || value === undefined || value === '') continue;
    dl.append(el('dt', { textContent: term }), el('dd', { textContent: String(value) }));
  }
  return dl;
}

function badge(status) {
  return el('span', { className: `badge cc-${status.replace('_', '-')}`, textContent: t(status) });
}

const COMPARATORS = { gt: '>', ge: '≥', le: '≤', lt: '<', eq: '=' };

export class Details {
  constructor(section, body, { labelOf, unitOf }) {
    this.section = section;
    this.body = body;
    this.labelOf = labelOf;
    this.unitOf = unitOf;
    this.token = 0;
  }

  open(...children) {
    this.body.replaceChildren(...children);
    this.section.hidden = false;
    this.section.scrollIntoView({ block: 'nearest' });
  }

  close() {
    this.section.hidden = true;
    this.body.replaceChildren();
  }

  async showRegion(region) {
    const token = ++this.token;
    const head = el('h2', { textContent: `${region.name}` });
    const sub = el('p', { className: 'muted', textContent: `${levelName(region.level)} · ${region.code}` });
    const basics = facts([
      [t('population'), region.population?.toLocaleString()],
      [t('elderly60'), region.elderly_60plus?.toLocaleString()],
    ]);
    if (!apiKey()) {
      this.open(el('div', { id: 'dashboard', className: 'dashboard' }, head, sub, basics, el('p', { className: 'hint', textContent: t('needKey') })));
      return;
    }
    this.open(el('div', { id: 'dashboard', className: 'dashboard loading' }, head, sub, basics, el('p', { textContent: t('loading') })));
    const dash = await api(`/api/v1/regions/${region.code}/dashboard`);
    if (token !== this.token) return;
    const parts = [head, sub, basics];
    if (dash.facilities?.status === 'ok') {
      const f = dash.facilities;
      parts.push(facts([[t('facilitiesTotal'), f.total], ...Object.entries(f.by_type).map(([type, n]) => [typeName(type), n])]));
    }
    if (dash.coverage?.status === 'ok' && dash.coverage.latest) {
      const c = dash.coverage.latest;
      parts.push(el('p', { className: 'cc-dashboard-coverage', textContent: `${t('coverage')}: ${formatValue(c.covered_share_by_elderly, 'share')} ${t('ofElderly')}` }));
    }
    parts.push(el('h3', { textContent: t('indicators') }));
    parts.push(this.indicatorTable(dash));
    this.open(el('div', { id: 'dashboard', className: 'dashboard' }, ...parts));
  }

  /** One row per indicator and target: the region's own plan targets, then the targets it
   * inherits (bed compliance: a city's shares also bind its districts and streets). */
  indicatorTable(dash) {
    const table = el('table', { className: 'indicators' });
    table.append(el('tr', {}, el('th', { textContent: t('indicator') }), el('th', { textContent: t('value') }), el('th', { textContent: t('target') }), el('th', { textContent: t('status') })));
    const plans = dash.plans?.status === 'ok' ? dash.plans.indicators : [];
    const rows = [];
    for (const item of plans) {
      for (const target of item.targets) rows.push({ item, target, status: target.status });
    }
    const shown = new Set(rows.map((r) => `${r.item.indicator}/${r.target.comparator}/${r.target.threshold}`));
    const compliance = dash.beds?.status === 'ok' ? dash.beds.compliance ?? [] : [];
    for (const c of compliance) {
      if (shown.has(`${c.indicator}/${c.comparator}/${c.threshold}`)) continue;
      const item = plans.find((i) => i.indicator === c.indicator) ?? { indicator: c.indicator, value: c.value, unit: this.unitOf(c.indicator) };
      const status = c.met === null ? 'no_data' : c.met ? 'met' : 'not_met';
      rows.push({ item: { ...item, value: c.value }, target: c, status });
    }
    const targeted = new Set(rows.map((r) => r.item.indicator));
    for (const item of plans) {
      if (!targeted.has(item.indicator) && item.value !== null) rows.push({ item, target: null, status: null });
    }
    for (const { item, target, status } of rows) {
      const unit = item.unit ?? this.unitOf(item.indicator);
      const tr = el('tr', { className: 'cc-indicator' });
      tr.dataset.indicator = item.indicator;
      if (status) tr.dataset.status = status;
      tr.append(
        el('td', { textContent: this.labelOf(item.indicator) }),
        el('td', { textContent: formatValue(item.value, unit) }),
        el('td', { textContent: target ? `${COMPARATORS[target.comparator] ?? target.comparator} ${formatValue(target.threshold, unit)} (${target.target_year})` : t('noTarget') }),
        el('td', {}, status ? badge(status) : null),
      );
      table.append(tr);
    }
    return table;
  }

  async showFacility(item) {
    const token = ++this.token;
    const record = await api(`/api/v1/facilities/${item.id}`);
    if (token !== this.token) return;
    const parts = [
      el('h2', { textContent: record.name }),
      el('p', { className: 'muted', textContent: `${typeName(record.type)} · ${statusName(record.status)}` }),
      facts([
        [t('operation'), record.operation_mode ? modeName(record.operation_mode) : null],
        [t('stars'), record.star_rating ? '★'.repeat(record.star_rating) : null],
        [t('capacity'), record.capacity],
        [t('address'), record.address],
        [t('phone'), record.phone],
        [t('region'), record.region_code],
      ]),
    ];
    const facility = el('div', { id: 'facility', className: 'facility' }, ...parts);
    this.open(facility);
    if (!apiKey()) {
      facility.append(el('p', { className: 'hint', textContent: t('needKey') }));
      return;
    }
    // The reports list, not /current: a facility that reports no beds is an empty list, not a 404.
    const reports = await allPages(`/api/v1/beds/reports?facility_id=${item.id}&limit=1000`, 5);
    if (token !== this.token) return;
    const beds = reports.reduce((last, r) => (!last || r.period > last.period ? r : last), null);
    if (!beds) {
      facility.append(el('p', { className: 'muted', textContent: `${t('latestBeds')}: ${t('none')}` }));
      return;
    }
    facility.append(
      el('h3', { textContent: t('latestBeds') }),
      facts([
        [t('period'), beds.period],
        [t('totalBeds'), beds.total_beds],
        [t('nursingBeds'), beds.nursing_beds],
        [t('freeBeds'), beds.free_beds],
      ]),
    );
  }
}
