// Regions coloured by a plan indicator (GET /api/v1/plans/indicators/children, one call per
// parent of the shown level), with the indicators named as the beds service defines them.
import { api } from './api.js';
import { GOOD_SCALE, classOf, quantileBreaks } from './palette.js';
import { formatValue, language, t } from './i18n.js';

export class Choropleth {
  constructor(regions, { select, legend }) {
    this.regions = regions;
    this.select = select;
    this.legend = legend;
    this.definitions = new Map(); // id -> definition
    this.available = []; // indicator ids with a value at the root
    this.values = new Map(); // code -> value
    this.indicator = '';
    select.addEventListener('change', () => this.show(select.value));
  }

  label(id) {
    const d = this.definitions.get(id);
    if (!d) return id;
    return language() === 'zh' ? d.label_zh : d.label_en;
  }

  unit(id) {
    return this.definitions.get(id)?.unit;
  }

  /** The indicators that have a value for the root region, as the select's options. */
  async load(rootCode) {
    const [definitions, indicators] = await Promise.all([
      api('/api/v1/plans/definitions'),
      api(`/api/v1/plans/indicators?region=${rootCode}`),
    ]);
    this.definitions = new Map(definitions.items.map((d) => [d.id, d]));
    this.available = indicators.filter((i) => i.value !== null).map((i) => i.indicator);
    this.renderOptions();
    const preferred = ['fifteen_minute_circle_share', 'nursing_share', 'beds_per_1000_elderly'];
    const first = preferred.find((id) => this.available.includes(id)) ?? this.available[0] ?? '';
    this.select.value = first;
    return first;
  }

  renderOptions() {
    const current = this.select.value;
    this.select.replaceChildren(new Option('—', ''));
    for (const id of this.available) this.select.append(new Option(this.label(id), id));
    this.select.value = current;
  }

  /** Colour the shown level's regions by `indicator` ('' clears). */
  async show(indicator) {
    this.indicator = indicator;
    this.values = new Map();
    if (indicator) {
      const parents = new Set(
        this.regions.items.filter((r) => r.level === this.regions.level && r.parent_code).map((r) => r.parent_code),
      );
      const answers = await Promise.all(
        [...parents].map((code) => api(`/api/v1/plans/indicators/children?region=${code}&indicator=${indicator}`)),
      );
      for (const answer of answers) for (const item of answer.items) this.values.set(item.region, item.value);
    }
    const breaks = quantileBreaks([...this.values.values()]);
    const unit = this.unit(indicator);
    this.regions.paint(
      (code) => {
        const v = this.values.get(code);
        return v === null || v === undefined ? null : GOOD_SCALE[classOf(v, breaks)];
      },
      (code) => (this.values.has(code) ? `${this.label(indicator)}: ${formatValue(this.values.get(code), unit)}` : ''),
    );
    this.renderLegend(breaks, unit);
    return this.values.size;
  }

  renderLegend(breaks, unit) {
    this.legend.replaceChildren();
    if (!this.indicator) return;
    const values = [...this.values.values()].filter((v) => v !== null);
    if (!values.length) {
      this.legend.textContent = t('no_data');
      return;
    }
    const lows = [Math.min(...values), ...breaks];
    const highs = [...breaks, Math.max(...values)];
    lows.forEach((low, k) => {
      if (k > 0 && low === lows[k - 1]) return;
      const li = document.createElement('li');
      li.className = 'cc-choropleth-class';
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = GOOD_SCALE[k];
      li.append(swatch, ` ${formatValue(low, unit)} – ${formatValue(highs[k], unit)}`);
      this.legend.append(li);
    });
  }
}
