"""Benchmark: the whole coverage CLI run (process start to result file written) against
pandana's whole job on the same files, same run.

Inputs: ``carecircle synth city`` (quick: 100,000 nodes and homes; default: 1,000,000
nodes, 1,000,000 homes, 4,444 stations; ``--demand 5000000`` for the 5 M case), kept
under var/bench.

ours     ``carecircle coverage --network network.gpkg --stations stations.geojson
         --demand demand.csv --minutes 15 --speed 1.0 --out result.csv --verbose`` as a
         child process: wall time from start to exit, peak RSS (wait4), and the CLI's own
         stage times (its ``coverage stages_s`` line).
pandana  a child process doing pandana's whole job on the same files: read them (with
         our readers, timed apart), pandana.Network (build + contraction hierarchies),
         set_pois (snaps stations), get_node_ids (snaps homes), nearest_pois (maxdist
         900 m), minutes, and writing the same CSV columns.

Ratios: ours (whole process) / pandana's job as the issue defines it (build + CH + snap +
query), and / pandana's whole process. pandana snaps homes to the nearest node, we to
the nearest point of the nearest street segment (see bench/coverage_reach.py).

Run: ``.venv/bin/python bench/coverage_cli.py --quick`` or without (full; pandana's
precompute alone takes minutes on a grid-like city of a million nodes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import describe, emit, load_avg, row  # noqa: E402
from coverage_reach import city_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
CLI = str(ROOT / ".venv" / "bin" / "carecircle")


def tiled_andorra_files(
    tiles: tuple[int, int] = (6, 5), seed: int = 1, demand: int = 1_000_000
) -> Path:
    """Issue 15's 1 M case: 6 x 5 copies of Andorra's real walking network side by side,
    stitched by 30 links per neighbouring pair (1,125,540 nodes), 5,000 stations on random
    nodes, ``demand`` homes (1,000,000) ~20 m around random nodes; in the CLI's formats.

    Real street structure (valleys, few loops) is kinder to pandana's contraction
    hierarchies than the synth city's grid, so both are measured.
    """
    out = ROOT / "var" / "bench" / f"andorra-tiles-{tiles[0]}x{tiles[1]}-{seed}-{demand}"
    if (out / "demand.csv").exists():
        return out
    import numpy as np
    import pyarrow as pa
    import pyogrio
    from pyproj import Transformer

    from services.coverage.graph import build_network
    from services.coverage.loaders import load_osm_pbf
    from services.coverage.synth_files import write_demand_csv, write_stations_geojson
    from services.coverage.wkb import encode_linestrings

    base = load_osm_pbf(ROOT.parent / "shared" / "data" / "osm-samples" / "andorra.osm.pbf")
    rng = np.random.default_rng(seed)
    w = base.x.max() - base.x.min() + 100.0
    h = base.y.max() - base.y.min() + 100.0
    n = base.n_nodes
    src, dst = base.edge_sources(), base.indices
    half = src < dst
    xs, ys, us, vs = [], [], [], []
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([base.x, base.y]))
    for t in range(tiles[0] * tiles[1]):
        i, j = divmod(t, tiles[1])
        xs.append(base.x + i * w)
        ys.append(base.y + j * h)
        us.append(src[half] + t * n)
        vs.append(dst[half] + t * n)
        for di, dj in ((1, 0), (0, 1)):
            if i + di >= tiles[0] or j + dj >= tiles[1]:
                continue
            a = rng.choice(n, 30, replace=False)
            _, b = tree.query(np.column_stack([base.x[a], base.y[a]]))
            us.append(a + t * n)
            vs.append(np.asarray(b) + ((i + di) * tiles[1] + (j + dj)) * n)
    x, y = np.concatenate(xs), np.concatenate(ys)
    u, v = np.concatenate(us).astype(np.int64), np.concatenate(vs).astype(np.int64)
    net = build_network(x, y, u, v, np.hypot(x[u] - x[v], y[u] - y[v]), epsg=base.epsg)
    out.mkdir(parents=True, exist_ok=True)
    a, b = net.edge_sources(), net.indices
    one = a < b
    a, b = a[one].astype(np.int64), b[one].astype(np.int64)
    lx = np.column_stack([net.x[a], net.x[b]]).ravel()
    ly = np.column_stack([net.y[a], net.y[b]]).ravel()
    table = pa.table(
        {"u": a, "v": b, "geometry": encode_linestrings(lx, ly, np.arange(0, lx.size + 1, 2))}
    )
    pyogrio.write_arrow(
        table, out / "network.gpkg", layer="streets", driver="GPKG", geometry_name="geometry",
        geometry_type="LineString", crs=f"EPSG:{net.epsg}",
    )  # fmt: skip
    to_ll = Transformer.from_crs(f"EPSG:{net.epsg}", "EPSG:4326", always_xy=True)
    st = rng.choice(net.n_nodes, 5_000, replace=False)
    s_lon, s_lat = to_ll.transform(net.x[st], net.y[st])
    write_stations_geojson(np.round(s_lon, 7), np.round(s_lat, 7), out / "stations.geojson")
    home = rng.integers(0, net.n_nodes, demand)
    d_lon, d_lat = to_ll.transform(
        net.x[home] + rng.normal(0, 20, home.size), net.y[home] + rng.normal(0, 20, home.size)
    )
    elderly = rng.integers(1, 60, home.size)
    write_demand_csv(np.round(d_lon, 7), np.round(d_lat, 7), elderly, out / "demand.csv")
    info = {"generator": "bench/coverage_cli.py tiled_andorra_files", "nodes": net.n_nodes,
            "stations": 5_000, "demand_points": int(home.size)}  # fmt: skip
    (out / "city.json").write_text(json.dumps(info) + "\n")
    return out


def child(cmd: list[str]) -> tuple[float, str, str]:
    """Run a process to its end: (wall s, stdout, stderr)."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError(f"{cmd[:3]} failed ({p.returncode}): {p.stderr[-2000:]}")
    return wall, p.stdout, p.stderr


