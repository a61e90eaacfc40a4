"""Plan monitoring speed for a whole real city, against the bed compliance report of the same city.

Real regions (all four cities' districts, 322 streets/towns and 4,254 communities/villages,
2020 census) and GENERATED facilities (``beds synth`` institutions with 12 months of bed
reports, ``plan synth`` centres, stations and mutual-aid points naming their streets and
communities) for Zhangzhou (漳州市, 11 districts); the REAL facilities and beds services over
HTTP (uvicorn threads, SQLite). Median of ``--runs`` calls each:

* baseline: ``GET /api/v1/beds/compliance`` — the bed-target report a bureau had before;
* ``GET /api/v1/plans/indicators`` — every plan indicator of the city (the outside-check list);
* ``GET /api/v1/plans/compliance`` — every target with gap, projection and worst districts;
* ``GET /api/v1/plans/report?format=xlsx`` — the same rendered as an Excel file.

Prints each figure with its ratio to the baseline and the load average (the machine is shared).
``--quick``: one district (芗城区) instead of the city, 3 runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def median_ms(client: httpx.Client, path: str, params: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, params=params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one district, 3 runs")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    region, runs = ("350602000000", 3) if args.quick else ("350600000000", args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        fac_url, beds_url = f"sqlite:///{tmp}/facilities.sqlite3", f"sqlite:///{tmp}/beds.sqlite3"
        upgrade("facilities", fac_url)
        upgrade("beds", beds_url)
        started = time.perf_counter()
        facilities, reports = load(fac_url, beds_url, region)
        print(
            f"plan monitoring, {region}: {facilities:,} generated facilities, {reports:,} bed reports "
            f"(loaded in {time.perf_counter() - started:.1f} s); SQLite; median of {runs}"
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
                base = median_ms(client, "/api/v1/beds/compliance", params, runs)
                print(
                    f"  baseline  beds compliance                 {base:8.1f} ms   load {os.getloadavg()[0]:.2f}"
                )
                for label, path, extra in (
                    ("plans indicators (52)", "/api/v1/plans/indicators", {}),
                    ("plans compliance", "/api/v1/plans/compliance", {}),
                    ("plans report xlsx", "/api/v1/plans/report", {"format": "xlsx"}),
                ):
                    ms = median_ms(client, path, {**params, **extra}, runs)
                    print(
                        f"  {label:40s}{ms:8.1f} ms   ratio to baseline {ms / base:5.1f}   load {os.getloadavg()[0]:.2f}"
                    )


if __name__ == "__main__":
    main()
