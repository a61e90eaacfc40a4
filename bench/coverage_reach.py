"""Benchmark: the coverage search and whole computation against honest baselines.

Every figure is the median (and spread) of >= 3 runs unless said; every baseline runs in
the same process, on the same data, in the same run; the load average is printed.

Networks: Andorra's real walking network (../shared/data/osm-samples/andorra.osm.pbf)
and a generated city (``carecircle synth city``: quick 30,000 nodes, full 1,000,000),
with the city's stations and homes.

Search — one multi-source pass from all stations (stations on their nearest node, no
access leg, so every engine answers the same question), limit 900 m (15 min at 1 m/s)
and none:
  ours          reach.nearest_station (virtual nodes carry the access legs)
  bare scipy    scipy.sparse.csgraph.dijkstra(min_only=True), same CSR, same limit
  networkx      networkx.multi_source_dijkstra_path_length, same cutoff
Checked: all three give the same distances.

Whole job — minutes from every home to its nearest station and the covered share:
  ours          segment index + snapping both point sets to the nearest street point +
                one search + minutes + share (reading the files is not timed here; see
                bench/coverage_cli.py for the whole CLI process)
  pandana       pandana.Network (network build + contraction hierarchies) + set_pois
                (snaps stations) + get_node_ids (snaps homes) + nearest_pois (maxdist
                900 m) + minutes + share: its whole job, precompute included
pandana snaps to the nearest NODE (ours to the nearest point of the nearest segment), so
the covered shares differ a little; the difference is printed, not hidden.

Run: ``.venv/bin/python bench/coverage_reach.py --quick`` (small) or without (full).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import describe, emit, load_avg, row, timed  # noqa: E402

from services.coverage.graph import Network  # noqa: E402

SPEED = 1.0
MINUTES = 15.0
LIMIT_M = MINUTES * 60 * SPEED
ROOT = Path(__file__).resolve().parents[1]
ANDORRA = ROOT.parent / "shared" / "data" / "osm-samples" / "andorra.osm.pbf"


def city_files(nodes: int, seed: int = 1, demand: int | None = None) -> Path:
    """The synth city's files (generated once, kept under var/bench)."""
    out = ROOT / "var" / "bench" / f"synth-{nodes}-{seed}-{demand or nodes}"
    if not (out / "demand.csv").exists():
        cmd = [str(ROOT / ".venv" / "bin" / "carecircle"), "synth", "city"]
        cmd += ["--nodes", str(nodes), "--seed", str(seed), "--out", str(out)]
        if demand:
            cmd += ["--demand", str(demand)]
        subprocess.run(cmd, check=True, capture_output=True)
    return out


def load_city(folder: Path) -> tuple[Network, np.ndarray, np.ndarray]:
    """Network and the stations' and homes' x, y (m, the network's CRS)."""
    from services.coverage.loaders import load_network, to_epsg
    from services.coverage.point_files import read_points

    net = load_network(folder / "network.gpkg")
    st = read_points(folder / "stations.geojson", "stations")
    dm = read_points(folder / "demand.csv", "demand", need_elderly=True)
    sx, sy = to_epsg(net.epsg, st.lon, st.lat)
    dx, dy = to_epsg(net.epsg, dm.lon, dm.lat)
    return net, np.column_stack([sx, sy]), np.column_stack([dx, dy, dm.elderly])


def search_rows(
    tag: str, net: Network, st_nodes: np.ndarray, runs: int, nx_runs: int
) -> list[dict]:
    """Ours vs bare scipy vs networkx, one multi-source pass, with and without a limit."""
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    from services.coverage.reach import nearest_station

    csr = net.cost_matrix()
    t0 = time.perf_counter()
    g = nx.Graph()
    g.add_weighted_edges_from(
        zip(net.edge_sources().tolist(), net.indices.tolist(), net.length_m.tolist(), strict=True)
    )
    print(f"  networkx graph build (not in its figures): {time.perf_counter() - t0:.1f} s")
    sources = set(st_nodes.tolist())
    zero = np.zeros(st_nodes.size)
    rows = []
    for label, limit in (("900 m", LIMIT_M), ("no limit", np.inf)):
        ours_s, ours = timed(
            lambda lim=limit: nearest_station(net, st_nodes, zero, limit=lim), runs
        )
        bare_s, bare = timed(
            lambda lim=limit: dijkstra(
                csr, directed=True, indices=st_nodes, min_only=True, limit=lim
            ),
            runs,
        )
        assert np.array_equal(ours.cost, bare), "ours and bare scipy disagree"
        cutoff = None if np.isinf(limit) else limit
        nx_s, got = timed(
            lambda c=cutoff: nx.multi_source_dijkstra_path_length(g, sources, cutoff=c), nx_runs
        )
        nodes = np.fromiter(got.keys(), dtype=np.int64)
        vals = np.fromiter(got.values(), dtype=np.float64)
        assert nodes.size == np.isfinite(ours.cost).sum(), "networkx reaches other nodes"
        assert np.allclose(ours.cost[nodes], vals, rtol=1e-12, atol=0), "networkx disagrees"
        exact = np.array_equal(ours.cost[nodes], vals)
        base = f"{tag} search {label}: bare scipy multi-source"
        rows += [
            row(f"{tag} search {label}: ours", ours_s, baseline=base),
            row(base, bare_s),
            row(f"{tag} search {label}: networkx multi-source", nx_s, baseline=base),
        ]
        for r in rows[-3:]:
            print("  " + describe(r))
        print(f"  checked: same distances ({'bit for bit' if exact else 'to 1e-12'})")
    return rows


