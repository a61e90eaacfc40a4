"""The shared app factory: problem+json errors, request ids, health, readiness, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.common.app import create_service_app
from services.common.context import current_request_id
from services.common.errors import Conflict
from services.common.http import async_client
from services.common.settings import ServiceSettings
from tests.servers import running_app


class Point(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


def demo_router() -> APIRouter:
    router = APIRouter()

    @router.post("/points")
    def create_point(point: Point) -> Point:
        return point

    @router.get("/items/{item_id}")
    def get_item(item_id: int, limit: int = Query(10, ge=1, le=100)) -> dict[str, int]:
        return {"item_id": item_id, "limit": limit}

    @router.get("/conflict")
    def conflict() -> None:
        raise Conflict("facility 7 already has that name", existing_id=7)

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    @router.get("/whoami-request")
    def request_id() -> dict[str, str | None]:
        return {"request_id": current_request_id()}

    return router


def make_app(database_url: str, service: str = "facilities"):  # type: ignore[no-untyped-def]
    settings = ServiceSettings(service_name=service, database_url=database_url)
    return create_service_app(
        settings, title="t", description="t", version="0", routers=[demo_router()]
    )


@pytest.fixture
async def client(facilities_db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(facilities_db_url)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_validation_error_is_problem_json_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/points", json={"lon": 200, "lat": 10})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert body["errors"][0]["field"] == "body.lon"
    assert "body.lon" in body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]


async def test_query_and_path_validation_name_their_fields(client: httpx.AsyncClient) -> None:
    response = await client.get("/items/abc", params={"limit": 0})
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"path.item_id", "query.limit"}


async def test_unknown_route_and_wrong_method_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "/nowhere" in missing.json()["detail"]
    wrong = await client.delete("/points")
    assert wrong.status_code == 405
    assert wrong.json()["title"] == "Method Not Allowed"


async def test_care_error_keeps_its_status_and_extension_members(client: httpx.AsyncClient) -> None:
    response = await client.get("/conflict")
    assert response.status_code == 409
    assert response.json()["existing_id"] == 7


async def test_unexpected_error_is_500_problem_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text


async def test_request_id_is_kept_or_generated(client: httpx.AsyncClient) -> None:
    kept = await client.get("/whoami-request", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    assert kept.json()["request_id"] == "abc-123"
    generated = await client.get("/whoami-request")
    assert len(generated.headers["x-request-id"]) == 32
    injected = await client.get("/whoami-request", headers={"X-Request-ID": "bad id\twith spaces"})
    assert injected.headers["x-request-id"] != "bad id\twith spaces"


async def test_health_ready_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["migrations"]["at_head"] is True
    await client.get("/items/5")
    metrics = (await client.get("/metrics")).text
    assert 'route="/items/{item_id}"' in metrics
    assert "http_request_duration_seconds_bucket" in metrics


async def test_readyz_fails_when_migrations_are_not_at_head(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["at_head"] is False


async def test_readyz_fails_when_database_is_unreachable() -> None:
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")


def test_request_id_is_forwarded_on_outgoing_calls(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Service A calls service B over real HTTP; B sees the id A received."""
    import asyncio

    upstream = make_app(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    with running_app(upstream) as base_b:
        router = APIRouter()

        @router.get("/relay")
        async def relay() -> dict[str, str | None]:
            async with async_client(base_b) as http:
                answer = await http.get("/whoami-request")
            return answer.json()  # type: ignore[no-any-return]

        settings = ServiceSettings(
            service_name="facilities", database_url=f"sqlite:///{tmp_path / 'a.sqlite3'}"
        )
        front = create_service_app(
            settings, title="a", description="a", version="0", routers=[router]
        )

        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=front)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await c.get("/relay", headers={"X-Request-ID": "trace-42"})

        response = asyncio.run(call())
    assert response.json()["request_id"] == "trace-42"


def test_a_500_and_a_503_keep_the_clients_keep_alive_connection(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Starlette re-raises after its 500 and uvicorn then closes the connection; ours do not."""
    from tests.gateway.rawhttp import RawConnection

    app = make_app(f"sqlite:///{tmp_path / 'svc.sqlite3'}")
    with running_app(app) as base, RawConnection(int(base.rsplit(":", 1)[1])) as conn:
        for _ in range(3):
            boom = conn.request("GET", "/boom")
            assert boom.status == 500 and b"secret" not in boom.body
            assert conn.is_open()
            assert conn.request("GET", "/healthz").status == 200
