"""``/api/v1/plans`` through the gateway: routed to the beds service, read by any authenticated
caller, reported figures written by officials (in their region) and planners (ADR 0201)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from gateway import policy, routing
from gateway.app import create_app
from services.beds.app import create_app as create_beds_app
from services.beds.settings import BedsSettings
from services.common.errors import Forbidden, Unauthorized
from services.common.identity import Identity
from services.facilities.app import create_app as create_facilities_app
from services.facilities.settings import FacilitiesSettings
from tests.beds.plans.city import CITY, DISTRICTS, load_beds, load_facilities, make_city
from tests.gateway.conftest import SECRET, close_app, make_settings, new_key
from tests.servers import free_port, running_app

REPORTED = "/api/v1/plans/reported"
D1, D2 = DISTRICTS[0], DISTRICTS[1]


@pytest.fixture
def backend() -> str:
    """SQLite only here: the storage paths run on both engines in test_made_up_city.py."""
    return "sqlite"


def test_plans_route_to_beds_and_follow_the_beds_read_rule() -> None:
    assert routing.resolve("/api/v1/plans/indicators").upstream == "beds"
    with pytest.raises(Unauthorized):
        policy.authorize(None, "GET", "/api/v1/plans/indicators")
    policy.authorize(Identity("p", "planner"), "GET", "/api/v1/plans/indicators")
    policy.authorize(Identity("o", "operator", facility_ids=(1,)), "GET", "/api/v1/plans/report")


@pytest.mark.parametrize(
    ("identity", "allowed"),
    [
        (Identity("d1", "official", region_code=D1), True),
        (Identity("d2", "official", region_code=D2), False),
        (Identity("p", "planner"), True),
        (Identity("a", "admin"), True),
        (Identity("o", "operator", facility_ids=(1,)), False),
        (Identity("u", "public"), False),
    ],
)
def test_who_may_report_plan_figures(identity: Identity, allowed: bool) -> None:
    scope = policy.scope_of(REPORTED, {}, {"region_code": D1})
    if allowed:
        policy.authorize(identity, "POST", REPORTED, scope)
    else:
        with pytest.raises(Forbidden):
            policy.authorize(identity, "POST", REPORTED, scope)


@pytest.fixture
def services(facilities_db_url: str, beds_db_url: str) -> Iterator[dict[str, str]]:
    """The made-up city in real facilities and beds services that insist on signed identities."""
    city = make_city(16)
    load_facilities(facilities_db_url, city)
    load_beds(beds_db_url, city)
    common = {"identity_secret": SECRET, "require_identity": True, "log_level": "WARNING"}
    with ExitStack() as stack:
        facilities = stack.enter_context(
            running_app(
                create_facilities_app(FacilitiesSettings(database_url=facilities_db_url, **common))
            )
        )
        beds = stack.enter_context(
            running_app(
                create_beds_app(
                    BedsSettings(
                        database_url=beds_db_url,
                        facilities_url=facilities,
                        coverage_url=f"http://127.0.0.1:{free_port()}",
                        **common,
                    )
                )
            )
        )
        yield {
            "facilities_url": facilities,
            "beds_url": beds,
            "coverage_url": f"http://127.0.0.1:{free_port()}",
        }


async def test_plans_end_to_end_through_the_gateway(
    services: dict[str, str], gateway_sqlite_url: str
) -> None:
    app = create_app(make_settings(gateway_sqlite_url, None, **services))
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gw:
            official = {"X-API-Key": new_key(app, "official", region_code=D1)}
            planner = {"X-API-Key": new_key(app, "planner")}
            params = {"region": CITY, "period": "2025-10"}
            assert (await gw.get("/api/v1/plans/indicators", params=params)).status_code == 401
            listed = await gw.get("/api/v1/plans/indicators", params=params, headers=planner)
            assert listed.status_code == 200, listed.text
            assert {i["indicator"] for i in listed.json()} >= {
                "nursing_share",
                "street_center_coverage",
            }
            report = await gw.get(
                "/api/v1/plans/report", params={**params, "format": "csv"}, headers=planner
            )
            assert report.status_code == 200 and report.content.startswith(b"\xef\xbb\xbf")
            figure = {
                "region_code": D1,
                "period": "2025-11",
                "indicator": "home_adaptations",
                "value": 14,
                "source": "1区民政局",
            }
            assert (await gw.post(REPORTED, json=figure, headers=official)).status_code == 200
            refused = await gw.post(REPORTED, json={**figure, "region_code": D2}, headers=official)
            assert refused.status_code == 403 and D2 in refused.json()["detail"]
            board = (await gw.get(f"/api/v1/regions/{D1}/dashboard", headers=planner)).json()
            assert board["plans"]["status"] == "ok"
            by_id = {i["indicator"]: i for i in board["plans"]["indicators"]}
            assert by_id["street_center_coverage"]["unit"] == "share"
    finally:
        await close_app(app)
