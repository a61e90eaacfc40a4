"""One multi-source Dijkstra from all stations at once (scipy.sparse.csgraph).

Each station ``s`` sits ``a_s`` meters (straight line) off its node. To give the
search those head starts without one pass per station, every station becomes a
virtual node joined to its snapped node by an edge of cost ``a_s``; a single
``dijkstra(indices=virtual_nodes, min_only=True)`` then returns, for every node,
``min_s (a_s + d(s, node))`` and the station that attains it. Walking networks
are costed in meters (speed applied at the end, so 0.8 or 1.0 m/s share a pass);
driving networks in seconds (per-edge speeds), with the station access leg
converted at ``access_speed_mps``.

The search runs on the *reversed* graph: it measures travel from each node to
the station, which is what an elderly resident (or a car on oneway streets) does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from services.coverage.graph import WALK, Network
from services.coverage.snapping import Segments, network_segments


@dataclass(frozen=True)
class Reach:
    """Per network node: cost to the nearest station (m or s; inf if none) and its index."""

    cost: NDArray[np.float64]
    station: NDArray[np.int64]  # -1 where unreachable
    unit: str  # "m" (walking) or "s" (driving)


def augmented_graph(
    net: Network, station_node: NDArray[np.int64], station_cost: NDArray[np.float64]
) -> sp.csr_matrix:
    """The reversed cost graph plus one virtual node per station (rows n .. n+k-1).

    Built by appending CSR rows directly (no sparse stacking: at a million nodes
    that copy would cost more than the search). Walking graphs are symmetric by
    construction, so they are not transposed.
    """
    n, k = net.n_nodes, int(station_node.size)
    if net.kind == WALK and net.speed_mps is None:
        indptr, indices = net.indptr, net.indices
        data = net.length_m
    else:
        base = net.cost_matrix(reverse=True)
        indptr, indices, data = base.indptr, base.indices, base.data
    aug_indptr = np.concatenate([indptr, indptr[-1] + np.arange(1, k + 1, dtype=indptr.dtype)])
    aug_indices = np.concatenate([indices, station_node.astype(indices.dtype)])
    aug_data = np.concatenate([data, np.asarray(station_cost, dtype=np.float64)])
    return sp.csr_matrix((aug_data, aug_indices, aug_indptr), shape=(n + k, n + k))


def nearest_station(
    net: Network,
    station_node: NDArray[np.int64],
    station_access_m: NDArray[np.float64],
    *,
    limit: float = np.inf,
    access_speed_mps: float = 1.0,
) -> Reach:
    """Cost from every node to its nearest station, in one Dijkstra pass.

    Parameters
    ----------
    station_node : snapped node of each station.
    station_access_m : straight-line meters from each station to its node.
    limit : stop the search at this cost (m walking, s driving); beyond it -> inf.
    access_speed_mps : converts the access leg to seconds on driving networks.
    """
    station_node = np.asarray(station_node, dtype=np.int64)
    n = net.n_nodes
    if station_node.size == 0:
        return Reach(np.full(n, np.inf), np.full(n, -1, dtype=np.int64), _unit(net))
    access = np.asarray(station_access_m, dtype=np.float64)
    if net.speed_mps is not None:
        access = access / access_speed_mps
    graph = augmented_graph(net, station_node, access)
    virtual = np.arange(n, n + station_node.size)
    dist, _pred, src = dijkstra(
        graph, directed=True, indices=virtual, min_only=True, limit=limit, return_predecessors=True
    )
    cost = np.asarray(dist[:n], dtype=np.float64)
    station = np.where(np.isfinite(cost), src[:n].astype(np.int64) - n, -1)
    return Reach(cost, station, _unit(net))


def _unit(net: Network) -> str:
    return "m" if net.speed_mps is None else "s"


def demand_minutes(
    reach: Reach,
    demand_node: NDArray[np.int64],
    demand_access_m: NDArray[np.float64],
    speed_mps: float,
    reachable: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Minutes from each demand point to its nearest station (nan if none) and that station.

    Walking: (a_s + network_m + a_d) / speed. Driving: network seconds plus the
    access legs at ``speed_mps``. ``reachable=False`` (e.g. off the network) -> nan.
    """
    if speed_mps <= 0:
        raise ValueError("speed must be > 0 m/s")
    node_cost = reach.cost[demand_node]
    if reach.unit == "m":
        seconds = (node_cost + demand_access_m) / speed_mps
    else:
        seconds = node_cost + demand_access_m / speed_mps
    minutes = seconds / 60.0
    station = reach.station[demand_node].copy()
    bad = ~np.isfinite(minutes)
    if reachable is not None:
        bad |= ~reachable
    minutes[bad] = np.nan
    station[bad] = -1
    return minutes, station


