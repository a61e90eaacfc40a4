"""City rollup over all streets on PostGIS, against a plain ``SELECT count(*)`` of the same table.

Data: N facilities x M monthly periods of generated bed reports (one row each) in one
city (350600000000: 10 districts x 30 streets x 10 communities), loaded with COPY into a
fresh, migrated PostGIS database, then ANALYZEd. Timed (median of R runs, same run):

* baseline: ``SELECT count(*) FROM bed_reports`` (every row of the table);
  rows are stored month by month, the order in which reports arrive (``--order facility``
  stores them facility by facility instead: every page then holds every month);
* rollup: ``repository.region_totals`` for the city, one period, GROUP BY street_code
  (the SQL the compliance/children routes run: 12 sums incl. CASE per operation mode);
* city total (one period, no grouping) and the 24-month series (GROUP BY period).

Every figure is the median and spread (max - min) of R timed runs after one warm-up;
the last line is ``BENCH_JSON`` (bench/_report.py) with each query's ratio to the
``count(*)`` measured in the same run over the same rows.

The rollup's answer is checked against numpy sums over the generated arrays.
``--quick``: 2,000 facilities x 6 periods, 5 runs. Default: 100,000 x 24 (2.4 M rows), 7 runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import describe, emit, load_avg, row, timed  # noqa: E402

from services.beds import repository  # noqa: E402
from services.beds.levels import ancestor_codes  # noqa: E402
from services.beds.periods import periods_between  # noqa: E402
from services.common.db import make_engine, make_session_factory  # noqa: E402
from services.common.migrate import upgrade  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "CARECIRCLE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CITY = "350600000000"
MODES = np.array(["public_run", "public_built_private_run", "private", ""], dtype=object)
TYPES = np.array(
    ["nursing_home", "care_center", "township_home", "community_station"], dtype=object
)
COLUMNS = (
    "facility_id",
    "period",
    "total_beds",
    "nursing_beds",
    "dementia_beds",
    "occupied_beds",
    "family_beds",
    "facility_type",
    "operation_mode",
    "region_code",
    "province_code",
    "city_code",
    "district_code",
    "street_code",
    "community_code",
    "version",
)


def community_codes() -> list[str]:
    return [
        f"3506{d:02d}{s:03d}{c:03d}"
        for d in range(1, 11)
        for s in range(1, 31)
        for c in range(1, 11)
    ]


def generate(n_facilities: int, periods: list[str], seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = n_facilities * len(periods)
    communities = np.array(community_codes(), dtype=object)
    home = rng.integers(0, len(communities), n_facilities)
    total = rng.integers(0, 300, n)
    return {
        "facility_id": np.repeat(np.arange(1, n_facilities + 1), len(periods)),
        "period": np.tile(np.array(periods, dtype=object), n_facilities),
        "total": total,
        "nursing": (total * rng.uniform(0, 1, n)).astype(int),
        "occupied": (total * rng.uniform(0, 1, n)).astype(int),
        "mode": np.repeat(MODES[rng.integers(0, 4, n_facilities)], len(periods)),
        "type": np.repeat(TYPES[rng.integers(0, 4, n_facilities)], len(periods)),
        "community": np.repeat(communities[home], len(periods)),
    }


def copy_rows(url: str, data: dict[str, np.ndarray], order: str) -> float:
    """COPY the rows in (``arrival``: month by month, as reports come in; ``facility``: facility by facility)."""
    import pandas as pd
    import psycopg

    started = time.perf_counter()
    ancestors = pd.DataFrame(
        [{"community": c, **ancestor_codes(c)} for c in sorted(set(data["community"]))]
    )
    frame = (
        pd.DataFrame(
            {
                "facility_id": data["facility_id"],
                "period": data["period"],
                "total_beds": data["total"],
                "nursing_beds": data["nursing"],
                "dementia_beds": 0,
                "occupied_beds": data["occupied"],
                "family_beds": 0,
                "facility_type": data["type"],
                "operation_mode": pd.Series(data["mode"]).replace("", None),
                "community": data["community"],
            }
        )
        .merge(ancestors, on="community", how="left")
        .rename(columns={"community": "region_code"})
    )
    frame["version"] = 1
    if order == "arrival":
        frame = frame.sort_values(["period", "facility_id"], kind="stable")
    payload = frame[list(COLUMNS)].to_csv(sep="\t", header=False, index=False, na_rep="\\N")
    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(raw) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY bed_reports ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(payload)
        cur.execute("ANALYZE bed_reports")
    return time.perf_counter() - started


def samples_s(fn, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds of ``repeats`` calls after one warm-up call (cache and plan warm)."""
    fn()
    return timed(fn, repeats)[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 facilities x 6 periods")
    parser.add_argument("--facilities", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument(
        "--repeats", "--runs", type=int, default=0, help="timed runs (default 7; 5 with --quick)"
    )
    parser.add_argument(
        "--order",
        choices=["arrival", "facility"],
        default="arrival",
        help="Physical row order: month by month as reports arrive (default), or facility by facility",
    )
    args = parser.parse_args()
    start = load_avg()
    repeats = args.repeats or (5 if args.quick else 7)
    n_facilities, n_periods = (2_000, 6) if args.quick else (args.facilities, args.periods)
    periods = periods_between("2023-01", "2030-12")[:n_periods]
    name = f"cc_bench_beds_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
        upgrade("beds", url)
        data = generate(n_facilities, periods)
        load_s = copy_rows(url, data, args.order)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        last = periods[-1]
        with sessions() as session:

            def count() -> int:
                return int(session.execute(text("SELECT count(*) FROM bed_reports")).scalar_one())

            def rollup():  # type: ignore[no-untyped-def]
                return repository.region_totals(
                    session,
                    column="city_code",
                    code=CITY,
                    first_period=last,
                    last_period=last,
                    group_by="street_code",
                )

            def city_total():  # type: ignore[no-untyped-def]
                return repository.region_totals(
                    session, column="city_code", code=CITY, first_period=last, last_period=last
                )

            def series():  # type: ignore[no-untyped-def]
                return repository.region_totals(
                    session,
                    column="city_code",
                    code=CITY,
                    first_period=periods[0],
                    last_period=last,
                    group_by="period",
                )

            rows = count()
            streets = rollup()
            mask = data["period"] == last
            street_of = np.array([c[:9] + "000" for c in data["community"][mask]], dtype=object)
            for street in list(streets)[:50]:
                assert streets[street].total_beds == int(
                    data["total"][mask][street_of == street].sum()
                ), street
            assert sum(t.total_beds for t in streets.values()) == int(data["total"][mask].sum())
            base = "SELECT count(*) FROM bed_reports"
            figures = [
                row(base, samples_s(count, repeats)),
                row(
                    "rollup: city by street, one period", samples_s(rollup, repeats), baseline=base
                ),
                row("city total, one period", samples_s(city_total, repeats), baseline=base),
                row(
                    f"city series, {n_periods} periods (GROUP BY period)",
                    samples_s(series, max(3, repeats // 2)),
                    baseline=base,
                ),
            ]
            count_s, rollup_s, total_s, series_s = (f["median"] for f in figures)
            plan = "\n".join(
                r[0]
                for r in session.execute(
                    text(
                        "EXPLAIN SELECT street_code, count(*), sum(total_beds) FROM bed_reports "
                        "WHERE city_code = :c AND period = :p GROUP BY street_code"
                    ),
                    {"c": CITY, "p": last},
                )
            )
        engine.dispose()
        print(
            f"beds rollup on PostGIS: {n_facilities:,} facilities x {n_periods} periods = {rows:,} rows "
            f"(loaded by COPY in {load_s:.1f} s, {args.order} order)"
        )
        print(f"  baseline  SELECT count(*) FROM bed_reports        {count_s * 1000:9.1f} ms")
        print(
            f"  rollup    city {CITY}, {last}, by street ({len(streets)} streets) {rollup_s * 1000:9.1f} ms"
            f"   ratio to count(*): {rollup_s / count_s:.2f}"
        )
        print(
            f"  city total, one period                            {total_s * 1000:9.1f} ms"
            f"   ratio to count(*): {total_s / count_s:.2f}"
        )
        print(
            f"  city series, {n_periods} periods (GROUP BY period)       {series_s * 1000:9.1f} ms"
            f"   ratio to count(*): {series_s / count_s:.2f}"
        )
        print("  plan of the street rollup:\n    " + plan.replace("\n", "\n    "))
        for figure in figures:
            print("  " + describe(figure))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    emit("beds_rollup", figures, start)


if __name__ == "__main__":
    main()
