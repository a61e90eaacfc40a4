"""Facility dicts as RFC 7946 GeoJSON, and output coordinates in the CRS a client asked for (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from services.facilities.crs import from_wgs84

GEOJSON = "application/geo+json"


def wants_geojson(accept: str | None) -> bool:
    """True when the Accept header names GeoJSON (``application/geo+json``)."""
    return bool(accept) and GEOJSON in accept.lower()  # type: ignore[union-attr]


def reproject_items(items: list[dict[str, Any]], crs: str) -> list[dict[str, Any]]:
    """Rewrite ``lon``/``lat`` of WGS84 items into ``crs`` in place (one vectorised call)."""
    if crs == "wgs84" or not items:
        return items
    lons = np.fromiter((item["lon"] for item in items), dtype=np.float64, count=len(items))
    lats = np.fromiter((item["lat"] for item in items), dtype=np.float64, count=len(items))
    out_lon, out_lat = from_wgs84(lons, lats, crs)
    for item, lon, lat in zip(items, out_lon.tolist(), out_lat.tolist(), strict=True):
        item["lon"], item["lat"] = lon, lat
    return items


def point_feature(item: dict[str, Any]) -> dict[str, Any]:
    """A facility as a GeoJSON Feature: Point geometry, the id, every other field a property."""
    properties = {key: value for key, value in item.items() if key not in ("id", "lon", "lat")}
    return {
        "type": "Feature",
        "id": item["id"],
        "geometry": {"type": "Point", "coordinates": [item["lon"], item["lat"]]},
        "properties": properties,
    }


def feature_collection(
    items: Sequence[dict[str, Any]], *, links: list[dict[str, Any]] | None = None, **members: Any
) -> dict[str, Any]:
    """A FeatureCollection of facility items, with optional ``links`` and extra members."""
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [point_feature(i) for i in items],
    }
    if links is not None:
        body["links"] = links
    body.update(members)
    return body
