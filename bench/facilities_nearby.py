"""Nearby search through a real uvicorn process, driven by wrk, on SQLite and PostGIS (issue 15).

Baseline: a bare FastAPI ``async def`` hello-world in its OWN process (no middleware,
no database), served by uvicorn with the same settings (uvloop, httptools, one worker,
no access log), measured in the same run. The nearby figures are the facilities app as
``carecircle serve`` runs it, nothing added. Figures at wrk -c4 and -c32: requests/s,
p50/p99 latency, and nearby's share of the hello-world's requests/s.

    .venv/bin/python bench/facilities_nearby.py            # 100,000 facilities, 10 s per run
    .venv/bin/python bench/facilities_nearby.py --quick    # 10,000 facilities, 3 s per run

The query is the one a mobile app sends: k=20 within 3 km with one filter
(``type=community_station``), from a random point of the seeded area for every
request (a wrk Lua script draws them), so caches do not flatter the figures. Targets:
nearby at ≥ 50 % of the hello-world's requests/s, p99 < 15 ms at -c32. The machine may
be shared: the load average is printed at the start and with every figure.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))
from _report import emit, load_avg, row  # noqa: E402

# Chongqing's central districts, roughly (WGS84): 100,000 points here is ~35 per km².
AREA = (106.30, 29.35, 106.85, 29.85)
PG_ADMIN_URL = os.environ.get(
    "CARECIRCLE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NEARBY_QUERY = "k=20&radius_m=3000&type=community_station"


def make_hello_app():  # type: ignore[no-untyped-def]
    """uvicorn factory of the baseline: a bare FastAPI app, one ``async def`` route, nothing else."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


# --------------------------------------------------------------------------- data


def seed(url: str, n: int, rng_seed: int = 42) -> float:
    """Migrate ``url`` and insert ``n`` facilities; returns the seconds spent inserting."""
    from shapely.geometry import Point
    from sqlalchemy import insert

    from services.common.db import make_engine
    from services.common.migrate import upgrade
    from services.facilities.models import Facility
    from services.facilities.schemas import FACILITY_TYPES, SERVICES, services_mask

    upgrade("facilities", url)
    rng = random.Random(rng_seed)
    types = list(FACILITY_TYPES)
    engine = make_engine(url)
    started = time.perf_counter()
    try:
        for start in range(0, n, 10_000):
            rows = []
            for i in range(start, min(n, start + 10_000)):
                lon, lat = rng.uniform(AREA[0], AREA[2]), rng.uniform(AREA[1], AREA[3])
                services = sorted(rng.sample(SERVICES, rng.randint(0, 4)), key=SERVICES.index)
                rows.append(
                    {
                        "external_id": f"B-{i:06d}", "source": "bench", "name": f"社区养老服务站{i}",
                        "name_normalized": f"社区养老服务站{i}", "type": rng.choice(types), "services": services,
                        "services_mask": services_mask(services), "status": "active",
                        "star_rating": rng.randint(0, 5), "opening_hours": {"mon": [["08:00", "18:00"]]},
                        "lon": lon, "lat": lat, "geog": Point(lon, lat), "version": 1,
                    }
                )  # fmt: skip
            with engine.begin() as conn:
                conn.execute(insert(Facility.__table__), rows)
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE facilities")
                conn.commit()
        else:
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
    finally:
        engine.dispose()
    return time.perf_counter() - started


@contextmanager
def postgis_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="cc_bench_") as folder:
        yield f"sqlite:///{folder}/facilities.sqlite3"


# --------------------------------------------------------------------------- server and wrk


