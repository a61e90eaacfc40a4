// What-if: hypothetical stations added (clicked on the map, draggable) and existing ones closed,
// run through the coverage scenario API (POST /api/v1/coverage/runs with add_stations and
// close_stations) next to the same run without changes, compared, and offered for download.
import * as L from '../vendor/leaflet-src.esm.js';
import { api, apiBlob, download } from './api.js';
import { formatValue, language, t, typeName } from './i18n.js';

const POLL_MS = 500;
const RUN_TIMEOUT_MS = 300_000;
const NEW_TYPE = 'community_station';

export class WhatIf {
  constructor(map, coverage, facilities, ui) {
    this.map = map;
    this.coverage = coverage;
    this.facilities = facilities;
    this.ui = ui; // {addButton, changes, result, downloads, onResult}
    this.added = []; // {id, marker}
    this.adding = false;
    this.counter = 0;
    this.scenarioRun = null;
    this.layer = L.layerGroup().addTo(map);
    map.on('click', (e) => {
      if (this.adding) this.add(e.latlng);
    });
  }

  setAdding(on) {
    this.adding = on;
    this.ui.addButton.setAttribute('aria-pressed', String(on));
    this.map.getContainer().classList.toggle('placing', on);
  }

  add(latlng) {
    this.counter += 1;
    const id = `whatif-${this.counter}`;
    const marker = L.marker(latlng, {
      draggable: true,
      icon: L.divIcon({ className: 'cc-whatif', html: '<span>+</span>', iconSize: [26, 26] }),
      title: id,
    }).addTo(this.layer);
    marker.on('dragend', () => this.renderChanges());
    this.added.push({ id, marker });
    this.setAdding(false);
    this.renderChanges();
  }

  toggleClosed(id) {
    const key = String(id);
    if (this.facilities.closed.has(key)) this.facilities.closed.delete(key);
    else this.facilities.closed.add(key);
    this.facilities.draw();
    this.renderChanges();
  }

  reset() {
    this.added = [];
    this.layer.clearLayers();
    this.facilities.closed.clear();
    this.facilities.draw();
    this.scenarioRun = null;
    this.ui.result.textContent = '';
    for (const key of ['run', 'baseline', 'scenario']) delete this.ui.result.dataset[key];
    this.ui.downloads.replaceChildren();
    this.renderChanges();
  }

  renderChanges() {
    const list = this.ui.changes;
    list.replaceChildren();
    for (const { id, marker } of this.added) {
      const p = marker.getLatLng();
      const li = document.createElement('li');
      li.textContent = `${t('added')}: ${typeName(NEW_TYPE)} (${p.lat.toFixed(5)}, ${p.lng.toFixed(5)})`;
      li.dataset.id = id;
      list.append(li);
    }
    for (const id of this.facilities.closed) {
      const item = this.facilities.items.find((f) => String(f.id) === id);
      const li = document.createElement('li');
      li.textContent = `${t('closed')}: ${item ? item.name : id}`;
      list.append(li);
    }
  }

  /** The run body: the baseline's network, demand, parameters and station query, plus `changes`. */
  body(changes) {
    const { run } = this.coverage.baseline;
    const p = run.params;
    return {
      network_id: run.network_id,
      demand_set_id: run.demand_set_id,
      minutes: p.minutes,
      speed_mps: p.speed_mps,
      max_snap_m: p.max_snap_m,
      skip_far_stations: p.skip_far_stations,
      gap_resolution: p.gap_resolution,
      station_query: { type: this.coverage.stationTypes(), status: ['active'] },
      ...changes,
    };
  }

  async submit(body) {
    const queued = await api('/api/v1/coverage/runs', { method: 'POST', body });
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    let run = queued;
    while (run.status !== 'done') {
      if (run.status === 'failed') throw new Error(run.error?.detail ?? t('failed'));
      if (Date.now() > deadline) throw new Error(t('failed'));
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      run = await api(`/api/v1/coverage/runs/${queued.id}`);
    }
    return run;
  }

  async run() {
    const closed = [...this.facilities.closed];
    if (!this.added.length && !closed.length) {
      this.ui.result.textContent = t('noChanges');
      return null;
    }
    this.ui.result.textContent = t('running');
    this.ui.downloads.replaceChildren();
    const add = this.added.map(({ id, marker }) => {
      const p = marker.getLatLng();
      return { id, lon: p.lng, lat: p.lat, type: NEW_TYPE };
    });
    // Stations the baseline did not use (another type, or not active) cannot be closed in it.
    const inRun = new Set(
      this.facilities.items
        .filter((f) => f.status === 'active' && this.coverage.stationTypes().includes(f.type))
        .map((f) => String(f.id)),
    );
    const [baseline, scenario] = await Promise.all([
      this.submit(this.body({})),
      this.submit(this.body({ add_stations: add, close_stations: closed.filter((id) => inRun.has(id)) })),
    ]);
    const compare = await api(`/api/v1/coverage/runs/${scenario.id}/compare/${baseline.id}`);
    this.scenarioRun = scenario.id;
    const share = compare.covered_share_by_elderly;
    const change = share.change * 100;
    this.ui.result.textContent = `${t('scenarioDone')}: ${t('coverage')} ${formatValue(share.baseline, 'share')} → ${formatValue(share.run, 'share')} (${change >= 0 ? '+' : ''}${change.toFixed(1)} pp)`;
    this.ui.result.dataset.run = String(share.run);
    this.ui.result.dataset.baseline = String(share.baseline);
    this.ui.result.dataset.scenario = String(scenario.id);
    await this.coverage.showRun(scenario.id);
    this.renderDownloads(scenario.id);
    this.ui.onResult(scenario.id, share.run);
    return compare;
  }

  renderDownloads(runId) {
    const base = `/api/v1/coverage/runs/${runId}`;
    const name = `carecircle-scenario-${runId}`;
    const lang = language();
    const links = [
      [t('downloadSummary'), `${base}/summary`, `${name}-summary.json`],
      [t('downloadGaps'), `${base}/gaps`, `${name}-gaps.geojson`],
      [t('downloadGapsGpkg'), `${base}/gaps?format=gpkg`, `${name}-gaps.gpkg`],
      [t('downloadPointsXlsx'), `${base}/points?format=xlsx&lang=${lang}`, `${name}-points.xlsx`],
      [t('downloadPointsCsv'), `${base}/points?format=csv&lang=${lang}`, `${name}-points.csv`],
    ];
    this.ui.downloads.replaceChildren();
    for (const [label, path, name] of links) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'download';
      button.textContent = label;
      button.addEventListener('click', async () => download(await apiBlob(path), name));
      this.ui.downloads.append(button);
    }
  }
}
