"""Queries on a finished run that need the network again: isochrones and siting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h3
import numpy as np
from numpy.typing import NDArray

from services.coverage.access import station_demand_minutes
from services.coverage.graph import Network
from services.coverage.isochrones import isochrone_batch
from services.coverage.loaders import PointSet, from_epsg, points_from_records, to_epsg
from services.coverage.siting import capacitated, exact, greedy
from services.coverage.snapping import NodeIndex

MAX_DEFAULT_CANDIDATES = 200


def isochrones(
    net: Network,
    index: NodeIndex,
    stations: list[dict[str, Any]],
    minutes: list[float],
    speed_mps: float,
    max_snap_m: float,
    buffer_m: float,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Per-station nested contours (GeoJSON, WGS84); off-network stations get an error status."""
    prepared = []
    for s in stations:
        x, y = to_epsg(net.epsg, np.array([float(s["lon"])]), np.array([float(s["lat"])]))
        snap = index.snap(x, y, max_snap_m)
        if snap.too_far[0]:
            prepared.append({"id": s["id"], "error": f"{snap.access_m[0]:.0f} m from the network"})
        else:
            prepared.append(
                {"id": s["id"], "node": int(snap.node[0]), "access_m": float(snap.access_m[0])}
            )
    return isochrone_batch(
        net,
        prepared,
        minutes,
        speed_mps,
        lambda x, y: from_epsg(net.epsg, x, y),
        buffer_m,
        progress,
    )


def default_candidates(net: Network, gaps: dict[str, Any], resolution: int) -> list[dict[str, Any]]:
    """Network nodes inside the worst gap cells (a spread sample), as candidate sites."""
    cells = {f["properties"]["cell"] for f in gaps.get("features", [])[:20]}
    if not cells:
        return []
    lon, lat = from_epsg(net.epsg, net.x, net.y)
    inside = np.flatnonzero(
        [
            h3.latlng_to_cell(float(b), float(a), resolution) in cells
            for a, b in zip(lon, lat, strict=True)
        ]
    )
    if inside.size > MAX_DEFAULT_CANDIDATES:
        inside = inside[np.linspace(0, inside.size - 1, MAX_DEFAULT_CANDIDATES).astype(int)]
    return [{"id": f"node-{i}", "lon": float(lon[i]), "lat": float(lat[i])} for i in inside]


def siting(
    net: Network,
    index: NodeIndex,
    dm: PointSet,
    covered: NDArray[np.bool_],
    candidates: list[dict[str, Any]],
    k: int,
    method: str,
    default_capacity: float,
    minutes: float,
    speed_mps: float,
    max_snap_m: float,
    budget: float | None = None,
) -> dict[str, Any]:
    """Choose k candidate sites that newly cover the most elderly (existing stations fixed)."""
    if not candidates:
        raise ValueError("no candidate sites (none given and no gap cells)")
    if budget is not None and method != "exact":
        raise ValueError("a budget is solved by the exact method only")
    cand = points_from_records(candidates, "candidates", need_elderly=False)
    cx, cy = to_epsg(net.epsg, cand.lon, cand.lat)
    dx, dy = to_epsg(net.epsg, dm.lon, dm.lat)
    cs, ds = index.snap(cx, cy, max_snap_m), index.snap(dx, dy, max_snap_m)
    usable = np.flatnonzero(~cs.too_far)
    if usable.size < k:
        raise ValueError(f"only {usable.size} candidate sites are on the network; k={k}")
    mins = station_demand_minutes(
        net, cs.node[usable], cs.access_m[usable], ds.node, ds.access_m, speed_mps, minutes
    )
    mins[ds.too_far] = np.inf
    covers = mins <= minutes
    if method == "greedy":
        pick = greedy(covers, dm.elderly, covered, k)
    elif method == "exact":
        cost = None
        if budget is not None:
            raw: list[Any] = list(cand.attrs.get("cost", [None] * len(cand)))
            if any(c in (None, "") for c in raw):
                raise ValueError("a budget needs a cost on every candidate site")
            cost = np.array([float(c) for c in raw])[usable]
        pick = exact(covers, dm.elderly, covered, k, cost=cost, budget=budget)
    else:
        cap = np.array(
            [
                float(c) if c not in (None, "") else default_capacity
                for c in cand.attrs.get("capacity", [None] * len(cand))
            ]
        )[usable]
        pick = capacitated(covers, dm.elderly, covered, cap, k)
    total = float(dm.elderly.sum())
    before = float(dm.elderly[covered].sum())
    chosen = [
        {
            "id": str(cand.ids[usable[j]]),
            "lon": float(cand.lon[usable[j]]),
            "lat": float(cand.lat[usable[j]]),
            "marginal_elderly": pick.gains[n] if n < len(pick.gains) else None,
        }
        for n, j in enumerate(pick.chosen)
    ]
    return {
        "method": pick.method,
        "k": k,
        "candidates_considered": int(usable.size),
        "chosen": chosen,
        "newly_covered_elderly": pick.newly_covered,
        "covered_share_by_elderly_before": before / total if total else None,
        "covered_share_by_elderly_after": (before + pick.newly_covered) / total if total else None,
    }
