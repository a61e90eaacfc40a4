"""The PostGIS nearby path's own connections (asyncpg pool, ADR 0073) when the database drops them.

Real faults, no mocks: the server terminates the pool's connections
(``pg_terminate_backend``, what a restart or failover does to them), and a
database that is not there at all (a closed port).
"""

from __future__ import annotations

import re

import asyncpg
import httpx
import pytest
from sqlalchemy import create_engine, text

from services.facilities import nearby_postgis
from services.facilities.app import create_app
from services.facilities.nearby_search import NearbyQuery
from services.facilities.queries import FacilityFilter
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


# --- the KNN statement: compiled once, its $n in order (no text rewriting) ---------------------


def test_compiled_numbers_each_parameter_once_and_lists_element_by_element() -> None:
    statement = nearby_postgis.compiled(
        "SELECT 1 WHERE a = :a AND b IN :bs AND c = :c AND a2 = :a", (("bs", 3),)
    )
    assert statement.sql == "SELECT 1 WHERE a = $1 AND b IN ($3, $4, $5) AND c = $2 AND a2 = $1"
    values = {"a": "A", "bs": ["x", "y", "z"], "c": 7, "unused": 0}
    assert statement.args(values) == ["A", 7, "x", "y", "z"]
    assert (
        nearby_postgis.compiled(
            "SELECT 1 WHERE a = :a AND b IN :bs AND c = :c AND a2 = :a", (("bs", 3),)
        )
        is statement
    )  # one compile per shape


@pytest.mark.parametrize("backend", ["postgis"])
async def test_every_argument_reaches_its_own_placeholder(facilities_db_url: str) -> None:
    """Oracle: the named values come back from the server in the columns that named them."""
    statement = nearby_postgis.compiled(
        "SELECT CAST(:b AS int) AS b, CAST(:a AS text) AS a, CAST(:b AS int) + 1 AS b1, "
        "CAST(:c AS float8) IN :cs AS hit, CAST(:d AS text) AS d",
        (("cs", 2),),
    )
    values = {"a": "甲", "b": 41, "c": 2.5, "cs": [1.0, 2.5], "d": "last"}
    conn = await asyncpg.connect(nearby_postgis.asyncpg_dsn(facilities_db_url))
    try:
        row = await conn.fetchrow(statement.sql, *statement.args(values))
    finally:
        await conn.close()
    assert dict(row) == {"b": 41, "a": "甲", "b1": 42, "hit": True, "d": "last"}


def test_knn_statement_binds_every_filter_value() -> None:
    query = NearbyQuery(
        lon=106.5,
        lat=29.6,
        want=5,
        radius_m=1000.0,
        filters=FacilityFilter(
            types=("day_care", "meal_point"),
            statuses=("active", "planned"),
            services_mask=3,
            q="龙溪",
        ),
    )
    statement, values = nearby_postgis.knn_sql(query)
    args = statement.args({**values, "knn_limit": 30})
    assert (
        len(args)
        == len(statement.slots)
        == max(int(n) for n in re.findall(r"\$(\d+)", statement.sql))
    )
    assert statement.sql.count("LIMIT $") == 3 and ":" not in statement.sql.replace("::", "")
    assert {106.5, 29.6, "day_care", "meal_point", "active", "planned", 3, 30} <= set(args)
    assert "%龙溪%" in args
