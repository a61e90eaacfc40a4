"""Station-by-demand travel costs within a horizon, and two-step floating catchment (2SFCA)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from services.coverage.graph import Network


def station_demand_minutes(
    net: Network,
    station_node: NDArray[np.int64],
    station_access_m: NDArray[np.float64],
    demand_node: NDArray[np.int64],
    demand_access_m: NDArray[np.float64],
    speed_mps: float,
    horizon_min: float,
    chunk: int = 64,
) -> NDArray[np.float64]:
    """(demand x station) minutes, inf beyond ``horizon_min`` (walking networks, meters).

    One limited search per chunk of stations (not min_only: every pair is needed here,
    for siting candidates and 2SFCA); memory is chunk x nodes at a time.
    """
    graph = net.cost_matrix(reverse=True)
    # each searched station holds a dense row of n_nodes floats: cap a chunk at ~160 MB
    chunk = max(1, min(chunk, 20_000_000 // max(net.n_nodes, 1)))
    limit_m = horizon_min * 60 * speed_mps
    out = np.full((demand_node.size, station_node.size), np.inf)
    for s0 in range(0, station_node.size, chunk):
        nodes = station_node[s0 : s0 + chunk]
        dist = dijkstra(graph, directed=True, indices=nodes, limit=limit_m)
        total = station_access_m[s0 : s0 + chunk, None] + dist[:, demand_node] + demand_access_m
        mins = (total / speed_mps / 60.0).T
        mins[mins > horizon_min] = np.inf
        out[:, s0 : s0 + chunk] = mins
    return out


def two_step_fca(
    minutes: NDArray[np.float64],
    capacity: NDArray[np.float64],
    elderly: NDArray[np.float64],
    horizon_min: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """2SFCA (Luo & Wang 2003): beds per elderly person within reach.

    Step 1: R_j = capacity_j / (elderly within horizon of station j).
    Step 2: A_i = sum of R_j over stations within horizon of point i.
    Returns (A per demand point, R per station); R is 0 for a station nobody reaches.
    """
    within = minutes <= horizon_min
    pop = elderly @ within
    ratio = np.divide(capacity, pop, out=np.zeros_like(capacity, dtype=float), where=pop > 0)
    return within @ ratio, ratio
