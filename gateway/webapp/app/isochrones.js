// Isochrones as GeoJSON: the client is written against the FeatureCollection the coverage
// service answers with `application/geo+json` (one feature per station and minute value,
// properties station_id, minutes). `asFeatureCollection` also accepts the older answer
// ({items: [{id, status, contours: [{minutes, geometry}]}]}) and converts it, in one place.

/** The answer of POST /api/v1/coverage/runs/{id}/isochrones as a FeatureCollection. */
export function asFeatureCollection(answer) {
  if (answer && answer.type === 'FeatureCollection') return answer;
  const features = [];
  for (const item of answer?.items ?? []) {
    for (const contour of item.contours ?? []) {
      if (!contour.geometry) continue;
      features.push({
        type: 'Feature',
        geometry: contour.geometry,
        properties: { station_id: String(item.id), minutes: contour.minutes, status: item.status },
      });
    }
  }
  return { type: 'FeatureCollection', features };
}

/** Largest first, so the smaller (nested) contours are drawn on top and stay clickable. */
export function drawingOrder(collection) {
  return [...collection.features].sort((a, b) => b.properties.minutes - a.properties.minutes);
}

export const MINUTE_COLOURS = { 5: '#1a9850', 10: '#91cf60', 15: '#fee08b' };

export function minuteColour(minutes) {
  return MINUTE_COLOURS[minutes] ?? '#d9d9d9';
}
