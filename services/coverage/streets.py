"""A street network's lines for a map's base layer (pure compute: numpy, shapely, pyproj).

The /map page has no tile server offline, so its streets come from the coverage
network itself: each undirected street edge once, chained into longer lines where
streets meet only end to end (shapely's ``line_merge``), thinned with Douglas-Peucker
at ``tolerance_m`` meters in the network's own metric CRS, then written in WGS84
with coordinates rounded to ``digits`` decimals (5 ≈ 1 m). A city's network of a
few hundred thousand edges becomes a few MB of GeoJSON instead of tens.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from services.coverage.graph import Network


def undirected_edges(net: Network) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each street once: node pairs ``(a, b)`` with ``a < b``, from the directed CSR edges.

    >>> from services.coverage.graph import build_network
    >>> net = build_network(np.zeros(3), np.zeros(3), [0, 1], [1, 2], np.ones(2), epsg=3067)
    >>> [a.tolist() for a in undirected_edges(net)]
    [[0, 1], [1, 2]]
    """
    src = net.edge_sources().astype(np.int64)
    dst = net.indices.astype(np.int64)
    pairs = np.unique(np.column_stack([np.minimum(src, dst), np.maximum(src, dst)]), axis=0)
    return pairs[:, 0], pairs[:, 1]


def street_lines(net: Network, tolerance_m: float) -> NDArray[np.object_]:
    """The network's streets as merged, simplified lines in the network's meters."""
    if tolerance_m < 0:
        raise ValueError("tolerance_m must be >= 0")
    a, b = undirected_edges(net)
    if a.size == 0:
        return np.empty(0, dtype=object)
    coords = np.stack(
        [np.column_stack([net.x[a], net.y[a]]), np.column_stack([net.x[b], net.y[b]])], axis=1
    )
    merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(coords)))
    parts = shapely.get_parts(merged)
    if tolerance_m > 0:
        parts = shapely.simplify(parts, tolerance_m)
    drawn: NDArray[np.object_] = parts[~shapely.is_empty(parts)]
    return drawn


def streets_geojson(net: Network, tolerance_m: float = 5.0, digits: int = 5) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (RFC 7946, WGS84) of the network's simplified streets.

    Each feature is one merged line with the length of the line as drawn, in meters.
    All vertices are projected in one call (not one per line).
    """
    lines = street_lines(net, tolerance_m)
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    to_wgs84 = Transformer.from_crs(f"EPSG:{net.epsg}", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(xy[:, 0], xy[:, 1])
    points = np.round(np.column_stack([lon, lat]), digits)
    per_line = np.split(points, np.flatnonzero(np.diff(owner)) + 1) if len(points) else []
    lengths = np.round(shapely.length(lines), 1)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": coordinates.tolist()},
            "properties": {"length_m": float(length)},
        }
        for coordinates, length in zip(per_line, lengths.tolist(), strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}
