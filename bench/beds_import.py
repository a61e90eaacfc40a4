"""``carecircle beds import`` speed on SQLite and PostGIS, against a plain executemany INSERT.

For each engine: fresh migrated beds and facilities databases; N generated facilities
inserted straight into the facilities database and served by the REAL facilities app
over HTTP (uvicorn in a thread); a CSV of N bed reports (one month). Then

* baseline: the same N rows inserted into ``bed_reports`` by one ``executemany`` of a bare
  INSERT (no parsing, no validation, no registry lookup, no revisions), then deleted;
* import: ``submissions.import_csv`` — parse and validate every row, one
  ``/facilities/snapshot`` call, look up existing reports, write reports + revision rows
  + family beds in one transaction.

Prints rows/s of both and the ratio import / baseline. ``--quick``: 5,000 rows; default 100,000.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.beds.facilities_client import FacilitiesClient  # noqa: E402
from services.beds.levels import ancestor_codes  # noqa: E402
from services.beds.models import BedReport  # noqa: E402
from services.beds.submissions import Writer, import_csv  # noqa: E402
from services.common.db import make_engine, make_session_factory  # noqa: E402
from services.common.migrate import upgrade  # noqa: E402
from tests.conftest import create_scratch_postgis, drop_scratch_postgis  # noqa: E402
from tests.servers import running_app  # noqa: E402

COMMUNITY = "350602001001"


def seed_facilities(url: str, n: int) -> None:
    from services.facilities.models import Facility

    engine = make_engine(url)
    rows = [
        {
            "id": i,
            "external_id": f"F{i}",
            "source": "registry",
            "name": f"F{i}",
            "name_normalized": f"f{i}",
            "type": "nursing_home",
            "services": [],
            "services_mask": 0,
            "operation_mode": "private",
            "status": "active",
            "lon": 117.6,
            "lat": 24.5,
            "region_code": COMMUNITY,
            "version": 1,
        }
        for i in range(1, n + 1)
    ]
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(Facility.__table__), rows[start : start + 5000])
    engine.dispose()


def totals(n: int) -> list[tuple[int, int]]:
    return [(i, 50 + i % 200) for i in range(1, n + 1)]


def csv_text(n: int) -> str:
    lines = [
        "facility_external_id,period,total_beds,nursing_beds,dementia_beds,occupied_beds,family_beds"
    ]
    lines += [f"F{i},2025-06,{t},{t // 2},{t // 10},{t * 4 // 5},{i % 3}" for i, t in totals(n)]
    return "\n".join(lines) + "\n"


def baseline_s(url: str, n: int) -> float:
    engine = make_engine(url)
    codes = ancestor_codes(COMMUNITY)
    rows = [
        {
            "facility_id": i,
            "period": "2025-05",
            "total_beds": t,
            "nursing_beds": t // 2,
            "dementia_beds": t // 10,
            "occupied_beds": t * 4 // 5,
            "family_beds": 0,
            "region_code": COMMUNITY,
            "version": 1,
            **codes,
        }
        for i, t in totals(n)
    ]
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(BedReport.__table__), rows)
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(delete(BedReport.__table__))
    engine.dispose()
    return elapsed


def run(backend: str, n: int, tmp: Path) -> None:
    from services.facilities.app import create_app
    from services.facilities.settings import FacilitiesSettings

    if backend == "sqlite":
        beds_url, fac_url = (
            f"sqlite:///{tmp / 'beds.sqlite3'}",
            f"sqlite:///{tmp / 'facilities.sqlite3'}",
        )
    else:
        beds_url, fac_url = create_scratch_postgis("cc_bench"), create_scratch_postgis("cc_bench")
    try:
        upgrade("beds", beds_url)
        upgrade("facilities", fac_url)
        seed_facilities(fac_url, n)
        text = csv_text(n)
        base = baseline_s(beds_url, n)
        engine = make_engine(beds_url)
        with (
            running_app(create_app(FacilitiesSettings(database_url=fac_url))) as url,
            FacilitiesClient(url, timeout_s=120) as client,
        ):
            started = time.perf_counter()
            result = import_csv(
                text,
                client=client,
                write_sessions=make_session_factory(engine, write=True),
                writer=Writer(identity=None, require_identity=False, request_id=None),
            )
            elapsed = time.perf_counter() - started
        engine.dispose()
        assert result.created == n
        print(
            f"{backend:8s} {n:,} rows  baseline executemany {n / base:10,.0f} rows/s   "
            f"beds import {n / elapsed:10,.0f} rows/s ({elapsed:.1f} s)   ratio import/baseline time: {elapsed / base:.1f}"
        )
    finally:
        if backend == "postgis":
            drop_scratch_postgis(beds_url)
            drop_scratch_postgis(fac_url)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5,000 rows")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgis", "both"], default="both")
    args = parser.parse_args()
    n = 5_000 if args.quick else args.rows
    for backend in ("sqlite", "postgis") if args.backend == "both" else (args.backend,):
        with tempfile.TemporaryDirectory() as tmp:
            run(backend, n, Path(tmp))


if __name__ == "__main__":
    main()
