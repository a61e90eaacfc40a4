"""Benchmark: full coverage computation (one multi-source pass) vs networkx and pandana.

Same data, same run, ratios printed. Two networks:

* real: ../shared/data/osm-samples/andorra.osm.pbf (walking), stations on random nodes,
  demand jittered around random nodes (seeded; generated, not real addresses);
* synthetic: a street-like city of 6x5 stitched copies of the Andorra network
  (~1,100,000 nodes) with 5,000 stations and 1,000,000 demand points.

What the product outputs (services/coverage/circles.py): minutes to the nearest station
for EVERY reachable demand point (search without a limit). The like-for-like baselines:

(a) networkx ``single_source_dijkstra_path_length`` per station WITHOUT cutoff, the
    OSMnx-tutorial way, timed on a sample of stations and EXTRAPOLATED linearly to all
    stations (said in the output). The 900 m cutoff variant is printed as an extra line:
    it only answers "covered or not", which is not what the product outputs.
(b) pandana 0.8 doing the same whole job as our whole computation: snapping stations
    (``set_pois``) and demand (``get_node_ids``) with its own KD-tree, ``nearest_pois``
    (contraction hierarchies), then the same minutes and covered share. Two variants:
    maxdist 900 m vs our whole limited run, and maxdist covering every reachable node
    (the largest finite distance of our full search plus a margin) vs our whole full run.
    Its preprocessing (contraction + KD-tree build, once per network) is timed apart and
    NOT included in its figure.

Results are checked: networkx equal bit for bit; pandana snaps to the same (or an equally
near) node, and its distances equal our search on its integer-millimetre edge weights to
float32 rounding, with the same reachability (against the true lengths it is off by up to
1 mm per edge: the maximum is printed).

Run: ``.venv/bin/python bench/coverage_reach.py --quick`` (small) or without it (full).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from services.coverage.graph import Network, build_network
from services.coverage.reach import demand_minutes, nearest_station
from services.coverage.snapping import NodeIndex, Snapped

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
    """The whole computation: snap both point sets, one search, minutes, shares.

    Includes building the KD-tree over the nodes (pandana builds its own in preprocessing).
    """
    t0 = time.perf_counter()
    index = NodeIndex(net.x, net.y)
    tree_s = time.perf_counter() - t0
    s = index.snap(st_xy[:, 0], st_xy[:, 1], 500.0)
    d = index.snap(dm_xy[:, 0], dm_xy[:, 1], 500.0)
    t1 = time.perf_counter()
    reach = nearest_station(net, s.node, s.access_m, limit=limit)
    search_s = time.perf_counter() - t1
    mins, station = demand_minutes(reach, d.node, d.access_m, SPEED, ~d.too_far)
    covered = np.nan_to_num(mins, nan=np.inf) <= MINUTES
    share = float(elderly[covered].sum() / elderly.sum())
    return time.perf_counter() - t0, (search_s, tree_s), reach, d, mins, share


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


def report_networkx(
    net: Network,
    st_nodes: np.ndarray,
    samples: tuple[int, int],
    ours_s: dict[str, float],
) -> None:
    """(a) like-for-like (no cutoff) first, then the cutoff variant as a labelled extra."""
    n_st = st_nodes.size
    runs = (
        ("(a) networkx per station, no cutoff (every node's minutes, like the product)", None),
        (
            f"(a, extra) networkx per station, cutoff {LIMIT_M:g} m (coverage yes/no only, "
            "not what the product outputs)",
            LIMIT_M,
        ),
    )
    for (label, cutoff), sample in zip(runs, samples, strict=True):
        build_s, per_st, best = networkx_per_station(net, st_nodes, sample, cutoff)
        nx_total = per_st * n_st
        limit = np.inf if cutoff is None else cutoff
        sampled = nearest_station(net, st_nodes[:sample], np.zeros(sample), limit=limit)
        nodes = np.fromiter(best.keys(), dtype=np.int64)
        vals = np.fromiter(best.values(), dtype=np.float64)
        assert np.array_equal(sampled.cost[nodes], vals), "networkx disagrees"
        assert np.isfinite(sampled.cost).sum() == nodes.size
        print(
            f"{label}: {per_st * 1000:.1f} ms/station measured on {sample} stations, "
            f"EXTRAPOLATED x{n_st} = {nx_total:,.1f} s (+{build_s:.1f} s graph build); "
            "our distances equal networkx's exactly on the sample"
        )
        kind = "full" if cutoff is None else "limited"
        search_s, whole_s = ours_s[kind + " search"], ours_s[kind + " whole"]
        print(
            f"    ratio networkx / our {kind} search = {nx_total / search_s:,.2f}x; "
            f"networkx / our whole {kind} run = {nx_total / whole_s:,.2f}x"
        )


def pandana_network(net: Network):
    """pandana's preprocessing, once per network: contraction hierarchies + its node KD-tree."""
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
    return pn, time.perf_counter() - t0


