// Colours of facility types and of the choropleth / gap scales (one place).
export const TYPE_COLOURS = {
  nursing_home: '#7b3294',
  care_center: '#d7191c',
  community_station: '#2c7bb6',
  day_care: '#fdae61',
  meal_point: '#1a9641',
  mutual_aid_point: '#a6611a',
  rural_happiness_home: '#f781bf',
  township_home: '#4d4d4d',
  embedded_home: '#00a6a6',
};
export const OTHER_COLOUR = '#888888';

/** Five sequential classes, light to dark (ColorBrewer YlGnBu / OrRd). */
export const GOOD_SCALE = ['#edf8b1', '#c7e9b4', '#7fcdbb', '#2c7fb8', '#253494'];
export const BAD_SCALE = ['#fef0d9', '#fdcc8a', '#fc8d59', '#e34a33', '#b30000'];

/** Class breaks of `values` into `n` equal-count classes (quantiles); returns n-1 upper bounds. */
export function quantileBreaks(values, n = 5) {
  const sorted = values.filter((v) => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return [];
  const breaks = [];
  for (let i = 1; i < n; i += 1) breaks.push(sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / n))]);
  return breaks;
}

/** The class of `value` given `breaks` (0 … breaks.length). */
export function classOf(value, breaks) {
  let k = 0;
  while (k < breaks.length && value > breaks[k]) k += 1;
  return k;
}
