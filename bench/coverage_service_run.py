"""A coverage run through the service (submit -> finished) against the CLI on the same inputs.

Inputs, generated and seeded on Andorra's real walking network (OSM, ODbL): 100,000 demand
points ~20 m around random street nodes with elderly counts and community codes, 50
stations on random nodes. The network is stored once as the service stores it (.npz) and
the CLI reads the same .npz, so neither side's figure includes parsing the .osm.pbf.

Timed:
* demand upload (CSV through ``POST /demand/upload``: parse, check, store);
* the run as a user meets it: ``POST /runs`` until ``GET /runs/{id}`` says done (the job
  computes circles, gaps and per-region rows, and stores every point's result), ``--runs``
  times (each with its own cache key);
* the baseline: ``carecircle coverage`` on the same files, process start to result CSV.

Each on SQLite and PostGIS, in one process per engine (uvicorn, uvloop, httptools).

    .venv/bin/python bench/coverage_service_run.py [--quick] [--points N] [--runs 3]
        [--engines sqlite postgis]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from bench.gateway_wrk import uvicorn_process  # noqa: E402

PBF = ROOT.parent / "shared" / "data" / "osm-samples" / "andorra.osm.pbf"


def write_inputs(out: Path, points: int, stations: int, seed: int = 7) -> None:
    """network.npz, demand.csv (id, lon, lat, elderly, region_code), stations.geojson."""
    from services.coverage.graph import save_network
    from services.coverage.loaders import from_epsg, load_network

    net = load_network(PBF)
    save_network(net, out / "network.npz")
    lon, lat = from_epsg(net.epsg, net.x, net.y)
    rng = np.random.default_rng(seed)
    at = rng.integers(0, net.n_nodes, points)
    d_lon = lon[at] + rng.normal(0, 0.0002, points)
    d_lat = lat[at] + rng.normal(0, 0.0002, points)
    elderly = rng.integers(0, 40, points)
    community = rng.integers(1, 40, points)
    with (out / "demand.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "lon", "lat", "elderly", "region_code"])
        for i in range(points):
            code = f"990101{1 + community[i] // 10:03d}{community[i]:03d}"
            w.writerow([f"d{i}", f"{d_lon[i]:.7f}", f"{d_lat[i]:.7f}", elderly[i], code])
    picks = rng.choice(net.n_nodes, stations, replace=False)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(lon[k]), float(lat[k])]},
            "properties": {"id": f"s{n}", "type": "community_station"},
        }
        for n, k in enumerate(picks)
    ]
    (out / "stations.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features})
    )


def run_cli(out: Path) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "coverage",
            "--network",
            str(out / "network.npz"),
            "--stations",
            str(out / "stations.geojson"),
            "--demand",
            str(out / "demand.csv"),
            "--minutes",
            "15",
            "--speed",
            "1.0",
            "--out",
            str(out / "cli_result.csv"),
        ],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - t0, json.loads(done.stdout.strip().splitlines()[-1])


def stations_body(out: Path) -> list[dict[str, Any]]:
    doc = json.loads((out / "stations.geojson").read_text())
    return [
        {
            "id": f["properties"]["id"],
            "type": f["properties"]["type"],
            "lon": f["geometry"]["coordinates"][0],
            "lat": f["geometry"]["coordinates"][1],
        }
        for f in doc["features"]
    ]


def run_service(out: Path, url: str, runs: int) -> dict[str, Any]:
    """Upload, then one run submit -> done; returns the timings and the run's summary."""
    from services.common.migrate import upgrade

    upgrade("coverage", url)
    env = {
        "COVERAGE_DATABASE_URL": url,
        "COVERAGE_IMPORT_DIR": str(out),
        "CARECIRCLE_LOG_LEVEL": "WARNING",
    }
    with (
        uvicorn_process("services.coverage.app:create_app", env) as base,
        httpx.Client(base_url=base + "/api/v1/coverage", timeout=600) as http,
    ):
        net = http.post("/networks", json={"path": "network.npz"})
        net.raise_for_status()
        t0 = time.perf_counter()
        with (out / "demand.csv").open("rb") as fh:
            dm = http.post("/demand/upload", files={"file": ("demand.csv", fh, "text/csv")})
        dm.raise_for_status()
        upload_s = time.perf_counter() - t0
        run_s, summary = [], {}
        for k in range(runs):
            body = {
                "network_id": net.json()["id"],
                "demand_set_id": dm.json()["id"],
                "minutes": 15 + k * 1e-6,  # a new cache key each time, the same work
                "speed_mps": 1.0,
                "stations": stations_body(out),
            }
            t0 = time.perf_counter()
            run = http.post("/runs", json=body)
            assert run.status_code == 202, run.text
            location = run.headers["Location"].removeprefix("/api/v1/coverage")
            while (status := http.get(location).json())["status"] not in ("done", "failed"):
                time.sleep(0.02)
            run_s.append(time.perf_counter() - t0)
            assert status["status"] == "done", status
            if k == 0:
                summary = http.get(location + "/summary").json()
    return {"upload_s": upload_s, "run_s": run_s, "summary": summary}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10,000 points instead of 100,000")
    ap.add_argument("--points", type=int, default=None)
    ap.add_argument("--engines", nargs="+", default=["sqlite", "postgis"])
    ap.add_argument("--runs", type=int, default=3, help="runs of each figure (median, spread)")
    args = ap.parse_args()
    points = args.points or (10_000 if args.quick else 100_000)
    load_start = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_inputs(out, points, stations=50)
        cli_runs = [run_cli(out) for _ in range(args.runs)]
        cli_s, cli = statistics.median(t for t, _ in cli_runs), cli_runs[0][1]
        for engine in args.engines:
            if engine == "postgis":
                from tests.conftest import create_scratch_postgis, drop_scratch_postgis

                url = create_scratch_postgis("cc_bench")
                try:
                    got = run_service(out, url, args.runs)
                finally:
                    drop_scratch_postgis(url)
            else:
                got = run_service(out, f"sqlite:///{out / 'coverage.sqlite3'}", args.runs)
            for key in ("covered_share_by_count", "covered_share_by_elderly", "covered_elderly"):
                assert got["summary"][key] == cli[key], (engine, key, got["summary"][key], cli[key])
            rows.append((engine, got))
    print(
        f"coverage run, Andorra walking network (37,518 nodes), {points:,} generated demand "
        f"points, 50 stations, 15 min at 1.0 m/s; same answers as the CLI (checked)"
    )
    spread = max(t for t, _ in cli_runs) - min(t for t, _ in cli_runs)
    print(f"{'CLI, process start to result CSV (baseline)':<58} {cli_s:7.2f} s (±{spread:.2f})")
    table = [row("CLI, process start to result CSV", [t for t, _ in cli_runs])]
    for engine, got in rows:
        upload = f"service {engine}: demand upload (CSV, checked, stored)"
        print(f"{upload:<58} {got['upload_s']:7.2f} s")
        run_s = got["run_s"]
        name = f"service {engine}: run, submit -> done"
        print(
            f"{name:<58} {statistics.median(run_s):7.2f} s (±{max(run_s) - min(run_s):.2f})"
            f"   {statistics.median(run_s) / cli_s:5.2f}x the CLI"
        )
        table.append(row(upload, [got["upload_s"]]))
        table.append(row(name, run_s, baseline="CLI, process start to result CSV"))
    end = os.getloadavg()
    print(
        f"load average {load_start[0]:.2f} / {load_start[1]:.2f} at start, "
        f"{end[0]:.2f} / {end[1]:.2f} at the end ({os.cpu_count()} cores, shared)"
    )
    by_name = {r["name"]: r for r in table}
    for r in table:
        base = by_name.get(r["baseline"]) if r["baseline"] else None
        r["ratio"] = r["median"] / base["median"] if base else None
    load = [round(x, 2) for x in load_start]
    print(
        "BENCH_JSON "
        + json.dumps({"bench": "coverage_service_run", "load_avg": load, "rows": table})
    )


def row(name: str, samples: list[float], baseline: str | None = None) -> dict[str, Any]:
    """One figure in bench/README.md's BENCH_JSON convention (seconds, lower is better)."""
    return {
        "name": name,
        "median": statistics.median(samples),
        "spread": max(samples) - min(samples),
        "unit": "s",
        "runs": len(samples),
        "baseline": baseline,
        "better": "lower",
    }


if __name__ == "__main__":
    main()