def pandana_whole(pn, st_xy: np.ndarray, dm_xy: np.ndarray, elderly: np.ndarray, maxdist: float):
    """pandana doing our whole job: snap both point sets with its own KD-tree, nearest
    station within ``maxdist``, minutes with the same straight-line demand access leg and
    500 m off-network rule, covered share. Node meters are inf where no station is found."""
    import pandas as pd

    category = f"st{maxdist:.0f}"
    t0 = time.perf_counter()
    # set_pois snaps the stations itself (get_node_ids) and builds the POI buckets
    pn.set_pois(category, maxdist, 1, pd.Series(st_xy[:, 0]), pd.Series(st_xy[:, 1]))
    t1 = time.perf_counter()
    node = pn.get_node_ids(pd.Series(dm_xy[:, 0]), pd.Series(dm_xy[:, 1])).to_numpy()
    t2 = time.perf_counter()
    res = pn.nearest_pois(maxdist, category, num_pois=1, max_distance=np.inf)
    t3 = time.perf_counter()
    node_m = res[1].to_numpy().astype(np.float64)[node]  # ids are 0..n-1: positions
    access_m = np.hypot(
        dm_xy[:, 0] - pn.nodes_df["x"].to_numpy()[node],
        dm_xy[:, 1] - pn.nodes_df["y"].to_numpy()[node],
    )
    mins = (node_m + access_m) / SPEED / 60.0
    mins[~np.isfinite(mins) | (access_m > 500.0)] = np.nan
    covered = np.nan_to_num(mins, nan=np.inf) <= MINUTES
    share = float(elderly[covered].sum() / elderly.sum())
    t4 = time.perf_counter()
    steps = {
        "set_pois (snaps stations, POI buckets)": t1 - t0,
        "get_node_ids (snaps demand)": t2 - t1,
        "nearest_pois": t3 - t2,
        "minutes + share": t4 - t3,
    }
    out = {"node": node, "node_m": node_m, "access_m": access_m, "mins": mins, "share": share}
    return t4 - t0, steps, out


def whole_mm_search(net: Network, st_nodes: np.ndarray) -> np.ndarray:
    """Our full search on edge lengths as pandana stores them: whole millimetres, in mm.

    pandana's C++ turns each edge weight into an unsigned integer (``weight * 1000``,
    truncated: DISTANCEMULTFACT in its graphalg; its contraction code makes a 0 weight
    1 mm) and returns ``float32(mm) / 1000``. So its answers differ from the true ones by
    up to 1 mm per edge; against this search they must agree to float32 rounding, which
    is what the bench checks.
    """
    mm = replace(net, length_m=np.maximum(1.0, np.floor(net.length_m * 1000.0)))
    return nearest_station(mm, st_nodes, np.zeros(st_nodes.size)).cost


def check_pandana(p: dict, d_access_m: np.ndarray, mm_cost: np.ndarray, maxdist: float) -> None:
    """pandana's snapping picks an equally near node; its distances equal our mm search's."""
    assert np.allclose(p["access_m"], d_access_m, rtol=0, atol=1e-6), "pandana snaps elsewhere"
    want_mm = mm_cost[p["node"]]
    limit_mm = np.floor(maxdist * 1000.0)
    found = np.isfinite(p["node_m"])
    expect = want_mm <= limit_mm
    edge = np.abs(want_mm - limit_mm) <= 2.0  # within float rounding of the limit
    assert np.all((found == expect) | edge), "pandana reachability disagrees"
    both = found & np.isfinite(want_mm)
    err = np.abs(p["node_m"][both] - want_mm[both] / 1000.0)
    assert np.all(err <= 1e-3 + 2.4e-7 * want_mm[both] / 1000.0), f"pandana: {err.max()} m"


