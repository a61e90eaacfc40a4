"""Bulk facility import speed on SQLite and PostGIS, against PostgreSQL ``COPY`` of the same rows.

For each engine: a fresh migrated database; N generated rows (real-looking names, points
spread over the Chongqing test square) written as CSV; then ``--runs`` (≥ 3) times in turn,
each run under a source of its own (so that every run creates N new facilities; the table
grows alike for all three):

* baseline on PostGIS: the same rows (names normalised, points as geography) written into
  ``facilities`` by ``COPY ... FROM STDIN`` through psycopg (the driver the project pins),
  committed — the fastest way PostgreSQL takes rows in; no validation, no upsert lookup, no
  regions, no audit;
* baseline on SQLite (which has no COPY): one ``executemany`` of a bare INSERT of the same
  rows in one transaction, SQLite's own bulk path; on PostGIS it is printed as an extra row;
* import: ``bulk.import_facilities`` — parse, validate every row, look up existing
  (source, external_id) pairs, derive regions (STRtree over loaded regions), insert,
  write one audit row per facility, bump the registry version, commit.

A re-import of the same file (every row unchanged) is printed as an extra row. Median and
spread in seconds, rows/s, the ratio import / baseline and the ``BENCH_JSON`` last line
(bench/_report.py). ``--quick``: 5,000 rows (a minute at most on a busy machine); default 100,000.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import insert
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import describe, emit, load_avg, row  # noqa: E402

from services.common.db import make_engine, make_session_factory, transaction  # noqa: E402
from services.common.migrate import upgrade  # noqa: E402
from services.facilities import bulk, bulk_regions, registry  # noqa: E402
from services.facilities.models import Facility  # noqa: E402
from services.facilities.normalize import normalize_name  # noqa: E402

REGIONS = (
    Path(__file__).resolve().parents[1] / "tests" / "data" / "facilities" / "regions_small.geojson"
)
TYPES = ["community_station", "day_care", "meal_point", "care_center", "nursing_home"]


def generate(n: int) -> tuple[str, list[dict[str, object]]]:
    rng = np.random.default_rng(42)
    lon, lat = rng.uniform(106.5, 106.9, n), rng.uniform(29.5, 29.7, n)
    rows = [
        {
            "external_id": f"B{i}",
            "name": f"第{i}社区养老服务站",
            "type": TYPES[i % 5],
            "lon": round(float(lon[i]), 6),
            "lat": round(float(lat[i]), 6),
        }
        for i in range(n)
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue(), rows


def executemany_s(factory, rows: list[dict[str, object]], source: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds for one executemany of a bare INSERT of the same rows, committed."""
    payload = [
        {
            "external_id": r["external_id"],
            "source": source,
            "name": r["name"],
            "name_normalized": normalize_name(str(r["name"])),
            "type": r["type"],
            "services": [],
            "services_mask": 0,
            "status": "active",
            "lon": r["lon"],
            "lat": r["lat"],
            "geog": shapely.Point(r["lon"], r["lat"]),
            "version": 1,
        }
        for r in rows
    ]
    started = time.perf_counter()
    with transaction(factory) as session:
        session.execute(insert(Facility.__table__), payload)
    return time.perf_counter() - started


COPY_COLUMNS = (
    "external_id", "source", "name", "name_normalized", "type", "services", "services_mask",
    "status", "lon", "lat", "geog", "version",
)  # fmt: skip


def copy_s(url: str, rows: list[dict[str, object]], source: str) -> float:
    """Seconds of PostgreSQL ``COPY FROM STDIN`` of the same rows, committed."""
    import psycopg

    tuples = [
        (
            r["external_id"],
            source,
            r["name"],
            normalize_name(str(r["name"])),
            r["type"],
            "[]",
            0,
            "active",
            r["lon"],
            r["lat"],
            f"SRID=4326;POINT({r['lon']} {r['lat']})",
            1,
        )  # fmt: skip
        for r in rows
    ]
    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(raw) as conn:
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY facilities ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy,
        ):
            for t in tuples:
                copy.write_row(t)
        conn.commit()
        return time.perf_counter() - started


def run(label: str, url: str, n: int, runs: int) -> list[dict[str, Any]]:
    upgrade("facilities", url)
    engine = make_engine(url)
    factory = make_session_factory(engine, write=True)
    samples: dict[str, list[float]] = {"copy": [], "executemany": [], "import": [], "again": []}
    try:
        with transaction(factory) as session:
            bulk_regions.import_regions(session, REGIONS.read_text(), "geojson")
        text, rows = generate(n)
        for r in range(runs):
            if label == "postgis":
                samples["copy"].append(copy_s(url, rows, f"copy-{r}"))
            samples["executemany"].append(executemany_s(factory, rows, f"executemany-{r}"))
            options = bulk.ImportOptions(default_source=f"import-{r}")
            started = time.perf_counter()
            with transaction(factory) as session:
                report = bulk.import_facilities(
                    session, text, "csv", options=options, actor=registry.Actor("bench")
                )
            samples["import"].append(time.perf_counter() - started)
            assert report["created"] == n, report
            started = time.perf_counter()
            with transaction(factory) as session:
                again = bulk.import_facilities(
                    session, text, "csv", options=options, actor=registry.Actor("bench")
                )
            samples["again"].append(time.perf_counter() - started)
            assert again["unchanged"] == n, again
    finally:
        engine.dispose()
    base = f"{label}: PostgreSQL COPY" if label == "postgis" else f"{label}: executemany"
    figures = [
        row(f"{label}: facilities import", samples["import"], baseline=base),
        row(f"{label}: re-import, all unchanged", samples["again"], baseline=base),
    ]
    if label == "postgis":
        figures.append(row(base, samples["copy"]))
    figures.append(row(f"{label}: executemany", samples["executemany"]))
    base_median = next(f["median"] for f in figures if f["name"] == base)
    for figure in figures:
        ratio = f"; {figure['median'] / base_median:.1f}× {base}" if figure["baseline"] else ""
        print(f"{describe(figure)}  = {n / figure['median']:,.0f} rows/s{ratio}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows instead of 100,000")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (≥ 3)")
    parser.add_argument("--engines", default="sqlite,postgis")
    args = parser.parse_args()
    start = load_avg()
    n = args.rows or (5_000 if args.quick else 100_000)
    runs = max(3, args.runs)
    print(f"{n:,} facilities per run; load average at start {start[0]:.2f} (shared machine)")
    import tempfile

    figures: list[dict[str, Any]] = []
    for engine in args.engines.split(","):
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                figures += run("sqlite", f"sqlite:///{tmp}/bench.sqlite3", n, runs)
        else:
            from tests.conftest import create_scratch_postgis, drop_scratch_postgis

            url = create_scratch_postgis("cc_bench")
            try:
                figures += run("postgis", url, n, runs)
            finally:
                drop_scratch_postgis(url)
    emit("facilities_import", figures, start)


if __name__ == "__main__":
    main()
