"""``/api/v1/plans``: the outside-check list (= the CLI's), reported figures, compliance, report files."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from typer.testing import CliRunner

from services.beds import repository as beds_repository
from services.beds.app import create_app
from services.beds.settings import BedsSettings
from services.cli import app as cli_app
from services.common.db import make_engine, make_session_factory, transaction
from services.common.identity import Identity
from tests.beds.plans.city import CITY, DISTRICTS
from tests.identity import SignedAs

TARGET_KEYS = {
    "comparator",
    "threshold",
    "target_year",
    "kind",
    "status",
    "gap",
    "source_file",
    "source_line",
}
ITEM_KEYS = {"indicator", "value", "numerator", "denominator", "unit", "targets"}
SECRET = "plans-test"


@pytest.fixture
def backend() -> str:
    """SQLite only here: the storage paths run on both engines in test_made_up_city.py."""
    return "sqlite"


def add_targets(beds_db: str) -> None:
    """Made-up targets of the made-up city (the seeded ones are for real regions)."""
    common = {"region_name": "样例市", "source_document": "样例市规划", "source_file": "sample.txt"}
    rows = [
        dict(
            indicator="nursing_share",
            comparator="ge",
            threshold=0.6,
            binding=True,
            source_line="护理型床位占比不低于60%",
        ),
        dict(
            indicator="street_center_coverage",
            comparator="ge",
            threshold=0.9,
            binding=False,
            source_line="乡镇(街道)综合养老服务中心覆盖率达到90%",
        ),
        dict(
            indicator="town_centers",
            comparator="ge",
            threshold=50,
            binding=None,
            source_line="建成镇养老服务中心50个",
        ),
        dict(
            indicator="destitute_centralized_care_rate",
            comparator="gt",
            threshold=0.5,
            binding=None,
            source_line="集中供养率超过50%",
        ),
    ]
    engine = make_engine(beds_db)
    with transaction(make_session_factory(engine, write=True)) as session:
        for row in rows:
            beds_repository.add_target(
                session, region_code=CITY, target_year=2025, wording=None, **common, **row
            )
    engine.dispose()


@pytest.fixture
async def api(city_services: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    add_targets(city_services["beds_db"])
    app = create_app(
        BedsSettings(
            database_url=city_services["beds_db"],
            facilities_url=city_services["facilities"],
            coverage_url=city_services["coverage"],
            facilities_timeout_s=20,
            identity_secret=SECRET,
            log_json=False,
        )
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://beds") as client:
        yield client


async def test_http_list_equals_the_cli_list(
    api: httpx.AsyncClient, city_services: dict[str, str]
) -> None:
    response = await api.get(
        "/api/v1/plans/indicators", params={"region": "990100", "period": "2025-10"}
    )
    assert response.status_code == 200, response.text
    items = response.json()
    assert all(set(i) == ITEM_KEYS for i in items)
    by_id = {i["indicator"]: i for i in items}
    nursing = by_id["nursing_share"]
    assert [set(t) for t in nursing["targets"]] == [TARGET_KEYS]
    assert nursing["targets"][0]["kind"] == "binding" and nursing["unit"] == "share"
    assert by_id["town_centers"]["targets"][0]["kind"] is None
    env = {
        "BEDS_DATABASE_URL": city_services["beds_db"],
        "FACILITIES_URL": city_services["facilities"],
        "COVERAGE_URL": city_services["coverage"],
    }
    result = CliRunner().invoke(
        cli_app,
        ["plan", "indicators", "--region", CITY, "--period", "2025-10", "--format", "json"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == items


async def test_bad_queries_name_the_field(api: httpx.AsyncClient) -> None:
    bad_region = await api.get(
        "/api/v1/plans/indicators", params={"region": "99", "period": "2025-10"}
    )
    assert bad_region.status_code == 422
    assert bad_region.headers["content-type"].startswith("application/problem+json")
    assert bad_region.json()["errors"][0]["field"] == "query.region"
    future = await api.get("/api/v1/plans/indicators", params={"region": CITY, "period": "2999-01"})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "query.period"
    unknown = await api.get(
        "/api/v1/plans/indicators", params={"region": "990199000000", "period": "2025-10"}
    )
    assert unknown.status_code == 404
    indicator = await api.get(
        "/api/v1/plans/indicators/children", params={"region": CITY, "indicator": "happiness"}
    )
    assert (
        indicator.status_code == 422 and indicator.json()["errors"][0]["field"] == "query.indicator"
    )


async def test_reported_figures_revisions_and_rules(api: httpx.AsyncClient) -> None:
    body = {
        "region_code": DISTRICTS[0],
        "period": "2025-11",
        "indicator": "destitute_centralized_care_rate",
        "numerator": 30,
        "denominator": 40,
        "source": "1区民政局 2025-11",
    }
    first = await api.post("/api/v1/plans/reported", json=body)
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 1
    again = await api.post("/api/v1/plans/reported", json=body)
    assert again.json()["unchanged"] == 1
    fixed = await api.post(
        "/api/v1/plans/reported", json={**body, "numerator": 32, "reason": "late list"}
    )
    assert fixed.json()["revised"] == 1
    figure_id = fixed.json()["ids"][0]
    history = (await api.get(f"/api/v1/plans/reported/{figure_id}/revisions")).json()
    assert [(h["revision"], h["figures"]["numerator"], h["reason"]) for h in history] == [
        (1, 30.0, None),
        (2, 32.0, "late list"),
    ]
    listed = (
        await api.get("/api/v1/plans/reported", params={"region": CITY, "period": "2025-11"})
    ).json()
    assert [(i["indicator"], i["value"], i["version"]) for i in listed["items"]] == [
        ("destitute_centralized_care_rate", 0.8, 2)
    ]
    for change, field in (
        ({"indicator": "happiness"}, "indicator"),
        ({"numerator": 50}, "numerator"),
        ({"numerator": None, "denominator": None, "value": 60}, "value"),
        ({"region_code": "990199000000"}, "region_code"),
        ({"period": "2999-01"}, "period"),
        ({"source": " "}, "source"),
    ):
        refused = await api.post("/api/v1/plans/reported", json={**body, **change})
        assert refused.status_code == 422, (change, refused.text)
        assert field in {e["field"] for e in refused.json()["errors"]}, (change, refused.json())
    operator = SignedAs(Identity("op", "operator", facility_ids=(1,)), SECRET)
    assert (await api.post("/api/v1/plans/reported", json=body, auth=operator)).status_code == 403
    official = SignedAs(Identity("d2", "official", region_code=DISTRICTS[1]), SECRET)
    outside = await api.post("/api/v1/plans/reported", json=body, auth=official)
    assert outside.status_code == 403 and "outside official" in outside.json()["detail"]
    inside = await api.post(
        "/api/v1/plans/reported", json={**body, "region_code": DISTRICTS[1]}, auth=official
    )
    assert inside.status_code == 200, inside.text


async def test_csv_import_is_all_or_nothing(api: httpx.AsyncClient) -> None:
    header = "region_code,period,indicator,value,numerator,denominator,source\n"
    bad = (
        header
        + f"{DISTRICTS[0]},2025-11,home_adaptations,12,,,ok\n{DISTRICTS[1]},2025-11,home_adaptations,1.5,,,x\n"
    )
    refused = await api.post(
        "/api/v1/plans/reported/import", content=bad.encode(), headers={"Content-Type": "text/csv"}
    )
    assert refused.status_code == 422
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(3, "value")]
    listed = (await api.get("/api/v1/plans/reported", params={"period": "2025-11"})).json()["items"]
    assert listed == []
    good = "\ufeff" + header + f"{DISTRICTS[0]},2025-11,home_adaptations,12,,,1区 2025-11\n"
    done = await api.post(
        "/api/v1/plans/reported/import", content=good.encode(), headers={"Content-Type": "text/csv"}
    )
    assert done.status_code == 200 and done.json()["created"] == 1


async def test_compliance_orders_binding_first_and_says_how_it_projects(
    api: httpx.AsyncClient,
) -> None:
    body = (
        await api.get("/api/v1/plans/compliance", params={"region": CITY, "period": "2025-10"})
    ).json()
    kinds = [t["kind"] for t in body["targets"]]
    assert kinds == sorted(kinds, key=lambda k: {"binding": 0, "expected": 1, None: 2}[k])
    nursing = body["targets"][0]
    assert nursing["indicator"] == "nursing_share" and nursing["scope"] == "own"
    assert "least-squares" in nursing["projection"]["method"]
    assert nursing["projection"]["points"] == 2  # two months of reports: too few to project
    assert nursing["projection"]["on_track"] is None
    district = (
        await api.get(
            "/api/v1/plans/compliance", params={"region": DISTRICTS[0], "period": "2025-10"}
        )
    ).json()
    inherited = {t["indicator"] for t in district["targets"]}
    assert inherited == {
        "nursing_share",
        "street_center_coverage",
        "destitute_centralized_care_rate",
    }
    assert all(
        t["scope"] == "inherited" for t in district["targets"]
    )  # a count target stays the city's
    month_without = (
        await api.get("/api/v1/plans/compliance", params={"region": CITY, "period": "2025-08"})
    ).json()
    statuses = {t["indicator"]: t["status"] for t in month_without["targets"]}
    assert (
        statuses["nursing_share"] == "no_data"
        and statuses["destitute_centralized_care_rate"] == "no_data"
    )


async def test_report_files(api: httpx.AsyncClient) -> None:
    params = {"region": CITY, "period": "2025-10"}
    csv_response = await api.get("/api/v1/plans/report", params={**params, "format": "csv"})
    assert csv_response.status_code == 200
    assert csv_response.content.startswith(b"\xef\xbb\xbf")  # Excel on Chinese Windows reads UTF-8
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["序号", "指标", "目标层级", "目标"]
    assert rows[1][1] == "养老机构护理型床位占比" and rows[1][5] == "约束性"
    assert "「护理型床位占比不低于60%」" in rows[1]
    english = await api.get(
        "/api/v1/plans/report", params={**params, "format": "csv", "lang": "en"}
    )
    assert list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))[0][:2] == [
        "No.",
        "Indicator",
    ]
    page = await api.get("/api/v1/plans/report", params={**params, "format": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "护理型床位占比不低于60%" in page.text and "按趋势预计" in page.text
    book = await api.get("/api/v1/plans/report", params={**params, "format": "xlsx"})
    from openpyxl import load_workbook

    sheets = load_workbook(io.BytesIO(book.content))
    targets = sheets.worksheets[0]
    assert targets.title == "达标情况" and targets.cell(3, 2).value == "养老机构护理型床位占比"
    value = targets.cell(3, 8)
    assert isinstance(value.value, float) and value.number_format == "0.0%"


async def test_facilities_down_is_503(city_services: dict[str, str], closed_port_url: str) -> None:
    app = create_app(
        BedsSettings(
            database_url=city_services["beds_db"], facilities_url=closed_port_url, log_json=False
        )
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://beds") as client:
        response = await client.get(
            "/api/v1/plans/indicators", params={"region": CITY, "period": "2025-10"}
        )
    assert response.status_code == 503 and response.headers.get("retry-after")


async def test_a_planner_adds_a_plan_target_with_its_line(api: httpx.AsyncClient) -> None:
    planner = SignedAs(Identity("p", "planner"), SECRET)
    target = {
        "region_code": CITY,
        "indicator": "village_mutual_aid_coverage",
        "comparator": "gt",
        "threshold": 0.5,
        "binding": False,
        "target_year": 2026,
        "source_document": "样例市规划",
        "source_file": "sample.txt",
        "source_line": "互助养老服务设施覆盖率超过50%",
        "wording": "超过",
    }
    added = await api.post("/api/v1/beds/targets", json=target, auth=planner)
    assert added.status_code == 201, added.text
    assert added.json()["source_line"] == target["source_line"]
    bad = await api.post("/api/v1/beds/targets", json={**target, "comparator": "gte"}, auth=planner)
    assert bad.status_code == 422
    items = (
        await api.get("/api/v1/plans/indicators", params={"region": CITY, "period": "2025-10"})
    ).json()
    village = next(i for i in items if i["indicator"] == "village_mutual_aid_coverage")
    assert [(t["comparator"], t["kind"], t["source_line"]) for t in village["targets"]] == [
        ("gt", "expected", "互助养老服务设施覆盖率超过50%")
    ]
