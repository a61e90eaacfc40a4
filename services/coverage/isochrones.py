"""Isochrone polygons per station from the reachable streets (buffered edges, holes kept).

An edge with both ends reachable is taken whole; an edge with one end reachable is
cut at the remaining budget along its straight segment. The union of those line
pieces, buffered by ``buffer_m``, is the polygon: blocks that nothing reaches stay
holes. Because a larger budget reaches a superset of line pieces, contours are
nested (5 ⊆ 10 ⊆ 15 min); we still intersect each with the next larger one so that
buffering round-off can never break the nesting.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from services.coverage.graph import Network

DEFAULT_BUFFER_M = 50.0


def reachable_lines(net: Network, dist_m: NDArray[np.float64], budget_m: float) -> Any:
    """Line pieces (shapely MultiLineString, meters) walkable within ``budget_m``."""
    src = net.edge_sources()
    dst = net.indices
    du, dv = dist_m[src], dist_m[dst]
    whole = (du <= budget_m) & (dv <= budget_m)
    part = (du <= budget_m) & ~whole
    xs, ys, xd, yd = net.x[src], net.y[src], net.x[dst], net.y[dst]
    frac = np.clip((budget_m - du[part]) / np.maximum(net.length_m[part], 1e-9), 0.0, 1.0)
    px = xs[part] + frac * (xd[part] - xs[part])
    py = ys[part] + frac * (yd[part] - ys[part])
    starts = np.concatenate(
        [np.column_stack([xs[whole], ys[whole]]), np.column_stack([xs[part], ys[part]])]
    )
    ends = np.concatenate([np.column_stack([xd[whole], yd[whole]]), np.column_stack([px, py])])
    if starts.shape[0] == 0:
        return shapely.MultiLineString([])
    coords = np.stack([starts, ends], axis=1)
    return shapely.MultiLineString(list(coords))


def station_isochrones(
    net: Network,
    node: int,
    access_m: float,
    minutes: list[float],
    speed_mps: float,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> dict[float, Any]:
    """Nested polygons (meters, the network CRS) for one station, keyed by minutes."""
    if not minutes or any(m <= 0 for m in minutes):
        raise ValueError("minutes must be positive")
    limits = sorted(minutes)
    budget_max = limits[-1] * 60 * speed_mps - access_m
    dist = dijkstra(net.cost_matrix(), directed=True, indices=node, limit=max(budget_max, 0.0))
    out: dict[float, Any] = {}
    larger = None
    for m in reversed(limits):
        budget = m * 60 * speed_mps - access_m
        lines = reachable_lines(net, dist, budget) if budget >= 0 else shapely.MultiLineString([])
        poly = shapely.buffer(lines, buffer_m) if not lines.is_empty else shapely.Polygon()
        if larger is not None:
            poly = shapely.intersection(poly, larger)
        out[m] = poly
        larger = poly
    return out


def isochrone_batch(
    net: Network,
    stations: list[dict[str, Any]],
    minutes: list[float],
    speed_mps: float,
    to_wgs84: Any,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> list[dict[str, Any]]:
    """Isochrones for many stations; a bad station gets its own error, the rest still come.

    ``stations``: dicts with ``id`` and ``node``/``access_m`` (or ``error`` set by snapping).
    ``to_wgs84``: callable (x, y) -> (lon, lat) arrays for GeoJSON output.
    """
    out = []
    for s in stations:
        if s.get("error"):
            out.append({"id": s["id"], "status": "error", "detail": s["error"], "contours": []})
            continue
        try:
            polys = station_isochrones(
                net, int(s["node"]), float(s["access_m"]), minutes, speed_mps, buffer_m
            )
        except (ValueError, IndexError) as exc:
            out.append({"id": s["id"], "status": "error", "detail": str(exc), "contours": []})
            continue
        contours = []
        for m in sorted(polys):
            geom = shapely.transform(
                polys[m], lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1]))
            )
            contours.append({"minutes": m, "geometry": shapely.geometry.mapping(geom)})
        out.append({"id": s["id"], "status": "ok", "contours": contours})
    return out
