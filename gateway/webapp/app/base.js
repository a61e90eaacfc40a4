// Base context from CareCircle's own data: region boundaries, the walking network's streets,
// and the facilities by type (public layers: no key needed).
import * as L from '../vendor/leaflet-src.esm.js';
import { api, allPages } from './api.js';
import { OTHER_COLOUR, TYPE_COLOURS } from './palette.js';
import { statusName, t, typeName } from './i18n.js';

const LEVEL_ORDER = ['province', 'city', 'district', 'street', 'community'];
const OUTLINE_WEIGHT = { province: 3, city: 3, district: 2.5, street: 1.8, community: 1 };

export class Regions {
  constructor(map, { onClick, passClicks = () => false }) {
    this.map = map;
    this.onClick = onClick;
    this.passClicks = passClicks; // true: the map gets the click (placing a what-if station)
    this.outlines = L.layerGroup().addTo(map);
    this.areas = L.geoJSON(null, {
      pane: 'cc-regions',
      style: () => this.areaStyle(),
      onEachFeature: (feature, layer) => {
        layer.on('click', (e) => {
          if (this.passClicks()) return;
          L.DomEvent.stopPropagation(e);
          this.onClick(feature.properties);
        });
        layer.bindTooltip(() => this.tooltip(feature.properties), { sticky: true });
      },
    }).addTo(map);
    this.items = [];
    this.level = null;
    this.values = new Map(); // code -> choropleth value
    this.colourOf = () => null;
    this.labelOf = () => '';
  }

  async load() {
    const items = await allPages('/api/v1/regions?geometry=true&limit=1000');
    this.items = items.filter((r) => r.geometry);
    return this.items;
  }

  /** Levels with boundaries, from the top down. */
  levels() {
    const present = new Set(this.items.map((r) => r.level));
    return LEVEL_ORDER.filter((l) => present.has(l));
  }

  /** The deepest level with at most `most` regions: small enough to click and colour. */
  defaultLevel(most = 30) {
    const levels = this.levels();
    let chosen = levels[0] ?? null;
    for (const level of levels) {
      const count = this.items.filter((r) => r.level === level).length;
      if (count > 1 && count <= most) chosen = level;
    }
    return chosen;
  }

  root() {
    const codes = new Set(this.items.map((r) => r.code));
    return this.items.find((r) => !r.parent_code || !codes.has(r.parent_code)) ?? null;
  }

  byCode(code) {
    return this.items.find((r) => r.code === code) ?? null;
  }

  /** Draw the chosen level as clickable areas, the others as thin outlines. */
  show(level) {
    this.level = level;
    this.outlines.clearLayers();
    for (const region of this.items) {
      if (region.level === level) continue;
      L.geoJSON(region.geometry, {
        pane: 'cc-regions',
        interactive: false,
        style: { className: 'cc-outline', color: '#555', weight: OUTLINE_WEIGHT[region.level] ?? 1, fill: false, dashArray: region.level === 'community' ? '3 3' : null },
      }).addTo(this.outlines);
    }
    this.areas.clearLayers();
    this.areas.addData(
      this.items
        .filter((r) => r.level === level)
        .map((r) => ({ type: 'Feature', geometry: r.geometry, properties: r })),
    );
    this.restyle();
  }

  areaStyle() {
    return { className: 'cc-region', color: '#333', weight: 1.5, fillColor: '#ffffff', fillOpacity: 0.05 };
  }

  /** Colour the areas by `colourOf(code)` (null: no colour). */
  paint(colourOf, labelOf) {
    this.colourOf = colourOf;
    this.labelOf = labelOf;
    this.restyle();
  }

  restyle() {
    this.areas.eachLayer((layer) => {
      const colour = this.colourOf(layer.feature.properties.code);
      layer.setStyle(colour ? { fillColor: colour, fillOpacity: 0.55 } : { fillColor: '#ffffff', fillOpacity: 0.05 });
    });
  }

  tooltip(region) {
    const label = this.labelOf(region.code);
    return `${region.name}${label ? `<br>${label}` : ''}`;
  }

