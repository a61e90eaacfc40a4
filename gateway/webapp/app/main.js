// The /map page: wires the layers, the side panel, the key dialog and the language switch.
// Public layers (regions, streets, facilities) load for everyone; coverage, gaps, sites,
// indicators and dashboards once an API key is entered (kept in localStorage).
import * as L from '../vendor/leaflet-src.esm.js';
import { ApiError, apiKey, setApiKey } from './api.js';
import { Regions, Streets, Facilities } from './base.js';
import { Choropleth } from './choropleth.js';
import { Coverage } from './coverage.js';
import { Details } from './details.js';
import { WhatIf } from './whatif.js';
import { applyLanguage, formatValue, levelName, onLanguage, t, toggleLanguage } from './i18n.js';

const $ = (id) => document.getElementById(id);
const status = $('status');
const problems = [];

function report(error) {
  console.error(error);
  problems.push(String(error.message ?? error));
  status.textContent = error instanceof ApiError && (error.status === 401 || error.status === 403) ? t('keyRefused') : `${t('failed')}: ${error.message ?? error}`;
  status.className = 'error';
}

/** Run `work`, showing failures in the status line instead of leaving the page half-drawn. */
async function guarded(work) {
  try {
    return await work();
  } catch (error) {
    report(error);
    return null;
  }
}

const map = L.map('map', { zoomControl: true, zoomSnap: 0.25, attributionControl: true });
map.attributionControl.setPrefix(false);
map.attributionControl.addAttribution('© OpenStreetMap contributors (ODbL) · CareCircle');
map.setView([35, 105], 4);
// Drawing order, bottom to top: regions, streets, gaps, isochrones, facilities (markers above all).
for (const [pane, z] of [['cc-regions', 410], ['cc-streets', 415], ['cc-gaps', 420], ['cc-iso', 425], ['cc-facilities', 450]]) {
  map.createPane(pane).style.zIndex = String(z);
}

const regions = new Regions(map, {
  onClick: (region) => guarded(() => details.showRegion(region)),
  passClicks: () => whatif.adding,
});
const streets = new Streets(map);
const facilities = new Facilities(map, { onClick: (item, marker) => facilityPopup(item, marker) });
const coverage = new Coverage(map);
const choropleth = new Choropleth(regions, { select: $('indicator-select'), legend: $('choropleth-legend') });
const details = new Details($('details'), $('details-body'), {
  labelOf: (id) => choropleth.label(id),
  unitOf: (id) => choropleth.unit(id),
});
const whatif = new WhatIf(map, coverage, facilities, {
  addButton: $('whatif-add'),
  changes: $('whatif-changes'),
  result: $('whatif-result'),
  downloads: $('whatif-downloads'),
  onResult: (runId, share) => showFigure(share, true),
});

function showFigure(share, scenario = false) {
  const out = $('coverage-figure');
  if (share === null || share === undefined) {
    out.textContent = '';
    delete out.dataset.value;
    return;
  }
  out.textContent = `${scenario ? `${t('scenarioDone')} · ` : ''}${t('coverage')} ${formatValue(share, 'share')} ${t('ofElderly')}`;
  out.dataset.value = String(share);
  out.classList.toggle('scenario', scenario);
}

function facilityPopup(item, marker) {
  guarded(() => details.showFacility(item));
  const box = document.createElement('div');
  box.className = 'cc-popup';
  const name = document.createElement('strong');
  name.textContent = item.name;
  box.append(name);
  const inRun = coverage.baseline && coverage.stationTypes().includes(item.type) && item.status === 'active';
  if (apiKey() && inRun) {
    const iso = document.createElement('button');
    iso.type = 'button';
    iso.className = 'cc-iso-button';
    iso.textContent = t('showIsochrones');
    iso.addEventListener('click', () => {
      status.textContent = t('computing');
      guarded(async () => {
        await coverage.showIsochrones(item.id);
        status.textContent = '';
      });
    });
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'cc-close-button';
    close.textContent = whatif && facilities.closed.has(String(item.id)) ? t('reopenStation') : t('closeStation');
    close.addEventListener('click', () => {
      whatif.toggleClosed(item.id);
      map.closePopup();
    });
    box.append(document.createElement('br'), iso, close);
  }
  L.popup().setLatLng(marker.getLatLng()).setContent(box).openOn(map);
}

function renderLayerToggles() {
  const toggles = [
    ['regions', [regions.outlines, regions.areas]],
    ['streets', [streets.layer]],
    ['facilities', [facilities.group]],
    ['gapCells', [coverage.gaps]],
    ['isochrones', [coverage.isochrones]],
    ['sites', [coverage.sites]],
    ['scenario', [whatif.layer]],
  ];
  const box = $('layer-toggles');
  box.replaceChildren();
  for (const [word, layers] of toggles) {
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.checked = layers.every((layer) => map.hasLayer(layer));
    input.dataset.layer = word;
    input.addEventListener('change', () => {
      for (const layer of layers) (input.checked ? map.addLayer(layer) : map.removeLayer(layer));
    });
    const label = document.createElement('label');
    label.append(input, ` ${t(word)}`);
    box.append(label);
  }
}

function renderLevels() {
  const select = $('level-select');
  select.replaceChildren(...regions.levels().map((level) => new Option(levelName(level), level)));
  select.value = regions.level ?? '';
}

function renderAll() {
  renderLayerToggles();
  renderLevels();
  facilities.renderLegend($('legend'));
  choropleth.renderOptions();
  if (coverage.run) coverage.renderGapList($('gap-list'));
  whatif.renderChanges();
  if ($('coverage-figure').dataset.value) showFigure(Number($('coverage-figure').dataset.value), $('coverage-figure').classList.contains('scenario'));
}

