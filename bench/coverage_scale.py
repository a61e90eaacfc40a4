"""Benchmark: how time and peak memory grow with the city, one process vs a Dask cluster.

For each size (synth city from ``carecircle synth city``: N nodes, N homes, one station per
225 nodes), the whole CLI run as users run it, 15 minutes at 1.0 m/s, GeoParquet out:

single   ``carecircle coverage ... --out single.parquet`` (no partitions, no Dask).
cluster  the same command with ``--partitions P --scheduler ADDRESS`` against a
         LocalCluster of 2 worker PROCESSES (1 thread each) started fresh for the size;
         P = one partition per 100,000 nodes (at least 4).

Figures: wall time of the CLI process; peak RSS of the CLI process (wait4) and of each
worker process (VmHWM read from /proc after the run). The result files are compared
column by column (minutes bit for bit): ``exact`` must be True. On 2 shared cores the
cluster is not expected to be faster: the point is that a worker's memory follows the
partition size, not the city's, while the answer stays the same.

Run: ``.venv/bin/python bench/coverage_scale.py --quick`` (10k and 100k nodes), without
``--quick`` up to 1 M, ``--huge`` adds 10 M (needs ~6 GB free and ~20 min on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import describe, emit, load_avg, row  # noqa: E402
from coverage_reach import city_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "carecircle")
NODES_PER_PARTITION = 100_000


def run_cli(city: Path, out: Path, extra: list[str]) -> tuple[float, float]:
    """(wall s, peak RSS MB) of one whole CLI process."""
    cmd = [CLI, "coverage", "--network", str(city / "network.gpkg"),
           "--stations", str(city / "stations.geojson"), "--demand", str(city / "demand.csv"),
           "--minutes", "15", "--speed", "1.0", "--out", str(out), *extra]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"coverage failed: {err.decode()[-500:]}")
    return took, usage.ru_maxrss / 1024


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return float(line.split()[1]) / 1024
    return 0.0


def same_result(a: Path, b: Path) -> bool:
    import numpy as np
    import pyarrow.parquet as pq

    ta, tb = pq.read_table(a), pq.read_table(b)
    if ta.column_names != tb.column_names or ta.num_rows != tb.num_rows:
        return False
    for name in ta.column_names:
        ca, cb = ta[name].to_numpy(zero_copy_only=False), tb[name].to_numpy(zero_copy_only=False)
        if ca.dtype.kind == "f":
            if not np.array_equal(ca, cb, equal_nan=True):
                return False
        elif not (ca == cb).all():
            return False
    return True


def one_size(nodes: int, runs: int) -> tuple[list[dict[str, Any]], bool]:
    from distributed import Client, LocalCluster

    city = city_files(nodes)
    parts = max(4, nodes // NODES_PER_PARTITION)
    label = f"{nodes:,} nodes"
    walls, rss = [], []
    for _ in range(runs):
        w, m = run_cli(city, city / "single.parquet", [])
        walls.append(w)
        rss.append(m)
    c_walls, c_rss, w_rss = [], [], []
    for _ in range(runs):  # a fresh cluster per run: worker peaks are this run's
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=":0", memory_limit=0) as cluster, \
                Client(cluster) as client:  # fmt: skip
            pids = list(client.run(os.getpid).values())
            w, m = run_cli(city, city / "cluster.parquet",
                           ["--partitions", str(parts), "--scheduler", cluster.scheduler_address])  # fmt: skip
            c_walls.append(w)
            c_rss.append(m)
            w_rss.append(max(peak_mb(p) for p in pids))
    exact = same_result(city / "single.parquet", city / "cluster.parquet")
    rows = [
        row(f"single process, {label}: wall", walls),
        row(
            f"cluster 2 workers, {parts} partitions, {label}: wall",
            c_walls,
            baseline=f"single process, {label}: wall",
        ),  # fmt: skip
        row(f"single process, {label}: peak RSS", rss, unit="MB"),
        row(
            f"cluster, {label}: CLI (client) peak RSS",
            c_rss,
            unit="MB",
            baseline=f"single process, {label}: peak RSS",
        ),  # fmt: skip
        row(
            f"cluster, {label}: largest worker peak RSS",
            w_rss,
            unit="MB",
            baseline=f"single process, {label}: peak RSS",
        ),  # fmt: skip
    ]
    return rows, exact


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10k and 100k nodes, 1 run each")
    ap.add_argument("--huge", action="store_true", help="add 10 M nodes (hours of CPU)")
    ap.add_argument("--runs", type=int, default=0, help="runs per figure (default 1 quick, 3)")
    args = ap.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    if args.huge:
        sizes.append(10_000_000)
    runs = args.runs or (1 if args.quick else 3)
    start = load_avg()
    print(f"load average at start: {start} (shared machine: other work runs alongside)")
    rows: list[dict[str, Any]] = []
    all_exact = True
    for n in sizes:
        got, exact = one_size(n, runs)
        all_exact &= exact
        for r in got:
            print(describe(r))
        print(f"{n:,} nodes: cluster result equals single-process result: {exact}")
        rows += got
    if not all_exact:
        raise SystemExit("the cluster's result differs from the single process's")
    emit("coverage_scale", rows, start)


if __name__ == "__main__":
    main()