@contextmanager
def uvicorn_server(app: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``uvicorn`` (uvloop, httptools, one worker, no access log) serving ``app`` in its own process."""
    from bench.gateway_wrk import uvicorn_process

    with uvicorn_process(app, {"CARECIRCLE_LOG_LEVEL": "WARNING", **(env or {})}) as base:
        yield base


LUA = """
math.randomseed(7)
request = function()
  local lon = %(x0)f + math.random() * %(dx)f
  local lat = %(y0)f + math.random() * %(dy)f
  return wrk.format("GET", string.format("%(path)s?lon=%%.6f&lat=%%.6f&%(query)s", lon, lat))
end
"""


@dataclass
class Figures:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(text: str) -> float:
    value = float(re.match(r"[\d.]+", text).group(0))  # type: ignore[union-attr]
    unit = re.sub(r"[\d.]", "", text)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    label: str, url: str, *, seconds: int, connections: int, script: str | None = None
) -> Figures:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # percentiles from the "Latency Distribution" block (the stats table above has "85.50%" too)
    distribution = out.split("Latency Distribution", 1)[1]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", distribution, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", distribution, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(g) for g in match.groups())
    return Figures(label, rps, p50, p99, errors)


def bench_backend(
    name: str, url: str, n: int, seconds: int, connections: list[int], hello_base: str, runs: int
) -> list[tuple[int, Figures, Figures]]:
    """(connections, hello-world, nearby) figures: the two servers are measured turn about."""
    import httpx

    insert_s = seed(url, n)
    print(f"[{name}] seeded {n:,} facilities in {insert_s:.1f} s")
    margin = 0.03  # keep query points away from the edge, like users inside a city
    lua = LUA % {
        "x0": AREA[0] + margin, "dx": AREA[2] - AREA[0] - 2 * margin,
        "y0": AREA[1] + margin, "dy": AREA[3] - AREA[1] - 2 * margin,
        "path": "/api/v1/facilities/nearby", "query": NEARBY_QUERY,
    }  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua)
        script = handle.name
    out = []
    try:
        env = {"FACILITIES_DATABASE_URL": url}
        with uvicorn_server("services.facilities.app:create_app", env) as base:
            t0 = time.perf_counter()
            sample = httpx.get(
                f"{base}/api/v1/facilities/nearby?lon=106.55&lat=29.6&{NEARBY_QUERY}", timeout=120
            ).json()
            print(
                f"[{name}] first query (builds the index): {time.perf_counter() - t0:.2f} s; "
                f"{len(sample['items'])} items, nearest {sample['items'][0]['distance_m']:.0f} m"
            )
            for c in connections:
                wrk("warm-up", f"{hello_base}/hello", seconds=1, connections=c)
                wrk("warm-up", base, seconds=1, connections=c, script=script)
                # turn about, so that a change in the machine's load hits both alike
                for run in range(runs):
                    hello = wrk(
                        f"hello world async -c{c}",
                        f"{hello_base}/hello",
                        seconds=seconds,
                        connections=c,
                    )
                    near = wrk(
                        f"{name}: nearby -c{c}", base, seconds=seconds, connections=c, script=script
                    )
                    print(
                        f"[{name}] -c{c} run {run + 1}: hello {hello.rps:.0f} req/s, nearby "
                        f"{near.rps:.0f} req/s ({near.rps / hello.rps:.0%}), nearby p50 "
                        f"{near.p50_ms:.2f} ms p99 {near.p99_ms:.2f} ms (hello p99 "
                        f"{hello.p99_ms:.2f} ms), errors {near.errors}; load {load_avg()}"
                    )
                    out.append((c, hello, near))
    finally:
        os.unlink(script)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 facilities, 3 s runs")
    parser.add_argument("--backends", default="sqlite,postgis")
    parser.add_argument("--connections", default="4,32", help="wrk -c values, comma-separated")
    parser.add_argument("--seconds", type=int, help="seconds per wrk run (default 10, quick 3)")
    parser.add_argument("--n", type=int, help="facilities (default 100,000, quick 10,000)")
    parser.add_argument("--runs", type=int, default=3, help="turns of hello-world and nearby")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (scripts/ensure_services.sh --bench)")
    n = args.n or (10_000 if args.quick else 100_000)
    seconds = args.seconds or (3 if args.quick else 10)
    connections = [int(c) for c in args.connections.split(",")]
    load_at_start = load_avg()
    print(
        f"facilities nearby bench: {n:,} facilities, wrk -t1 -c{connections} -d{seconds}s, "
        "one uvicorn worker per server"
    )
    print(
        f"cores: {os.cpu_count()}, load average at start {load_at_start} "
        "(the machine may be shared with other work; wrk takes part of one core)"
    )
    results: list[tuple[str, int, Figures, Figures]] = []
    with uvicorn_server("bench.facilities_nearby:make_hello_app") as hello_base:
        for backend in args.backends.split(","):
            database = sqlite_database() if backend == "sqlite" else postgis_database()
            with database as url:
                for c, hello, near in bench_backend(
                    backend, url, n, seconds, connections, hello_base, args.runs
                ):
                    results.append((backend, c, hello, near))
    print()
    print(
        f"{'median of runs':<30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs hello':>9} "
        f"{'errors':>7}"
    )
    rows: list[dict[str, Any]] = []
    for backend in dict.fromkeys(b for b, *_ in results):
        for c in connections:
            mine = [(h, nb) for b, cc, h, nb in results if b == backend and cc == c]
            hello_rps = [h.rps for h, _ in mine]
            near_rps = [nb.rps for _, nb in mine]
            ratio = statistics.median(nb.rps / h.rps for h, nb in mine)
            for label, figs in (
                (f"hello world async -c{c}", [h for h, _ in mine]),
                (f"{backend}: nearby -c{c}", [nb for _, nb in mine]),
            ):
                share = f"{ratio:9.1%}" if "nearby" in label else f"{'—':>9}"
                print(
                    f"{label:<30} {statistics.median(f.rps for f in figs):9.0f} "
                    f"{statistics.median(f.p50_ms for f in figs):8.2f} "
                    f"{statistics.median(f.p99_ms for f in figs):8.2f} {share} "
                    f"{sum(f.errors for f in figs):7d}"
                )
            base_name = f"{backend} hello world async -c{c} req/s"
            rows.append(row(base_name, hello_rps, "req/s", better="higher"))
            rows.append(
                row(f"{backend} nearby -c{c} req/s", near_rps, "req/s", base_name, better="higher")
            )
            rows.append(row(f"{backend} nearby -c{c} p99", [nb.p99_ms for _, nb in mine], "ms"))
            rows.append(
                row(f"{backend} hello world async -c{c} p99", [h.p99_ms for h, _ in mine], "ms")
            )
    print("targets: nearby ≥ 50 % of the hello-world's req/s, p99 < 15 ms at -c32")
    emit("facilities_nearby", rows, load_at_start)


if __name__ == "__main__":
    main()
