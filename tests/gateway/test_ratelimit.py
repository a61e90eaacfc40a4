"""Rate limits: per client IP for anonymous callers, per key otherwise, tighter for heavy
endpoints; in memory and in the real Redis at 127.0.0.1:6379 (shared by gateway replicas)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import redis

from gateway.app import create_app
from tests.gateway.conftest import Stub, close_app, make_settings, new_key

REDIS_URL = "redis://127.0.0.1:6379/0"


@asynccontextmanager
async def gateway(
    db_url: str, upstreams: dict[str, Stub], **overrides: object
) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    app = create_app(make_settings(db_url, upstreams, **overrides))
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=False, client=("198.51.100.1", 1234)
    )
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            yield client, app
    finally:
        await close_app(app)


def assert_429(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert response.json()["retry_after_s"] == retry_after


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> dict[str, str]:
    """Limiter settings with a unique key prefix (so runs never share counters)."""
    prefix = f"cc-test-{uuid.uuid4().hex[:8]}"
    yield {"redis_url": REDIS_URL if request.param == "redis" else "", "rate_limit_prefix": prefix}
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


async def test_anonymous_callers_are_limited_per_ip(
    gateway_sqlite_url: str, upstreams: dict[str, Stub], storage: dict[str, str]
) -> None:
    async with gateway(
        gateway_sqlite_url,
        upstreams,
        rate_limit_anonymous="3/minute",
        trust_forwarded_for=True,
        **storage,
    ) as (client, _):
        for _ in range(3):
            assert (await client.get("/api/v1/facilities/1")).status_code == 200
        assert_429(await client.get("/api/v1/facilities/1"))
        # Another client IP has its own budget.
        assert (
            await client.get("/api/v1/facilities/1", headers={"X-Forwarded-For": "192.0.2.9"})
        ).status_code == 200
    assert (
        len(upstreams["facilities"].behaviour.received) == 4
    )  # the refused one never left the gateway


async def test_keys_have_their_own_budget_and_heavy_calls_a_tighter_one(
    gateway_sqlite_url: str, upstreams: dict[str, Stub], storage: dict[str, str]
) -> None:
    async with gateway(
        gateway_sqlite_url,
        upstreams,
        rate_limit_anonymous="1/minute",
        rate_limit_key="5/minute",
        rate_limit_heavy="2/minute",
        **storage,
    ) as (client, app):
        planner = {"X-API-Key": new_key(app, "planner")}
        other = {"X-API-Key": new_key(app, "planner")}
        assert (await client.get("/api/v1/facilities/1")).status_code == 200
        assert_429(await client.get("/api/v1/facilities/1"))  # anonymous: 1/minute
        assert (
            await client.post("/api/v1/coverage/runs", json={}, headers=planner)
        ).status_code == 200
        assert (
            await client.post("/api/v1/coverage/runs", json={}, headers=planner)
        ).status_code == 200
        response = await client.post("/api/v1/coverage/runs", json={}, headers=planner)
        assert_429(response)
        assert "heavy" in response.json()["detail"]
        assert (
            await client.get("/api/v1/coverage/runs/1", headers=planner)
        ).status_code == 200  # 4th of 5
        assert (
            await client.get("/api/v1/coverage/runs/1", headers=planner)
        ).status_code == 200  # 5th of 5
        assert_429(await client.get("/api/v1/coverage/runs/1", headers=planner))
        assert (
            await client.post("/api/v1/coverage/runs", json={}, headers=other)
        ).status_code == 200


async def test_replicas_share_counts_through_redis(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    prefix = f"cc-test-{uuid.uuid4().hex[:8]}"
    shared = {
        "redis_url": REDIS_URL,
        "rate_limit_prefix": prefix,
        "rate_limit_anonymous": "4/minute",
    }
    async with (
        gateway(gateway_sqlite_url, upstreams, **shared) as (a, _),
        gateway(gateway_sqlite_url, upstreams, **shared) as (b, _),
    ):
        for client in (a, b, a, b):
            assert (await client.get("/api/v1/regions")).status_code == 200
        assert_429(await a.get("/api/v1/regions"))
        assert_429(await b.get("/api/v1/regions"))
    keys = redis.Redis.from_url(REDIS_URL)
    assert list(keys.scan_iter(f"{prefix}*"))  # the counters really live in Redis
    for key in keys.scan_iter(f"{prefix}*"):
        keys.delete(key)
    keys.close()


async def test_replicas_without_redis_count_alone(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    alone = {"redis_url": "", "rate_limit_anonymous": "2/minute"}
    async with (
        gateway(gateway_sqlite_url, upstreams, **alone) as (a, _),
        gateway(gateway_sqlite_url, upstreams, **alone) as (b, _),
    ):
        for client in (a, a, b, b):
            assert (await client.get("/api/v1/regions")).status_code == 200
        assert_429(await a.get("/api/v1/regions"))


async def test_a_redis_outage_fails_open_and_shows_in_readiness(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    async with gateway(
        gateway_sqlite_url,
        upstreams,
        redis_url="redis://127.0.0.1:1/0",
        rate_limit_anonymous="1/minute",
    ) as (client, app):
        for _ in range(3):
            assert (await client.get("/api/v1/regions")).status_code == 200
        assert app.state.service.extras["gateway"].limiter.storage_errors == 3
        ready = (await client.get("/readyz")).json()
        assert ready["checks"]["rate_limit_storage"]["ready"] is False
