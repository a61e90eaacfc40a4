"""Bulk facility import speed on SQLite and PostGIS, against a plain executemany INSERT.

For each engine: a fresh migrated database; N generated rows (real-looking names, points
spread over the Chongqing test square) written as CSV; then

* baseline: the same rows inserted by one ``executemany`` of a bare INSERT (no validation,
  no upsert lookup, no regions, no audit) into the same table (then deleted);
* import: ``bulk.import_facilities`` — parse, validate every row, look up existing
  (source, external_id) pairs, derive regions (STRtree over loaded regions), insert,
  write one audit row per facility, bump the registry version, commit.

Prints rows/s of both and the ratio import / baseline. ``--quick``: 10,000 rows; default 100,000.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def baseline(factory, rows: list[dict[str, object]]) -> float:  # type: ignore[no-untyped-def]
    """Seconds for one executemany of a bare INSERT of the same rows (then removed again)."""
    table = Facility.__table__
    payload = [
        {
            "external_id": r["external_id"],
            "source": "baseline",
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
        session.execute(insert(table), payload)
    elapsed = time.perf_counter() - started
    with transaction(factory) as session:
        session.execute(table.delete().where(table.c.source == "baseline"))
    return elapsed


def run(label: str, url: str, n: int) -> None:
    upgrade("facilities", url)
    engine = make_engine(url)
    factory = make_session_factory(engine, write=True)
    try:
        with transaction(factory) as session:
            bulk_regions.import_regions(session, REGIONS.read_text(), "geojson")
        text, rows = generate(n)
        base_s = baseline(factory, rows)
        started = time.perf_counter()
        with transaction(factory) as session:
            report = bulk.import_facilities(
                session, text, "csv", options=bulk.ImportOptions(), actor=registry.Actor("bench")
            )
        import_s = time.perf_counter() - started
        assert report["created"] == n, report
        started = time.perf_counter()
        with transaction(factory) as session:
            again = bulk.import_facilities(
                session, text, "csv", options=bulk.ImportOptions(), actor=registry.Actor("bench")
            )
        reimport_s = time.perf_counter() - started
        assert again["unchanged"] == n, again
    finally:
        engine.dispose()
    print(
        f"{label:8s} rows={n:7d}  baseline executemany {n / base_s:9.0f} rows/s | import {n / import_s:8.0f} rows/s "
        f"(ratio {base_s / import_s:.2f}) | re-import, all unchanged {n / reimport_s:8.0f} rows/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 rows instead of 100,000")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--engines", default="sqlite,postgis")
    args = parser.parse_args()
    n = args.rows or (10_000 if args.quick else 100_000)
    import tempfile

    for engine in args.engines.split(","):
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                run("sqlite", f"sqlite:///{tmp}/bench.sqlite3", n)
        else:
            from tests.conftest import create_scratch_postgis, drop_scratch_postgis

            url = create_scratch_postgis("cc_bench")
            try:
                run("postgis", url, n)
            finally:
                drop_scratch_postgis(url)


if __name__ == "__main__":
    main()