# --- points on street segments (stations and homes between two nodes) -------------------


def search_cost(net: Network) -> NDArray[np.float64]:
    """Cost of each CSR edge in the search's unit: meters (walking) or seconds (driving)."""
    return net.length_m if net.speed_mps is None else net.length_m / net.speed_mps


def street_segments(net: Network) -> Segments:
    """The network's segments with their costs in the search's unit (see ``search_cost``)."""
    symmetric = net.kind == WALK and net.speed_mps is None
    return network_segments(net.indptr, net.indices, search_cost(net), symmetric)


def along(
    segs: Segments, seg: NDArray[np.int64], t: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Costs along the segment between a point at ``t`` (0 at ``a``, 1 at ``b``) and its ends.

    Returns (point -> a, point -> b, a -> point, b -> point): a way closed by a oneway
    street costs inf, except a zero length (a point exactly at an end).
    """
    ab, ba = segs.cost_ab[seg], segs.cost_ba[seg]
    with np.errstate(invalid="ignore"):
        to_a = np.where(t <= 0, 0.0, t * ba)
        to_b = np.where(t >= 1, 0.0, (1 - t) * ab)
        from_a = np.where(t <= 0, 0.0, t * ab)
        from_b = np.where(t >= 1, 0.0, (1 - t) * ba)
    return to_a, to_b, from_a, from_b


def nearest_station_on_segments(
    net: Network,
    segs: Segments,
    seg: NDArray[np.int64],
    t: NDArray[np.float64],
    access_m: NDArray[np.float64],
    *,
    limit: float = np.inf,
    access_speed_mps: float = 1.0,
) -> Reach:
    """Cost from every node to its nearest station, stations standing beside segments.

    Each station is a virtual node reached from both ends of its segment (from ``a``
    along ``a -> b`` for ``t`` of the segment's cost, from ``b`` the rest of the way the
    other direction), plus its straight access leg: one Dijkstra pass, as
    :func:`nearest_station`.
    """
    k = int(seg.size)
    n = net.n_nodes
    if k == 0:
        return Reach(np.full(n, np.inf), np.full(n, -1, dtype=np.int64), _unit(net))
    access = np.asarray(access_m, dtype=np.float64)
    if net.speed_mps is not None:
        access = access / access_speed_mps
    _, _, from_a, from_b = along(segs, seg, t)
    owner = np.concatenate([np.arange(k), np.arange(k)])
    node = np.concatenate([segs.a[seg], segs.b[seg]])
    cost = np.concatenate([access + from_a, access + from_b])
    open_ = np.isfinite(cost)
    graph = attached_graph(net, owner[open_], node[open_], cost[open_], k)
    virtual = np.arange(n, n + k)
    dist, _pred, src = dijkstra(
        graph, directed=True, indices=virtual, min_only=True, limit=limit, return_predecessors=True
    )
    cost_n = np.asarray(dist[:n], dtype=np.float64)
    station = np.where(np.isfinite(cost_n), src[:n].astype(np.int64) - n, -1)
    return Reach(cost_n, station, _unit(net))


def attached_graph(
    net: Network,
    owner: NDArray[np.int64],
    node: NDArray[np.int64],
    cost: NDArray[np.float64],
    k: int,
) -> sp.csr_matrix:
    """The reversed cost graph plus ``k`` virtual rows; row ``n + owner[i]`` -> ``node[i]``."""
    n = net.n_nodes
    if net.kind == WALK and net.speed_mps is None:
        indptr, indices, data = net.indptr, net.indices, net.length_m
    else:
        base = net.cost_matrix(reverse=True)
        indptr, indices, data = base.indptr, base.indices, base.data
    order = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=k)
    aug_indptr = np.concatenate([indptr, indptr[-1] + np.cumsum(counts).astype(indptr.dtype)])
    aug_indices = np.concatenate([indices, node[order].astype(indices.dtype)])
    aug_data = np.concatenate([data, cost[order]])
    return sp.csr_matrix((aug_data, aug_indices, aug_indptr), shape=(n + k, n + k))


def segment_minutes(
    reach: Reach,
    segs: Segments,
    seg: NDArray[np.int64],
    t: NDArray[np.float64],
    access_m: NDArray[np.float64],
    speed_mps: float,
    stations: tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]],
    reachable: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Minutes from each point beside a segment to its nearest station (nan if none).

    The walk goes along the segment to one of its ends and on (``reach`` gives the rest),
    or straight along the segment to a station on the same segment. ``stations`` is
    (segment, t, access cost in the search's unit) of the stations that were searched
    from, in ``reach``'s station order. Walking: (network m + access m) / speed;
    driving: network seconds + access m / speed.
    """
    if speed_mps <= 0:
        raise ValueError("speed must be > 0 m/s")
    to_a, to_b, _, _ = along(segs, seg, t)
    via_a = to_a + reach.cost[segs.a[seg]]
    via_b = to_b + reach.cost[segs.b[seg]]
    best = np.minimum(via_a, via_b)
    station = np.where(via_a <= via_b, reach.station[segs.a[seg]], reach.station[segs.b[seg]])
    _same_segment(segs, seg, t, stations, best, station)
    walking = reach.unit == "m"
    seconds = (best + access_m) / speed_mps if walking else best + access_m / speed_mps
    minutes = seconds / 60.0
    bad = ~np.isfinite(minutes)
    if reachable is not None:
        bad |= ~reachable
    minutes[bad] = np.nan
    station = np.where(bad, -1, station)
    return minutes, station


def _same_segment(
    segs: Segments,
    seg: NDArray[np.int64],
    t: NDArray[np.float64],
    stations: tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]],
    best: NDArray[np.float64],
    station: NDArray[np.int64],
) -> None:
    """Lower ``best``/``station`` in place where a station on the point's own segment is
    nearer straight along it (its ends would be a detour)."""
    s_seg, s_t, s_cost = stations
    if s_seg.size == 0:
        return
    with_station = np.zeros(segs.a.size, dtype=bool)
    with_station[s_seg] = True
    pts = np.flatnonzero(with_station[seg])  # few: homes on a segment with a station
    if pts.size == 0:
        return
    order = np.argsort(s_seg, kind="stable")
    sorted_seg = s_seg[order]
    lo = np.searchsorted(sorted_seg, seg[pts], side="left")
    c = np.searchsorted(sorted_seg, seg[pts], side="right") - lo
    point = np.repeat(pts, c)
    st = order[np.repeat(lo - (np.cumsum(c) - c), c) + np.arange(int(c.sum()))]
    dt = s_t[st] - t[point]
    ps = seg[point]
    with np.errstate(invalid="ignore"):
        way = np.where(dt > 0, dt * segs.cost_ab[ps], np.where(dt < 0, -dt * segs.cost_ba[ps], 0.0))
    total = way + s_cost[st]
    better = total < best[point]
    point, st, total = point[better], st[better], total[better]
    if point.size == 0:
        return
    first = np.lexsort((total, point))  # the cheapest station first for each point
    keep = first[np.concatenate([[True], point[first][1:] != point[first][:-1]])]
    best[point[keep]] = total[keep]
    station[point[keep]] = st[keep]
