"""The PostGIS nearby path's own connections (asyncpg pool, ADR 0073) when the database drops them.

Real faults, no mocks: the server terminates the pool's connections
(``pg_terminate_backend``, what a restart or failover does to them), and a
database that is not there at all (a closed port).
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import create_engine, text

from services.facilities.app import create_app
from services.facilities.settings import FacilitiesSettings
from tests.facilities.queries_support import (
    CENTER_LAT,
    CENTER_LON,
    query_client,
    random_facilities,
    seed_facilities,
)
from tests.servers import free_port

URL = "/api/v1/facilities/nearby"
PARAMS = {"lon": CENTER_LON, "lat": CENTER_LAT, "k": 5, "type": "community_station"}


def _terminate_other_connections(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgis"])
async def test_connections_the_server_closed_are_replaced_without_an_error(
    facilities_db_url: str,
) -> None:
    seed_facilities(facilities_db_url, random_facilities(60, seed=3))
    async with query_client(facilities_db_url, nearby_index=False) as client:
        before = await client.get(URL, params=PARAMS)
        assert before.status_code == 200 and before.json()["items"]
        assert _terminate_other_connections(facilities_db_url) >= 1
        after = await client.get(URL, params=PARAMS)
        assert after.status_code == 200, after.text
        assert after.json() == before.json()


async def test_a_database_that_is_not_there_is_a_503_problem() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    for nearby_index in (True, False):
        app = create_app(FacilitiesSettings(database_url=url, nearby_index=nearby_index))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                response = await client.get(URL, params=PARAMS)
        assert response.status_code == 503, nearby_index
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "Retry-After" in response.headers
