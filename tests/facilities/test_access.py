"""Who may write: role and region scope from the gateway-signed identity (both engines)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.common.identity import Identity
from services.facilities.app import create_app
from services.facilities.settings import FacilitiesSettings
from tests.facilities.conftest import DATA, station
from tests.identity import SignedAs

SECRET = "test-secret-not-used-anywhere-else"
pytestmark = pytest.mark.asyncio


@pytest.fixture
async def signed_client(facilities_db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = FacilitiesSettings(
        database_url=facilities_db_url, identity_secret=SECRET, log_json=False
    )
    transport = httpx.ASGITransport(app=create_app(settings), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        admin = SignedAs(Identity("root", "admin"), SECRET)
        body = (DATA / "regions_small.geojson").read_bytes()
        loaded = await client.post(
            "/api/v1/regions/import",
            content=body,
            headers={"Content-Type": "application/geo+json"},
            auth=admin,
        )
        assert loaded.status_code == 200, loaded.text
        yield client


def as_(role: str, region: str | None = None, subject: str = "someone") -> SignedAs:
    return SignedAs(Identity(subject, role, region_code=region), SECRET)


async def post(client: httpx.AsyncClient, auth: SignedAs, **overrides: Any) -> httpx.Response:
    return await client.post("/api/v1/facilities", json=station(**overrides), auth=auth)


async def test_official_writes_inside_their_region_and_is_audited(
    signed_client: httpx.AsyncClient,
) -> None:
    response = await post(signed_client, as_("official", "500112000000", "yubei-clerk"))
    assert response.status_code == 201, response.text
    history = (await signed_client.get(response.headers["Location"] + "/history")).json()["items"]
    assert history[0]["actor"] == "yubei-clerk"


async def test_official_cannot_write_outside_their_region(signed_client: httpx.AsyncClient) -> None:
    response = await post(signed_client, as_("official", "500105000000"))
    assert response.status_code == 403
    assert (
        "500105000000" in response.json()["detail"] and response.json()["reason"] == "region_scope"
    )


async def test_official_cannot_move_a_facility_out_of_their_region(
    signed_client: httpx.AsyncClient,
) -> None:
    clerk = as_("official", "500112000000")
    url = (await post(signed_client, clerk)).headers["Location"]
    moved = await signed_client.patch(
        url, json={"lon": 106.8, "lat": 29.55}, headers={"If-Match": '"1"'}, auth=clerk
    )
    assert moved.status_code == 403


@pytest.mark.parametrize("role", ["operator", "public", "planner"])
async def test_other_roles_cannot_write(signed_client: httpx.AsyncClient, role: str) -> None:
    response = await post(signed_client, as_(role, "500000000000"))
    assert response.status_code == 403 and response.json()["reason"] == "role"


async def test_forged_identity_is_401(signed_client: httpx.AsyncClient) -> None:
    forged = SignedAs(Identity("mallory", "admin"), "not-the-secret")
    assert (await post(signed_client, forged)).status_code == 401


async def test_only_admins_import_regions(signed_client: httpx.AsyncClient) -> None:
    body = (DATA / "regions_small.geojson").read_bytes()
    response = await signed_client.post(
        "/api/v1/regions/import",
        content=body,
        headers={"Content-Type": "application/geo+json"},
        auth=as_("official", "500000000000"),
    )
    assert response.status_code == 403


async def test_required_identity_refuses_anonymous_writes(facilities_db_url: str) -> None:
    settings = FacilitiesSettings(
        database_url=facilities_db_url,
        identity_secret=SECRET,
        require_identity=True,
        log_json=False,
    )
    transport = httpx.ASGITransport(app=create_app(settings), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.post("/api/v1/facilities", json=station())).status_code == 401
        admin = SignedAs(Identity("root", "admin"), SECRET)
        assert (
            await client.post("/api/v1/facilities", json=station(), auth=admin)
        ).status_code == 201
        assert (await client.get("/api/v1/registry/version")).status_code == 200  # reads stay open


async def test_official_bulk_import_is_scoped_row_by_row(signed_client: httpx.AsyncClient) -> None:
    text = (
        "external_id,name,type,lon,lat\n"
        "I1,渝北站,day_care,106.55,29.55\n"
        "I2,江北站,day_care,106.80,29.55\n"
    )
    clerk = as_("official", "500112000000")
    headers = {"Content-Type": "text/csv"}
    refused = await signed_client.post(
        "/api/v1/facilities/import", content=text.encode(), headers=headers, auth=clerk
    )
    assert refused.status_code == 422
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(2, "region_code")]
    only_mine = "\n".join(text.splitlines()[:2]) + "\n"
    accepted = await signed_client.post(
        "/api/v1/facilities/import", content=only_mine.encode(), headers=headers, auth=clerk
    )
    assert accepted.status_code == 200 and accepted.json()["created"] == 1