async function loadMembers() {
  document.body.classList.toggle('has-key', Boolean(apiKey()));
  if (!apiKey()) {
    status.textContent = t('needKey');
    return;
  }
  const root = regions.root();
  if (!root) return;
  const results = await Promise.all([
    guarded(async () => {
      const { latest } = await coverage.loadLatest(root.code);
      showFigure(latest.covered_share_by_elderly);
      coverage.renderGapList($('gap-list'));
    }),
    guarded(async () => {
      const indicator = await choropleth.load(root.code);
      await choropleth.show(indicator);
    }),
  ]);
  if (results.every((r) => r !== null) && status.className !== 'error') status.textContent = '';
}

async function start() {
  applyLanguage();
  status.textContent = t('loading');
  const [regionItems] = await Promise.all([
    guarded(() => regions.load()),
    guarded(() => streets.load()),
    guarded(() => facilities.load()),
  ]);
  if (regionItems?.length) {
    regions.show(regions.defaultLevel());
    map.fitBounds(regions.bounds());
  } else if (facilities.items.length) {
    map.fitBounds(L.latLngBounds(facilities.items.map((f) => [f.lat, f.lon])).pad(0.1));
  }
  renderAll();
  status.textContent = '';
  await loadMembers();
  renderAll();
  document.body.dataset.state = 'ready';
}

// --- controls ------------------------------------------------------------------------------

$('lang-button').addEventListener('click', toggleLanguage);
onLanguage(() => {
  if (document.body.dataset.state !== 'ready') return;
  renderAll();
  if (choropleth.indicator) guarded(() => choropleth.show(choropleth.indicator));
});
$('level-select').addEventListener('change', (e) => {
  regions.show(e.target.value);
  if (choropleth.indicator) guarded(() => choropleth.show(choropleth.indicator));
});
$('panel-toggle').addEventListener('click', () => {
  const open = document.body.classList.toggle('panel-closed') === false;
  $('panel-toggle').setAttribute('aria-expanded', String(open));
  setTimeout(() => map.invalidateSize(), 250);
});
$('details-close').addEventListener('click', () => details.close());
$('key-button').addEventListener('click', () => {
  $('key-input').value = apiKey();
  $('key-dialog').showModal();
});
$('key-dialog').addEventListener('close', () => {
  const action = $('key-dialog').returnValue;
  if (action === 'save') setApiKey($('key-input').value.trim());
  if (action === 'clear') setApiKey('');
  if (action === 'save' || action === 'clear') {
    document.body.dataset.state = 'loading';
    status.className = '';
    loadMembers().then(() => {
      renderAll();
      document.body.dataset.state = 'ready';
    });
  }
});
$('siting-run').addEventListener('click', () => {
  status.textContent = t('computing');
  guarded(async () => {
    await coverage.suggestSites(Number($('siting-k').value) || 3, $('siting-list'));
    status.textContent = '';
  });
});
$('whatif-add').addEventListener('click', () => {
  whatif.setAdding(!whatif.adding);
  if (whatif.adding) status.textContent = t('clickMap');
});
$('whatif-run').addEventListener('click', () =>
  guarded(async () => {
    await whatif.run();
    coverage.renderGapList($('gap-list'));
  }),
);
$('whatif-reset').addEventListener('click', () =>
  guarded(async () => {
    whatif.reset();
    if (coverage.baseline) {
      await coverage.showRun(coverage.baseline.run.id);
      coverage.renderGapList($('gap-list'));
      showFigure(coverage.baseline.latest.covered_share_by_elderly);
    }
  }),
);

/** For tests and the curious: what each layer holds now. */
window.careMap = {
  map,
  problems,
  counts: () => ({
    regions: regions.areas.getLayers().length,
    outlines: regions.outlines.getLayers().length,
    streets: streets.count(),
    facilities: facilities.count(),
    ...coverage.counts(),
    scenario: whatif.layer.getLayers().length,
    choropleth: choropleth.values.size,
  }),
  fitAll: () => map.fitBounds(regions.bounds(), { animate: false }),
  /** A point of a region where its own area is the topmost thing (a click there reaches it). */
  regionPoint: (code) => {
    const layer = regions.areas.getLayers().find((l) => l.feature.properties.code === code);
    const b = layer.getBounds();
    for (let i = 1; i < 10; i += 1) {
      for (let j = 1; j < 10; j += 1) {
        const at = L.latLng(b.getSouth() + ((b.getNorth() - b.getSouth()) * i) / 10, b.getWest() + ((b.getEast() - b.getWest()) * j) / 10);
        if (topmost(at) === layer.getElement()) return [at.lat, at.lng];
      }
    }
    return null;
  },
  /** The nearest point to (lat, lon) not under a facility marker (a click there reaches the map). */
  freePoint: (lat, lon) => {
    for (let r = 0; r < 60; r += 4) {
      for (let a = 0; a < 360; a += 45) {
        const p = map.latLngToContainerPoint([lat, lon]).add([r * Math.cos((a * Math.PI) / 180), r * Math.sin((a * Math.PI) / 180)]);
        const at = map.containerPointToLatLng(p);
        const el = topmost(at);
        if (el && !el.classList.contains('cc-facility') && !el.closest('.leaflet-marker-icon')) return [at.lat, at.lng];
      }
    }
    return [lat, lon];
  },
};

function topmost(latlng) {
  const box = map.getContainer().getBoundingClientRect();
  const p = map.latLngToContainerPoint(latlng);
  return document.elementFromPoint(box.left + p.x, box.top + p.y);
}

start();
