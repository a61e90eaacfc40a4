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
