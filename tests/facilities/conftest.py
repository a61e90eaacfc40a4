"""Fixtures of the facilities tests: an app on a migrated database (both engines) and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.facilities.app import create_app
from services.facilities.settings import FacilitiesSettings

DATA = Path(__file__).resolve().parents[1] / "data" / "facilities"


def station(**overrides: Any) -> dict[str, Any]:
    """A valid facility body (a community station inside 龙溪街道 of the small test regions)."""
    body: dict[str, Any] = {
        "external_id": "S-1",
        "source": "survey",
        "name": "龙溪社区养老服务站",
        "type": "community_station",
        "services": ["meal"],
        "lon": 106.55,
        "lat": 29.55,
    }
    body.update(overrides)
    return body


@pytest.fixture
def app(facilities_db_url: str) -> FastAPI:
    return create_app(FacilitiesSettings(database_url=facilities_db_url, log_json=False))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    # The lifespan's shutdown closes what the app opened in this loop (the PostGIS nearby pool).
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as c,
    ):
        yield c


@pytest.fixture
async def small_regions(client: httpx.AsyncClient) -> dict[str, Any]:
    """The six hand-drawn squares of tests/data/facilities/regions_small.geojson, loaded over HTTP."""
    body = (DATA / "regions_small.geojson").read_bytes()
    response = await client.post(
        "/api/v1/regions/import", content=body, headers={"Content-Type": "application/geo+json"}
    )
    assert response.status_code == 200, response.text
    return response.json()