def ours_whole(net: Network, st_xy: np.ndarray, dm: np.ndarray) -> tuple[float, np.ndarray]:
    """Segment index, snap both sets, one search, minutes, covered share of elderly."""
    from services.coverage.circles import station_minutes
    from services.coverage.reach import street_segments
    from services.coverage.snapping import SegmentIndex

    index = SegmentIndex(net.x, net.y, street_segments(net))
    s = index.snap(st_xy[:, 0], st_xy[:, 1], 500.0)
    d = index.snap(dm[:, 0], dm[:, 1], 500.0)
    mins, _ = station_minutes(net, index, s, ~s.too_far, d, SPEED)
    covered = np.nan_to_num(mins, nan=np.inf) <= MINUTES
    return float(dm[covered, 2].sum() / dm[:, 2].sum()), mins


def pandana_whole(net: Network, st_xy: np.ndarray, dm: np.ndarray) -> tuple[float, np.ndarray]:
    """pandana's whole job, precompute included (see the module docstring)."""
    import pandana
    import pandas as pd

    src = net.edge_sources()
    one = src < net.indices
    pn = pandana.Network(
        pd.Series(net.x),
        pd.Series(net.y),
        pd.Series(src[one]),
        pd.Series(net.indices[one]),
        pd.DataFrame({"d": net.length_m[one]}),
        twoway=True,
    )
    pn.set_pois("st", LIMIT_M, 1, pd.Series(st_xy[:, 0]), pd.Series(st_xy[:, 1]))
    node = pn.get_node_ids(pd.Series(dm[:, 0]), pd.Series(dm[:, 1])).to_numpy()
    res = pn.nearest_pois(LIMIT_M, "st", num_pois=1, max_distance=np.inf)
    node_m = res[1].to_numpy().astype(np.float64)[node]
    access = np.hypot(dm[:, 0] - net.x[node], dm[:, 1] - net.y[node])
    mins = (node_m + access) / SPEED / 60.0
    mins[~np.isfinite(mins) | (access > 500.0)] = np.nan
    covered = np.nan_to_num(mins, nan=np.inf) <= MINUTES
    return float(dm[covered, 2].sum() / dm[:, 2].sum()), mins


def whole_rows(
    tag: str, net: Network, st_xy: np.ndarray, dm: np.ndarray, runs: int, p_runs: int
) -> list[dict]:
    ours_s, (share, mins) = timed(lambda: ours_whole(net, st_xy, dm), runs)
    base = f"{tag} whole job: pandana (build + CH + snap + query)"
    rows = [row(f"{tag} whole job: ours (index + snap + search + minutes)", ours_s, baseline=base)]
    if p_runs:
        p_s, (p_share, p_mins) = timed(lambda: pandana_whole(net, st_xy, dm), p_runs)
        rows.append(row(base, p_s))
        flip = np.mean(
            (np.nan_to_num(mins, nan=np.inf) <= MINUTES)
            != (np.nan_to_num(p_mins, nan=np.inf) <= MINUTES)
        )
        both = np.isfinite(mins) & np.isfinite(p_mins)
        over = np.percentile(p_mins[both] - mins[both], 95) if both.any() else float("nan")
        print(
            f"  covered share of elderly: ours {share:.4f} (nearest street point), pandana "
            f"{p_share:.4f} (nearest node); {flip * 100:.2f} % of homes change covered "
            f"status; node snapping's minutes minus ours, 95th percentile: {over:.2f} min"
        )
    for r in rows:
        print("  " + describe(r))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="30,000-node city, fewer runs")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pandana-runs", type=int, default=None, help="default 3 (quick) / 1")
    ap.add_argument("--nodes", type=int, default=None, help="synth city size")
    args = ap.parse_args()
    start = load_avg()
    print(f"load average at start: {start}")
    from services.coverage.loaders import load_osm_pbf
    from services.coverage.snapping import NodeIndex

    nodes = args.nodes or (30_000 if args.quick else 1_000_000)
    p_runs = args.pandana_runs if args.pandana_runs is not None else (3 if args.quick else 1)
    rows: list[dict] = []
    rng = np.random.default_rng(1)
    andorra = load_osm_pbf(ANDORRA)
    st = rng.choice(andorra.n_nodes, 50, replace=False)
    base = rng.integers(0, andorra.n_nodes, 20_000)
    a_dm = np.column_stack(
        [andorra.x[base] + rng.normal(0, 20, base.size), andorra.y[base] + rng.normal(0, 20, base.size),
         rng.integers(1, 60, base.size).astype(float)]
    )  # fmt: skip
    a_st = np.column_stack([andorra.x[st], andorra.y[st]])
    print(f"\n== andorra (real OSM): {andorra.n_nodes:,} nodes, 50 stations, 20,000 homes")
    rows += search_rows("andorra", andorra, st, args.runs, args.runs)
    rows += whole_rows("andorra", andorra, a_st, a_dm, args.runs, p_runs)

    net, st_xy, dm = load_city(city_files(nodes))
    st_nodes = np.unique(NodeIndex(net.x, net.y).snap(st_xy[:, 0], st_xy[:, 1]).node)
    print(
        f"\n== synth city: {net.n_nodes:,} nodes, {st_xy.shape[0]:,} stations, "
        f"{dm.shape[0]:,} homes (carecircle synth city --nodes {nodes} --seed 1)"
    )
    rows += search_rows("synth", net, st_nodes, args.runs, args.runs if args.quick else 1)
    rows += whole_rows("synth", net, st_xy, dm, args.runs, p_runs)
    emit("coverage_reach", rows, start)


if __name__ == "__main__":
    main()
