"""Rate limits: per client IP for anonymous callers, per key otherwise, tighter for heavy
endpoints; in memory and in the real Redis at 127.0.0.1:6379 (shared by gateway replicas)."""

from __future__ import annotations

import asyncio
import math
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pydantic
import pytest
import redis
import throttled.utils

from gateway.app import create_app
from gateway.ratelimit import Quota, RateLimiter, make_store, parse_rates
from gateway.settings import GatewaySettings, worker_warnings
from services.common.errors import TooManyRequests
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
        admin = {"X-API-Key": new_key(app, "admin")}  # type: ignore[arg-type]
        ready = (await client.get("/readyz", headers=admin)).json()
        assert ready["checks"]["rate_limit_storage"]["ready"] is False


async def test_a_bucket_refills_at_its_rate_on_redis_and_in_memory(
    gateway_sqlite_url: str, upstreams: dict[str, Stub], storage: dict[str, str]
) -> None:
    """Real time, real Redis: an empty bucket of 4/second has a token again after 0.25 s."""
    async with gateway(
        gateway_sqlite_url, upstreams, rate_limit_anonymous="4/second", **storage
    ) as (client, _):
        for _ in range(4):
            assert (await client.get("/api/v1/regions")).status_code == 200
        assert_429(await client.get("/api/v1/regions"))
        await asyncio.sleep(0.3)
        assert (await client.get("/api/v1/regions")).status_code == 200
        assert_429(await client.get("/api/v1/regions"))


