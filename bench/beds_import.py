"""``carecircle beds import`` speed on SQLite and PostGIS, against PostgreSQL ``COPY`` of the same rows.

For each engine: fresh migrated beds and facilities databases; N generated facilities
inserted straight into the facilities database and served by the REAL facilities app
over HTTP (uvicorn in a thread); a CSV of N bed reports per month. Then, ``--runs``
(≥ 3) times in turn, each run on a month of its own (so every run writes N new rows):

* baseline on PostGIS: the same N rows written into ``bed_reports`` by ``COPY ... FROM
  STDIN`` through psycopg (the driver the project pins), committed, then deleted — the
  fastest way PostgreSQL takes rows in, with no parsing, validation, lookup or revision;
* baseline on SQLite (which has no COPY): one ``executemany`` of a bare INSERT of the same
  rows in one transaction, SQLite's own bulk path; on PostGIS it is printed as an extra row;
* import: ``submissions.import_csv`` — parse and validate every row, ask the facilities
  service for the facilities the file names, look up existing reports, write reports + revision rows
  + family beds in one transaction.

Prints the median and spread of each in seconds and rows/s, the ratio import / baseline,
and the ``BENCH_JSON`` last line (bench/_report.py). ``--quick``: 5,000 rows; default 100,000.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import describe, emit, load_avg, row  # noqa: E402

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


def csv_text(n: int, period: str) -> str:
    lines = [
        "facility_external_id,period,total_beds,nursing_beds,dementia_beds,occupied_beds,family_beds"
    ]
    lines += [f"F{i},{period},{t},{t // 2},{t // 10},{t * 4 // 5},{i % 3}" for i, t in totals(n)]
    return "\n".join(lines) + "\n"


def bare_rows(n: int, period: str) -> list[dict[str, Any]]:
    """The rows an import of ``n`` reports writes into ``bed_reports``, ready to insert."""
    codes = ancestor_codes(COMMUNITY)
    return [
        {
            "facility_id": i,
            "period": period,
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


def executemany_s(url: str, n: int, period: str) -> float:
    """Seconds of one executemany of a bare INSERT of the rows (then deleted, untimed)."""
    engine = make_engine(url)
    rows = bare_rows(n, period)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(BedReport.__table__), rows)
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(delete(BedReport.__table__).where(BedReport.period == period))
    engine.dispose()
    return elapsed


def copy_s(url: str, n: int, period: str) -> float:
    """Seconds of PostgreSQL ``COPY FROM STDIN`` of the same rows, committed (then deleted, untimed)."""
    import psycopg

    rows = bare_rows(n, period)
    columns = list(rows[0])
    tuples = [tuple(r[c] for c in columns) for r in rows]
    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(raw) as conn:
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY bed_reports ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for t in tuples:
                copy.write_row(t)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DELETE FROM bed_reports WHERE period = %s", (period,))
    return elapsed


def run(backend: str, n: int, runs: int, tmp: Path) -> list[dict[str, Any]]:
    from services.facilities.app import create_app
    from services.facilities.settings import FacilitiesSettings

    if backend == "sqlite":
        beds_url, fac_url = (
            f"sqlite:///{tmp / 'beds.sqlite3'}",
            f"sqlite:///{tmp / 'facilities.sqlite3'}",
        )
    else:
        beds_url, fac_url = create_scratch_postgis("cc_bench"), create_scratch_postgis("cc_bench")
    samples: dict[str, list[float]] = {"copy": [], "executemany": [], "import": []}
    try:
        upgrade("beds", beds_url)
        upgrade("facilities", fac_url)
        seed_facilities(fac_url, n)
        engine = make_engine(beds_url)
        with (
            running_app(
                create_app(FacilitiesSettings(database_url=fac_url, log_level="WARNING"))
            ) as url,
            FacilitiesClient(url, timeout_s=120) as client,
        ):
            for r in range(runs):
                if backend == "postgis":
                    samples["copy"].append(copy_s(beds_url, n, f"2024-{r + 1:02d}"))
                samples["executemany"].append(executemany_s(beds_url, n, f"2024-{r + 1:02d}"))
                text = csv_text(n, f"2025-{r + 1:02d}")
                started = time.perf_counter()
                result = import_csv(
                    text,
                    client=client,
                    write_sessions=make_session_factory(engine, write=True),
                    writer=Writer(identity=None, require_identity=False, request_id=None),
                )
                samples["import"].append(time.perf_counter() - started)
                assert result.created == n, result
        engine.dispose()
    finally:
        if backend == "postgis":
            drop_scratch_postgis(beds_url)
            drop_scratch_postgis(fac_url)
    base = f"{backend}: PostgreSQL COPY" if backend == "postgis" else f"{backend}: executemany"
    figures = [row(f"{backend}: beds import", samples["import"], baseline=base)]
    if backend == "postgis":
        figures.append(row(base, samples["copy"]))
    figures.append(row(f"{backend}: executemany", samples["executemany"]))
    for figure in figures:
        ratio = (
            f"; {figure['median'] / figures[1]['median']:.1f}× {base}" if figure["baseline"] else ""
        )
        print(f"{describe(figure)}  = {n / figure['median']:,.0f} rows/s{ratio}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5,000 rows")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (≥ 3)")
    parser.add_argument("--backend", choices=["sqlite", "postgis", "both"], default="both")
    args = parser.parse_args()
    start = load_avg()
    n = 5_000 if args.quick else args.rows
    print(f"{n:,} bed reports per run; load average at start {start[0]:.2f} (shared machine)")
    figures: list[dict[str, Any]] = []
    for backend in ("sqlite", "postgis") if args.backend == "both" else (args.backend,):
        with tempfile.TemporaryDirectory() as tmp:
            figures += run(backend, n, max(3, args.runs), Path(tmp))
    emit("beds_import", figures, start)


if __name__ == "__main__":
    main()