def peak_rss_mb() -> float:
    """This process's peak resident memory (MB), as the CLI reports its own."""
    from services.coverage.cli import memory_mb

    return memory_mb()[1]


def ours(folder: Path, out: Path) -> tuple[float, float, dict]:
    cmd = [CLI, "coverage", "--network", str(folder / "network.gpkg")]
    cmd += ["--stations", str(folder / "stations.geojson"), "--demand", str(folder / "demand.csv")]
    cmd += ["--minutes", "15", "--speed", "1.0", "--out", str(out), "--verbose"]
    wall, stdout, stderr = child(cmd)
    line = next(x for x in stderr.splitlines() if x.startswith("coverage stages_s "))
    stages = json.loads(line.split(" ", 2)[2])
    stages["summary"] = json.loads(stdout.strip().splitlines()[-1])
    return wall, stages["peak_rss_mb"], stages


def pandana_job(folder: Path, out: Path) -> None:
    """The child process: pandana's whole job; prints its stage times as JSON."""
    t = {"start": time.perf_counter()}
    import numpy as np
    import pandana
    import pandas as pd

    from services.coverage.loaders import load_network, to_epsg
    from services.coverage.point_files import read_points
    from services.coverage.result_files import result_table, write_result

    def mark(name: str) -> None:
        t[name] = time.perf_counter()

    mark("imports")
    net = load_network(folder / "network.gpkg")
    st = read_points(folder / "stations.geojson", "stations")
    dm = read_points(folder / "demand.csv", "demand", need_elderly=True)
    sx, sy = to_epsg(net.epsg, st.lon, st.lat)
    dx, dy = to_epsg(net.epsg, dm.lon, dm.lat)
    mark("read + project")
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
    mark("build + CH")
    pn.set_pois("st", 900.0, 1, pd.Series(sx), pd.Series(sy))
    node = pn.get_node_ids(pd.Series(dx), pd.Series(dy)).to_numpy()
    mark("snap")
    res = pn.nearest_pois(900.0, "st", num_pois=1, max_distance=np.inf, include_poi_ids=True)
    mark("query")
    node_m = res[1].to_numpy().astype(np.float64)[node]
    poi = res["poi1"].to_numpy()[node]
    access = np.hypot(dx - net.x[node], dy - net.y[node])
    mins = (node_m + access) / 60.0
    bad = ~np.isfinite(mins) | (access > 500.0)
    mins[bad] = np.nan
    station = np.where(bad | ~np.isfinite(poi), -1, np.nan_to_num(poi, nan=-1)).astype(np.int64)
    mark("minutes")
    from services.coverage.circles import ids_at

    ids = ids_at(st.ids, np.arange(len(st)))
    table = result_table(dm.ids, dm.elderly, mins, ids, station, dm.lon, dm.lat, 15.0)
    write_result(table, out)
    mark("write")
    names = list(t)
    stages = {b: t[b] - t[a] for a, b in zip(names, names[1:], strict=False)}
    print(json.dumps({**stages, "peak_rss_mb": peak_rss_mb()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100,000 nodes and homes")
    ap.add_argument("--nodes", type=int, default=None)
    ap.add_argument("--demand", type=int, default=None, help="homes (default: as many as nodes)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pandana-runs", type=int, default=None, help="default 3 quick, 1 full")
    ap.add_argument(
        "--andorra-tiles", action="store_true", help="issue 15's 1.1 M-node tiled Andorra case"
    )
    ap.add_argument("--pandana-job", nargs=2, metavar=("DIR", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pandana_job:
        pandana_job(Path(args.pandana_job[0]), Path(args.pandana_job[1]))
        return
    start = load_avg()
    print(f"load average at start: {start}")
    nodes = args.nodes or (100_000 if args.quick else 1_000_000)
    folder = (
        tiled_andorra_files(demand=args.demand or 1_000_000)
        if args.andorra_tiles
        else city_files(nodes, 1, args.demand)
    )
    info = json.loads((folder / "city.json").read_text())
    tag = f"{info['nodes'] / 1e6:.3g}M nodes, {info['demand_points'] / 1e6:g}M homes"
    if args.andorra_tiles:
        tag = "tiled Andorra " + tag
    print(f"inputs: {folder} ({info['nodes']:,} nodes, {info['stations']:,} stations, "
          f"{info['demand_points']:,} homes)")  # fmt: skip
    out = folder / "result-ours.csv"
    walls, peaks, stage_runs = [], [], []
    for _ in range(args.runs):
        wall, peak, stages = ours(folder, out)
        walls.append(wall)
        peaks.append(peak)
        stage_runs.append(stages)
    rows = []
    p_runs = args.pandana_runs if args.pandana_runs is not None else (3 if args.quick else 1)
    base = f"{tag}: pandana job (build + CH + snap + query)"
    rows.append(row(f"{tag}: ours, whole CLI process", walls, baseline=base if p_runs else None))
    rows.append(row(f"{tag}: ours, peak RSS", peaks, unit="MB"))
    skip = ("summary", "peak_rss_mb")
    for stage in [k for k in stage_runs[0] if k not in skip]:
        rows.append(row(f"{tag}: ours, stage {stage}", [s[stage] for s in stage_runs]))
    if p_runs:
        p_walls, p_jobs, p_peaks = [], [], []
        for _ in range(p_runs):
            wall, stdout, _ = child(
                [PY, __file__, "--pandana-job", str(folder), str(folder / "result-pandana.csv")]
            )
            last = stdout.strip().splitlines()[-1]  # pandana's progress shares the line
            st = json.loads(last[last.index("{") :])
            p_walls.append(wall)
            p_peaks.append(st.pop("peak_rss_mb"))
            p_jobs.append(st["build + CH"] + st["snap"] + st["query"])
            print(f"  pandana stages (s): {json.dumps({k: round(v, 3) for k, v in st.items()})}")
        rows.append(row(base, p_jobs))
        rows.append(row(f"{tag}: pandana, whole process", p_walls))
        rows.append(row(f"{tag}: pandana, peak RSS", p_peaks, unit="MB"))
        rows[0]["note"] = "ratio < 1: ours is faster"
    summary = stage_runs[-1]["summary"]
    print(f"ours: covered share of elderly {summary['covered_share_by_elderly']:.4f}")
    for r in rows:
        print(describe(r))
    emit("coverage_cli", rows, start)


if __name__ == "__main__":
    main()
