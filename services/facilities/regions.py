"""Administrative-region logic: the code hierarchy and point → region, as pure functions.

Codes are 12-digit statistical division codes nesting 2+2+2+3+3 digits (province,
city, district, street, community); 6-digit adcodes are padded with six zeros.
Geometries are shapely, WGS84 lon/lat degrees. No I/O here: the repository feeds
candidate rows in (pre-filtered by R*Tree or GiST) and these functions decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from services.common.identity import region_prefix
from services.facilities import crs as crs_mod
from services.facilities.schemas import REGION_LEVELS

LEVEL_DEPTH: dict[str, int] = {level: depth for depth, level in enumerate(REGION_LEVELS)}
# Digits that identify a region at each level (the rest of its 12-digit code is zeros).
LEVEL_DIGITS: dict[str, int] = {
    "province": 2,
    "city": 4,
    "district": 6,
    "street": 9,
    "community": 12,
}


def level_of_code(code: str) -> str:
    """The deepest level a code can name, from where its trailing zeros start.

    >>> level_of_code("500112000000"), level_of_code("500000000000")
    ('district', 'province')
    """
    prefix = region_prefix(code)
    for level, digits in LEVEL_DIGITS.items():
        if len(prefix) <= digits:
            return level
    return "community"


def parent_of_code(code: str) -> str | None:
    """The code of the enclosing region implied by the code's digit groups (None for provinces).

    >>> parent_of_code("500112000000"), parent_of_code("350200000000")
    ('500100000000', '350000000000')
    """
    prefix = region_prefix(code)
    widths = [2, 4, 6, 9, 12]
    shorter = [w for w in widths if w < len(prefix)]
    if not shorter:
        return None
    return prefix[: shorter[-1]].ljust(12, "0")


def city_prefix(code: str) -> str:
    """The code prefix of the city a region belongs to (a province code keeps its 2 digits)."""
    prefix = region_prefix(code)
    return prefix[:4] if len(prefix) >= 4 else prefix


def is_within(code: str, ancestor: str) -> bool:
    """True when ``code`` is ``ancestor`` or one of its descendants (by code prefix)."""
    return code.startswith(region_prefix(ancestor))


def deepest(candidates: Sequence[tuple[str, str]]) -> str | None:
    """The most specific of ``(code, level)`` candidates (community beats street beats …)."""
    if not candidates:
        return None
    return max(candidates, key=lambda c: (LEVEL_DEPTH[c[1]], c[0]))[0]


def as_multipolygon(geometry: BaseGeometry) -> MultiPolygon:
    """A valid MultiPolygon from any polygonal geometry; ValueError if nothing polygonal remains."""
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    polygons: list[Polygon] = []
    if isinstance(geometry, Polygon):
        polygons = [geometry]
    elif isinstance(geometry, MultiPolygon):
        polygons = list(geometry.geoms)
    elif hasattr(geometry, "geoms"):
        for part in geometry.geoms:
            if isinstance(part, Polygon):
                polygons.append(part)
            elif isinstance(part, MultiPolygon):
                polygons.extend(part.geoms)
    polygons = [p for p in polygons if not p.is_empty]
    if not polygons:
        raise ValueError(f"geometry must be a Polygon or MultiPolygon, got {geometry.geom_type}")
    return MultiPolygon(polygons)


def geometry_from_geojson(obj: dict[str, Any]) -> MultiPolygon:
    """A GeoJSON Polygon/MultiPolygon object as a valid shapely MultiPolygon."""
    if not isinstance(obj, dict) or obj.get("type") not in ("Polygon", "MultiPolygon"):
        kind = obj.get("type") if isinstance(obj, dict) else type(obj).__name__
        raise ValueError(f"geometry must be a GeoJSON Polygon or MultiPolygon, got {kind}")
    try:
        geometry = shape(obj)
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"geometry is not valid GeoJSON: {exc}") from exc
    return as_multipolygon(geometry)


def geometry_to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    return dict(mapping(geometry))


def transform_geometry(
    geometry: BaseGeometry, *, from_crs: str = "wgs84", to_crs: str = "wgs84"
) -> BaseGeometry:
    """Re-express every vertex between wgs84, gcj02 and bd09 (the China map offsets)."""
    if from_crs == to_crs:
        return geometry

    def convert(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = crs_mod.to_wgs84(xy[:, 0], xy[:, 1], from_crs)
        lon, lat = crs_mod.from_wgs84(lon, lat, to_crs)
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, convert)


def covering_codes(
    lon: float, lat: float, candidates: Sequence[tuple[str, str, BaseGeometry]]
) -> list[tuple[str, str]]:
    """The ``(code, level)`` of candidates whose polygon covers the point (boundary included)."""
    point = shapely.Point(lon, lat)
    return [
        (code, level) for code, level, geom in candidates if geom is not None and geom.covers(point)
    ]


def assign_regions(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    regions: Sequence[tuple[str, str, BaseGeometry]],
) -> list[str | None]:
    """The deepest region covering each point (None outside all), for many points at once.

    An STRtree over the region polygons answers all points in one vectorised query,
    so a 100,000-row import does not make 100,000 database round trips.
    """
    out: list[str | None] = [None] * len(lon)
    usable = [r for r in regions if r[2] is not None]
    if not usable or len(lon) == 0:
        return out
    tree = shapely.STRtree([r[2] for r in usable])
    points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    point_idx, region_idx = tree.query(points, predicate="covered_by")
    best_depth = np.full(len(lon), -1)
    for p, r in zip(point_idx.tolist(), region_idx.tolist(), strict=True):
        code, level, _ = usable[r]
        depth = LEVEL_DEPTH[level]
        if depth > best_depth[p] or (
            depth == best_depth[p] and out[p] is not None and code > out[p]
        ):
            best_depth[p] = depth
            out[p] = code
    return out
