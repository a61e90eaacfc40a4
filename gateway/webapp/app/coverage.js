// Coverage layers (need a key): the latest run's figure, uncovered demand by hexagon with a
// ranked list, isochrones of a station, and suggested sites with their marginal gains.
import * as L from '../vendor/leaflet-src.esm.js';
import { api } from './api.js';
import { asFeatureCollection, drawingOrder, minuteColour } from './isochrones.js';
import { BAD_SCALE, classOf, quantileBreaks } from './palette.js';
import { formatValue, t } from './i18n.js';

export class Coverage {
  constructor(map) {
    this.map = map;
    this.run = null; // the run shown (baseline, or a scenario)
    this.baseline = null; // {run, summary}
    this.gaps = L.geoJSON(null, {
      pane: 'cc-gaps',
      interactive: false, // clicks reach the region below (its dashboard); the side list ranks them
      style: (f) => this.gapStyle(f),
    }).addTo(map);
    this.isochrones = L.geoJSON(null, {
      pane: 'cc-iso',
      interactive: false,
      style: (f) => ({ className: 'cc-iso', color: '#555', weight: 1, fillColor: minuteColour(f.properties.minutes), fillOpacity: 0.35 }),
    }).addTo(map);
    this.sites = L.layerGroup().addTo(map);
    this.breaks = [];
  }

  /** The latest finished run covering `regionCode`, its summary and its gaps. */
  async loadLatest(regionCode) {
    const latest = await api(`/api/v1/coverage/regions/${regionCode}/latest`);
    const [run, summary] = await Promise.all([
      api(`/api/v1/coverage/runs/${latest.run_id}`),
      api(`/api/v1/coverage/runs/${latest.run_id}/summary`),
    ]);
    this.baseline = { run, summary, latest };
    await this.showRun(run.id);
    return this.baseline;
  }

  async showRun(runId) {
    this.run = runId;
    const gaps = await api(`/api/v1/coverage/runs/${runId}/gaps`);
    this.breaks = quantileBreaks(gaps.features.map((f) => f.properties.uncovered_elderly));
    this.gaps.clearLayers();
    this.gaps.addData(gaps);
    return gaps;
  }

  gapStyle(feature) {
    const k = classOf(feature.properties.uncovered_elderly, this.breaks);
    return { className: 'cc-gap', color: '#7f0000', weight: 0.8, fillColor: BAD_SCALE[k], fillOpacity: 0.6 };
  }

  gapLabel(p) {
    return `${t('uncovered')} ${formatValue(p.uncovered_elderly)} ${t('people')} (${p.uncovered_points} ${t('points')})`;
  }

  /** The ranked gap list; clicking an entry zooms to its hexagon. */
  renderGapList(list, limit = 20) {
    list.replaceChildren();
    const layers = this.gaps.getLayers().sort((a, b) => a.feature.properties.rank - b.feature.properties.rank);
    for (const layer of layers.slice(0, limit)) {
      const li = document.createElement('li');
      li.className = 'cc-gap-item';
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'link';
      button.textContent = this.gapLabel(layer.feature.properties);
      button.addEventListener('click', () => {
        this.map.fitBounds(layer.getBounds(), { maxZoom: 16 });
        L.popup()
          .setLatLng(layer.getBounds().getCenter())
          .setContent(`#${layer.feature.properties.rank}: ${this.gapLabel(layer.feature.properties)}`)
          .openOn(this.map);
      });
      li.append(button);
      list.append(li);
    }
    if (!layers.length) list.textContent = t('none');
  }

  /** Types of the stations the baseline run used (the what-if asks for the same). */
  stationTypes() {
    return (this.baseline?.summary.by_facility_type ?? []).map((row) => row.type);
  }

  async showIsochrones(stationId, minutes = [5, 10, 15]) {
    const answer = await api(`/api/v1/coverage/runs/${this.run}/isochrones`, {
      method: 'POST',
      body: { station_ids: [String(stationId)], minutes },
      accept: 'application/geo+json, application/json',
    });
    const collection = asFeatureCollection(answer);
    this.isochrones.clearLayers();
    this.isochrones.addData({ type: 'FeatureCollection', features: drawingOrder(collection) });
    return collection.features.length;
  }

  /** Where k new stations would newly cover the most elderly; markers and a ranked list. */
  async suggestSites(k, list) {
    const answer = await api(`/api/v1/coverage/runs/${this.run}/siting`, {
      method: 'POST',
      body: { k, method: 'greedy' },
    });
    this.sites.clearLayers();
    list.replaceChildren();
    answer.chosen.forEach((site, i) => {
      const marker = L.marker([site.lat, site.lon], {
        icon: L.divIcon({ className: 'cc-site', html: `<span>${i + 1}</span>`, iconSize: [24, 24] }),
        title: `${t('marginal')} ${formatValue(site.marginal_elderly)}`,
      }).addTo(this.sites);
      marker.bindTooltip(`#${i + 1} ${t('marginal')} ${formatValue(site.marginal_elderly)} ${t('people')}`);
      const li = document.createElement('li');
      li.className = 'cc-site-item';
      li.textContent = `${t('marginal')} ${formatValue(site.marginal_elderly)} ${t('people')}`;
      list.append(li);
    });
    const summary = document.createElement('li');
    summary.className = 'cc-site-summary';
    summary.textContent = `${t('covered')} ${formatValue(answer.covered_share_by_elderly_before, 'share')} → ${formatValue(answer.covered_share_by_elderly_after, 'share')}`;
    list.append(summary);
    return answer;
  }

  counts() {
    return {
      gaps: this.gaps.getLayers().length,
      isochrones: this.isochrones.getLayers().length,
      sites: this.sites.getLayers().length,
    };
  }
}