  bounds() {
    const all = L.geoJSON(this.items.map((r) => r.geometry));
    return all.getBounds();
  }

  count() {
    return this.areas.getLayers().length + this.outlines.getLayers().length;
  }
}

export class Streets {
  constructor(map) {
    // Thousands of lines: drawn on a canvas, not as SVG elements.
    this.layer = L.geoJSON(null, {
      renderer: L.canvas({ padding: 0.2, pane: 'cc-streets' }),
      pane: 'cc-streets',
      interactive: false,
      style: { color: '#9a9a9a', weight: 0.8, opacity: 0.8 },
    }).addTo(map);
  }

  async load() {
    const collection = await api('/api/v1/coverage/streets', { accept: 'application/geo+json' });
    this.layer.clearLayers();
    this.layer.addData(collection);
    return collection.features.length;
  }

  count() {
    return this.layer.getLayers().length;
  }
}

export class Facilities {
  constructor(map, { onClick }) {
    this.map = map;
    this.onClick = onClick;
    this.group = L.layerGroup().addTo(map);
    this.byType = new Map(); // type -> L.LayerGroup
    this.items = [];
    this.closed = new Set(); // ids closed in the what-if
  }

  async load() {
    const snapshot = await api('/api/v1/facilities/snapshot');
    this.items = snapshot.items;
    this.registryVersion = snapshot.registry_version;
    this.draw();
    return this.items.length;
  }

  colour(type) {
    return TYPE_COLOURS[type] ?? OTHER_COLOUR;
  }

  draw() {
    this.group.clearLayers();
    this.byType.clear();
    for (const item of this.items) {
      if (!this.byType.has(item.type)) this.byType.set(item.type, L.layerGroup().addTo(this.group));
      const closed = this.closed.has(String(item.id)) || item.status === 'closed';
      const marker = L.circleMarker([item.lat, item.lon], {
        pane: 'cc-facilities',
        className: `cc-facility cc-type-${item.type}${closed ? ' cc-closed' : ''}`,
        radius: item.type === 'nursing_home' || item.type === 'care_center' ? 7 : 5.5,
        color: '#fff',
        weight: 1.5,
        fillColor: closed ? '#bbbbbb' : this.colour(item.type),
        fillOpacity: item.status === 'planned' ? 0.45 : 0.95,
        dashArray: item.status === 'planned' ? '2 2' : null,
      });
      marker.facility = item;
      marker.bindTooltip(() => `${item.name}<br>${typeName(item.type)} · ${statusName(item.status)}`);
      marker.on('click', (e) => {
        L.DomEvent.stopPropagation(e);
        this.onClick(item, marker);
      });
      marker.addTo(this.byType.get(item.type));
    }
  }

  /** Counts by type, in a stable order (the legend). */
  typeCounts() {
    const counts = new Map();
    for (const item of this.items) counts.set(item.type, (counts.get(item.type) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1]);
  }

  setTypeVisible(type, visible) {
    const layer = this.byType.get(type);
    if (!layer) return;
    if (visible) this.group.addLayer(layer);
    else this.group.removeLayer(layer);
  }

  count() {
    let n = 0;
    for (const layer of this.byType.values()) if (this.group.hasLayer(layer)) n += layer.getLayers().length;
    return n;
  }

  /** Legend entries: a swatch, the type's name, the count and a visibility checkbox. */
  renderLegend(list) {
    list.replaceChildren();
    for (const [type, count] of this.typeCounts()) {
      const li = document.createElement('li');
      li.className = 'cc-legend-item';
      li.dataset.type = type;
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = this.group.hasLayer(this.byType.get(type));
      box.addEventListener('change', () => this.setTypeVisible(type, box.checked));
      const swatch = document.createElement('span');
      swatch.className = 'swatch dot';
      swatch.style.background = this.colour(type);
      const label = document.createElement('label');
      label.append(box, swatch, ` ${typeName(type)} `);
      const n = document.createElement('span');
      n.className = 'count';
      n.textContent = String(count);
      label.append(n);
      li.append(label);
      list.append(li);
    }
    if (!list.children.length) list.textContent = t('none');
  }
}