def report_pandana(
    net: Network,
    st_nodes: np.ndarray,
    points: tuple[np.ndarray, np.ndarray, np.ndarray],
    d: Snapped,
    runs: dict[str, dict],
) -> None:
    """(b) pandana's whole job vs our whole run, for maxdist 900 m and for "every node"."""
    st_xy, dm_xy, elderly = points
    pn, prep_s = pandana_network(net)
    print(
        f"\n(b) pandana preprocessing (contraction hierarchies + KD-tree over nodes, once per "
        f"network): {prep_s:.1f} s -- NOT included in the pandana figures below"
    )
    mm_cost = whole_mm_search(net, st_nodes)
    for kind, run in runs.items():
        t_p, steps, p = pandana_whole(pn, st_xy, dm_xy, elderly, run["maxdist"])
        check_pandana(p, d.access_m, mm_cost, run["maxdist"])
        mine_m, theirs_m = run["mins"] * 60.0 * SPEED, p["mins"] * 60.0 * SPEED
        both = np.isfinite(mine_m) & np.isfinite(theirs_m)
        max_err = float(np.max(np.abs(theirs_m[both] - mine_m[both]))) if both.any() else 0.0
        agree = np.mean(np.isfinite(mine_m) == np.isfinite(theirs_m))
        step_txt = " + ".join(f"{k} {v:.3f} s" for k, v in steps.items())
        print(
            f"(b) pandana whole job, maxdist {run['maxdist']:,.0f} m ({run['label']}): "
            f"{t_p:.3f} s = {step_txt}\n"
            f"    checked: snaps to the same node or an equally near one; distances equal our "
            f"search on pandana's integer-mm edges to float32 rounding. Against the true "
            f"lengths: max |diff| {max_err:.3f} m (pandana truncates each edge to whole mm); "
            f"reachability agrees on {agree * 100:.3f} % of demand points; covered elderly "
            f"{p['share']:.4f} (ours {run['share']:.4f})"
        )
        met = "met" if t_p / run["whole"] >= 1 else "NOT met"
        print(
            f"    pandana whole / ours whole = {t_p / run['whole']:.2f}  (ours whole {kind} run "
            f"{run['whole']:.3f} s; target >= 1: {met}); extra: pandana nearest_pois alone / "
            f"our {kind} search = {steps['nearest_pois'] / run['search']:.2f}"
        )


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
    t_full, (s_full, kd_full), reach_full, d, mins_full, share = ours(
        net, st_xy, dm_xy, elderly, np.inf
    )
    t_lim, (s_lim, kd_lim), reach_lim, _, mins_lim, share_lim = ours(
        net, st_xy, dm_xy, elderly, LIMIT_M
    )
    print(
        f"ours, whole run, full search (every node's minutes, like the product): {t_full:8.3f} s "
        f"(search {s_full:.3f} s, KD-tree build {kd_full:.3f} s)  covered elderly {share:.4f}"
    )
    print(
        f"ours, whole run, search limited to {LIMIT_M:g} m:                         "
        f"{t_lim:8.3f} s (search {s_lim:.3f} s, KD-tree build {kd_lim:.3f} s)  covered elderly "
        f"{share_lim:.4f}"
    )
    assert share == share_lim
    if ours_only:
        return

    ours_s = {
        "full search": s_full,
        "full whole": t_full,
        "limited search": s_lim,
        "limited whole": t_lim,
    }
    report_networkx(net, st_nodes, (nx_full_sample, nx_sample), ours_s)

    finite = reach_full.cost[np.isfinite(reach_full.cost)]
    big = float(np.ceil(finite.max() * 1.01 + 100.0))  # covers every reachable node
    runs = {
        "limited": {
            "label": "vs our whole limited run",
            "maxdist": LIMIT_M,
            "whole": t_lim,
            "search": s_lim,
            "mins": mins_lim,
            "share": share_lim,
        },
        "full": {
            "label": f"largest finite distance of our full search {finite.max():,.0f} m + 1 % "
            "+ 100 m, vs our whole full run",
            "maxdist": big,
            "whole": t_full,
            "search": s_full,
            "mins": mins_full,
            "share": share,
        },
    }
    report_pandana(net, st_nodes, (st_xy, dm_xy, elderly), d, runs)


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
