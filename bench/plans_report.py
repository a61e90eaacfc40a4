"""Plan monitoring speed for a whole real city, against the bed compliance report of the same city.

Real regions (all four cities' districts, 322 streets/towns and 4,254 communities/villages,
2020 census) and GENERATED facilities (``beds synth`` institutions with 12 months of bed
reports, ``plan synth`` centres, stations and mutual-aid points naming their streets and
communities) for Zhangzhou (漳州市, 11 districts); the REAL facilities and beds services over
HTTP (uvicorn threads, SQLite). Median and spread of ``--runs`` (≥ 3) calls each, the
calls of the four endpoints taken in turn (so that a change of load hits them alike):

* baseline: ``GET /api/v1/beds/compliance`` — the bed-target report a bureau had before;
* ``GET /api/v1/plans/indicators`` — every plan indicator of the city (the outside-check list);
* ``GET /api/v1/plans/compliance`` — every target with gap, projection and worst districts;
* ``GET /api/v1/plans/report?format=xlsx`` — the same rendered as an Excel file.

Why these baselines: there is no outside tool that computes these plan indicators, so the
honest comparison is the nearest thing a user already runs on the same data through the
same service — the bed compliance report (same HTTP stack, same bed reports, one target
instead of all) for the indicator and compliance calls — and, for the Excel report, the
``/plans/compliance`` JSON of the same figures measured in the same run (what the report
costs on top of computing them: the formatting and the workbook).

Prints each figure with its ratio to its baseline and the load average (the machine is
shared); the last line is ``BENCH_JSON`` (bench/_report.py).
``--quick``: one district (芗城区) instead of the city, 5 runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.beds.app import create_app as create_beds_app  # noqa: E402
from services.beds.facilities_client import FacilitiesClient  # noqa: E402
from services.beds.periods import periods_between  # noqa: E402
from services.beds.plans import synth as plan_synth  # noqa: E402
from services.beds.settings import BedsSettings  # noqa: E402
from services.beds.submissions import Writer, import_csv  # noqa: E402
from services.beds.synth import BED_COLUMNS, District, synthesize  # noqa: E402
from services.common.db import make_engine, make_session_factory, transaction  # noqa: E402
from services.common.identity import region_prefix  # noqa: E402
from services.common.migrate import upgrade  # noqa: E402
from services.facilities import bulk, bulk_regions  # noqa: E402
from services.facilities.app import create_app as create_facilities_app  # noqa: E402
from services.facilities.cn_regions import build_cn_regions  # noqa: E402
from services.facilities.registry import Actor  # noqa: E402
from services.facilities.settings import FacilitiesSettings  # noqa: E402
from tests.servers import running_app  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import describe, emit, load_avg, row  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
PERIOD = "2025-10"


def load(fac_url: str, beds_url: str, region: str) -> tuple[int, int]:
    """Regions, generated facilities and bed reports; returns (facilities, bed reports)."""
    import orjson
    from shapely.geometry import shape

    collection = build_cn_regions(
        [
            SHARED
            / "cn-admin-districts/wgs84/districts_xiamen_zhangzhou_chongqing_liupanshui.geojson",
            SHARED
            / "cn-admin-districts/wgs84/cities_xiamen_zhangzhou_chongqing_liupanshui.geojson",
        ],
        SHARED / "cn-census2020-county/census2020_county_target_cities.csv",
        codes=[
            SHARED / "cn-admin-codes/streets_xiamen_zhangzhou_yubei_liupanshui.csv",
            SHARED / "cn-admin-codes/villages_xiamen_zhangzhou_yubei_liupanshui.csv",
        ],
    )
    sessions = make_session_factory(make_engine(fac_url), write=True)
    with transaction(sessions) as session:
        bulk_regions.import_regions(session, orjson.dumps(collection).decode(), "geojson")
    props = [
        f
        for f in collection["features"]
        if f["properties"]["code"].startswith(region_prefix(region))
    ]
    districts = [
        {**f["properties"], "geometry": f["geometry"]}
        for f in props
        if f["properties"]["level"] == "district" and f["geometry"]
    ]
    units = [f["properties"] for f in props if f["properties"].get("kind")]
    institutions, reports = synthesize(
        [District.from_region(d) for d in districts], periods_between("2024-11", PERIOD)
    )
    areas = [
        plan_synth.Area(
            d["code"],
            d["name"],
            shape(d["geometry"]),
            tuple(
                (u["code"], u["name"], u["kind"])
                for u in units
                if u["code"].startswith(d["code"][:6])
            ),
        )
        for d in districts
    ]
    community = plan_synth.facilities(areas)
    header = ",".join(plan_synth.FACILITY_COLUMNS)
    rows = (
        [header]
        + [",".join(str(r.get(c, "")) for c in plan_synth.FACILITY_COLUMNS) for r in community]
        + [",".join(str(r.get(c, "")) for c in plan_synth.FACILITY_COLUMNS) for r in institutions]
    )
    with transaction(sessions) as session:
        bulk.import_facilities(
            session,
            "\n".join(rows) + "\n",
            "csv",
            options=bulk.ImportOptions(),
            actor=Actor("bench"),
        )
    text = (
        ",".join(BED_COLUMNS)
        + "\n"
        + "\n".join(",".join(str(r[c]) for c in BED_COLUMNS) for r in reports)
        + "\n"
    )
    engine = make_engine(beds_url)
    with (
        running_app(
            create_facilities_app(FacilitiesSettings(database_url=fac_url, log_level="WARNING"))
        ) as url,
        FacilitiesClient(url, timeout_s=120) as client,
    ):
        import_csv(
            text,
            client=client,
            write_sessions=make_session_factory(engine, write=True),
            writer=Writer(identity=None, require_identity=False, request_id=None),
        )
    engine.dispose()
    return len(community) + len(institutions), len(reports)


def call_ms(client: httpx.Client, path: str, params: dict[str, str]) -> float:
    """Milliseconds of one GET (whole answer read); it must succeed."""
    started = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.text[:300]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one district, 5 runs")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    start = load_avg()
    region, runs = ("350602000000", 5) if args.quick else ("350600000000", max(3, args.runs))
    with tempfile.TemporaryDirectory() as tmp:
        fac_url, beds_url = f"sqlite:///{tmp}/facilities.sqlite3", f"sqlite:///{tmp}/beds.sqlite3"
        upgrade("facilities", fac_url)
        upgrade("beds", beds_url)
        started = time.perf_counter()
        facilities, reports = load(fac_url, beds_url, region)
        print(
            f"plan monitoring, {region}: {facilities:,} generated facilities, {reports:,} bed reports "
            f"(loaded in {time.perf_counter() - started:.1f} s); SQLite; median of {runs}; "
            f"load average at start {start[0]:.2f}"
        )
        quiet = {"log_level": "WARNING"}
        with running_app(
            create_facilities_app(FacilitiesSettings(database_url=fac_url, **quiet))
        ) as fac:
            beds_app = create_beds_app(
                BedsSettings(
                    database_url=beds_url,
                    facilities_url=fac,
                    coverage_url="http://127.0.0.1:9",
                    **quiet,
                )
            )
            with running_app(beds_app) as beds, httpx.Client(base_url=beds, timeout=300) as client:
                params = {"region": region, "period": PERIOD}
                client.get("/api/v1/plans/indicators", params=params)  # warm the region cache
                base = "beds compliance"
                calls = (
                    (base, "/api/v1/beds/compliance", {}, None),
                    ("plans indicators (52)", "/api/v1/plans/indicators", {}, base),
                    ("plans compliance", "/api/v1/plans/compliance", {}, base),
                    (
                        "plans report xlsx",
                        "/api/v1/plans/report",
                        {"format": "xlsx"},
                        "plans compliance",
                    ),
                )
                samples: dict[str, list[float]] = {label: [] for label, *_ in calls}
                for _ in range(runs):
                    for label, path, extra, _base in calls:
                        samples[label].append(call_ms(client, path, {**params, **extra}))
    figures = [
        row(label, [ms / 1000 for ms in samples[label]], baseline=baseline)
        for label, _path, _extra, baseline in calls
    ]
    by_name = {f["name"]: f for f in figures}
    for figure in figures:
        ratio = (
            f"   ratio to {figure['baseline']} {figure['median'] / by_name[figure['baseline']]['median']:5.1f}"
            if figure["baseline"]
            else "   (baseline)"
        )
        print("  " + describe(figure) + ratio)
    emit("plans_report", figures, start)


if __name__ == "__main__":
    main()