async def test_without_redis_the_least_recently_seen_callers_are_forgotten_first(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    """Memory stays bounded: with room for 2 buckets a third caller pushes out the oldest."""
    async with gateway(
        gateway_sqlite_url,
        upstreams,
        rate_limit_anonymous="1/minute",
        rate_limit_memory_keys=2,
        trust_forwarded_for=True,
    ) as (client, _):

        async def status(ip: str) -> int:
            answer = await client.get("/api/v1/regions", headers={"X-Forwarded-For": ip})
            return answer.status_code

        assert [await status("192.0.2.1"), await status("192.0.2.1")] == [200, 429]
        assert await status("192.0.2.2") == 200
        assert await status("192.0.2.1") == 429  # still remembered: 2 buckets fit
        assert await status("192.0.2.3") == 200  # pushes out .2, the least recently seen
        assert await status("192.0.2.2") == 200  # forgotten, so a full bucket again
        assert await status("192.0.2.3") == 429


async def test_bad_credentials_are_metered_per_address_and_then_cost_no_key_lookup(
    gateway_sqlite_url: str, upstreams: dict[str, Stub], storage: dict[str, str]
) -> None:
    """Bad keys are known bad only after a lookup, before any quota applies: they have their own."""
    async with gateway(
        gateway_sqlite_url,
        upstreams,
        rate_limit_auth_failures="3/minute",
        trust_forwarded_for=True,
        **storage,
    ) as (client, app):
        good = new_key(app, "planner")

        def unknown_key() -> str:  # well formed, so only a database lookup can tell
            return f"cc_{uuid.uuid4().hex[:12]}_{'A' * 43}"

        async def status(headers: dict[str, str], ip: str = "192.0.2.7") -> httpx.Response:
            return await client.get(
                "/api/v1/coverage/runs/1", headers={**headers, "X-Forwarded-For": ip}
            )

        bad = [
            {"X-API-Key": unknown_key()},
            {"X-API-Key": "not-a-key"},
            {"Authorization": "Bearer not.a.token"},
        ]
        assert [(await status(headers)).status_code for headers in bad] == [401, 401, 401]
        refused = await status({"X-API-Key": unknown_key()})
        assert_429(refused)
        assert "bad-credentials" in refused.json()["detail"]
        # Spent: even a good key is not looked up from this address until a token is back…
        assert_429(await status({"X-API-Key": good}))
        # …while other addresses, and callers without credentials, are not affected.
        assert (await status({"X-API-Key": good}, ip="192.0.2.8")).status_code == 200
        assert (await status({"X-API-Key": good})).status_code == 200  # now cached: no lookup
        public = await client.get("/api/v1/regions", headers={"X-Forwarded-For": "192.0.2.7"})
        assert public.status_code == 200


async def test_a_refused_write_is_refused_before_its_body_is_read(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    """No role or no quota left: 401/403/429 without reading (and parsing) the body first."""
    async with gateway(
        gateway_sqlite_url, upstreams, rate_limit_key="1/minute", trust_forwarded_for=True
    ) as (client, app):
        official = {"X-API-Key": new_key(app, "official", region_code="110105")}
        planner = {"X-API-Key": new_key(app, "planner")}
        read: list[str] = []

        def body(who: str) -> AsyncIterator[bytes]:
            async def chunks() -> AsyncIterator[bytes]:
                read.append(who)
                yield b'{"name": "x", "region_code": "110105000000"}'

            return chunks()

        async def post(who: str, headers: dict[str, str]) -> int:
            answer = await client.post(
                "/api/v1/facilities",
                content=body(who),
                headers={**headers, "Content-Type": "application/json"},
            )
            return answer.status_code

        assert await post("anonymous", {}) == 401
        assert await post("planner", planner) == 403
        assert await post("official", official) == 200  # the one request of its quota
        assert await post("official again", official) == 429
        assert read == ["official"]


def test_several_workers_without_redis_are_warned_about() -> None:
    alone = GatewaySettings(database_url="sqlite://", redis_url="")
    shared = GatewaySettings(database_url="sqlite://", redis_url=REDIS_URL)
    (warning,) = worker_warnings(alone, 4)
    assert "REDIS_URL" in warning and "4×" in warning
    assert worker_warnings(alone, 1) == []
    assert worker_warnings(shared, 4) == []


# --- the buckets against an obviously right token bucket, on a clock the test moves ---------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def oracle_decisions(
    times: list[float], limit: int, period_s: float
) -> list[tuple[bool, int | None]]:
    """A token bucket as the textbook states it: ``limit`` tokens, refilled continuously."""
    rate = limit / period_s
    tokens, last = float(limit), times[0]
    out: list[tuple[bool, int | None]] = []
    for now in times:
        tokens = min(limit, tokens + (now - last) * rate)
        last = now
        if tokens >= 1:
            tokens -= 1
            out.append((True, None))
        else:
            out.append((False, max(1, math.ceil((1 - tokens) / rate))))
    return out


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("text", ["5/10 seconds", "3/second", "60/minute"])
async def test_buckets_decide_as_a_textbook_token_bucket(
    monkeypatch: pytest.MonkeyPatch, seed: int, text: str
) -> None:
    clock = Clock()
    monkeypatch.setattr(throttled.utils, "now_mono_f", clock)
    (rate,) = parse_rates(text)
    limiter = RateLimiter(make_store("", 1000), f"oracle-{seed}")
    quota = Quota("anonymous", [rate])
    rng = random.Random(seed)
    mean_gap_s = rate.period_s / rate.limit  # around the refill rate: bursts, waits, refusals
    times = []
    for _ in range(300):
        clock.now += rng.expovariate(1.3 / mean_gap_s)
        times.append(clock.now)
    decisions = []
    for now in times:
        clock.now = now
        try:
            await limiter.hit(quota, "ip:192.0.2.1")
            decisions.append((True, None))
        except TooManyRequests as refused:
            decisions.append((False, refused.extra["retry_after_s"]))
    expected = oracle_decisions(times, rate.limit, rate.period_s)
    assert decisions == expected
    assert {allowed for allowed, _ in decisions} == {True, False}  # both paths exercised


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60/minute", [(60, 60)]),
        ("600 per minute; 20/second", [(600, 60), (20, 1)]),
        ("100/2 hours", [(100, 7200)]),
        ("5/10 Seconds,1/day", [(5, 10), (1, 86400)]),
    ],
)
def test_rates_are_read_from_settings_text(text: str, expected: list[tuple[int, int]]) -> None:
    assert [(rate.limit, rate.period_s) for rate in parse_rates(text)] == expected


@pytest.mark.parametrize("text", ["", "60", "60/fortnight", "0/minute", "5/0 seconds", "a/minute"])
def test_a_bad_rate_setting_is_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(pydantic.ValidationError) as refused:
        GatewaySettings(database_url="sqlite://", rate_limit_heavy=text)
    assert "rate_limit_heavy" in str(refused.value)
