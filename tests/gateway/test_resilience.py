"""Upstreams that are stopped, slow and flapping: 502/503/504 naming the upstream, retries only
for idempotent requests, a breaker that opens, fails fast, probes and recovers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.gateway.conftest import Stub, close_app, make_settings, new_key
from tests.servers import running_process


@asynccontextmanager
async def gateway(
    db_url: str, upstreams: dict[str, Stub], **overrides: object
) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    app = create_app(make_settings(db_url, upstreams, **overrides))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://gw"
        ) as client:
            yield client, app
    finally:
        await close_app(app)


def assert_problem(response: httpx.Response, status: int, upstream: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["upstream"] == upstream and upstream in body["detail"]
    return body


async def test_a_stopped_service_process_gives_503_naming_it(
    gateway_sqlite_url: str, upstreams: dict[str, Stub], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    env = {
        "FACILITIES_DATABASE_URL": f"sqlite:///{tmp_path / 'facilities.sqlite3'}",
        "CARECIRCLE_LOG_LEVEL": "WARNING",
    }
    with running_process("facilities", env) as (url, proc):
        async with gateway(gateway_sqlite_url, upstreams, facilities_url=url, retries=1) as (
            client,
            _,
        ):
            assert (await client.get("/api/v1/regions")).status_code == 200
            proc.terminate()
            proc.wait(timeout=10)
            response = await client.get("/api/v1/regions")
            body = assert_problem(response, 503, "facilities")
            assert "unreachable" in str(body["detail"])
            assert int(response.headers["retry-after"]) >= 1
            # The other services are unaffected.
            assert (await client.get("/api/v1/nearby?lon=116.4&lat=39.9")).status_code == 503
            planner = {"X-API-Key": new_key(_app_of(client), "planner")}
            assert (await client.get("/api/v1/beds/indicators", headers=planner)).status_code == 200


def _app_of(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    return client._transport.app  # type: ignore[attr-defined]


async def test_a_slow_upstream_gives_504(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    upstreams["facilities"].behaviour.delay_s = 1.0
    async with gateway(gateway_sqlite_url, upstreams, upstream_timeout_s=0.2, retries=0) as (
        client,
        _,
    ):
        started = time.perf_counter()
        response = await client.get("/api/v1/facilities/1")
        assert time.perf_counter() - started < 0.9
        assert_problem(response, 504, "facilities")
    # A timeout is not retried: the work may still be running there.
    async with gateway(gateway_sqlite_url, upstreams, upstream_timeout_s=0.2, retries=2) as (
        client,
        _,
    ):
        upstreams["facilities"].behaviour.received.clear()
        started = time.perf_counter()
        assert_problem(await client.get("/api/v1/facilities/1"), 504, "facilities")
        assert time.perf_counter() - started < 0.9
        assert len(upstreams["facilities"].behaviour.received) == 1
    # A per-upstream override gives one service more time than the others.
    async with gateway(
        gateway_sqlite_url,
        upstreams,
        upstream_timeout_s=0.2,
        upstream_timeouts_s={"facilities": 3.0},
        retries=0,
    ) as (client, _):
        assert (await client.get("/api/v1/facilities/1")).status_code == 200


async def test_retries_only_for_idempotent_requests(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    behaviour = upstreams["facilities"].behaviour
    async with gateway(gateway_sqlite_url, upstreams, retries=2) as (client, app):
        admin = {"X-API-Key": new_key(app, "admin")}  # type: ignore[arg-type]
        behaviour.fail_status, behaviour.fail_next = 503, 2
        response = await client.get("/api/v1/facilities/1")
        assert response.status_code == 200
        assert (
            behaviour.paths() == ["/api/v1/facilities/1"] * 3
        )  # two failures, then the retry that worked
        behaviour.received.clear()
        behaviour.fail_next = 1
        response = await client.post("/api/v1/facilities", json={}, headers=admin)
        assert_problem(response, 503, "facilities")
        assert len(behaviour.received) == 1  # a POST is never sent twice
        behaviour.received.clear()
        behaviour.fail_next = 1
        assert (
            await client.delete("/api/v1/facilities/1", headers=admin)
        ).status_code == 200  # DELETE is idempotent
        assert len(behaviour.received) == 2
        # A 500 is that request's failure, not a sign the service is down: passed through as
        # the service's answer, never sent again, even for a GET.
        for method in ("GET", "PATCH"):
            behaviour.received.clear()
            behaviour.fail_status, behaviour.fail_next = 500, 1
            response = await client.request(method, "/api/v1/facilities/1", headers=admin)
            assert response.status_code == 500 and response.json() == {"detail": "stub failure"}
            assert len(behaviour.received) == 1


async def test_flapping_upstream_opens_the_breaker_then_recovers(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    behaviour = upstreams["beds"].behaviour
    behaviour.fail_status, behaviour.fail_next, behaviour.delay_s = 502, 10_000, 0.3
    async with gateway(
        gateway_sqlite_url, upstreams, breaker_fail_max=3, breaker_reset_s=1.0, retries=0
    ) as (client, app):
        headers = {"X-API-Key": new_key(app, "planner")}  # type: ignore[arg-type]
        assert_problem(await client.get("/api/v1/beds/indicators", headers=headers), 502, "beds")
        assert_problem(await client.get("/api/v1/beds/indicators", headers=headers), 502, "beds")
        body = assert_problem(
            await client.get("/api/v1/beds/indicators", headers=headers), 503, "beds"
        )
        assert "breaker" in str(body["detail"])
        assert len(behaviour.received) == 3
        # Open: fast 503s that never reach the upstream.
        for _ in range(5):
            started = time.perf_counter()
            response = await client.get("/api/v1/beds/indicators", headers=headers)
            assert time.perf_counter() - started < 0.2
            assert_problem(response, 503, "beds")
            assert response.headers["retry-after"] == "1"
        assert len(behaviour.received) == 3
        assert (
            'gateway_upstream_breaker_state{upstream="beds"} 2.0'
            in (await client.get("/metrics")).text
        )
        # Other upstreams keep working.
        assert (
            await client.get("/api/v1/coverage/regions/110105000000/latest", headers=headers)
        ).status_code == 200
        # Half-open probe fails: open again, one more call reached the upstream.
        await asyncio.sleep(1.1)
        assert_problem(await client.get("/api/v1/beds/indicators", headers=headers), 503, "beds")
        assert len(behaviour.received) == 4
        # The upstream recovers; after the reset time one probe closes the breaker.
        behaviour.fail_next, behaviour.delay_s = 0, 0.0
        await asyncio.sleep(1.1)
        for _ in range(3):
            assert (await client.get("/api/v1/beds/indicators", headers=headers)).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert 'gateway_upstream_breaker_state{upstream="beds"} 0.0' in metrics
        assert 'gateway_upstream_calls_total{outcome="breaker_open",upstream="beds"} 5.0' in metrics
        assert 'gateway_upstream_duration_seconds_count{upstream="beds"}' in metrics


async def test_a_half_open_breaker_lets_one_trial_call_through(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    """When the reset time has passed, a burst sends one trial to the upstream, not the burst."""
    behaviour = upstreams["beds"].behaviour
    path = "/api/v1/beds/indicators"
    async with gateway(
        gateway_sqlite_url, upstreams, breaker_fail_max=2, breaker_reset_s=1.0, retries=0
    ) as (client, app):
        headers = {"X-API-Key": new_key(app, "planner")}  # type: ignore[arg-type]

        async def state() -> str:
            metrics = (await client.get("/metrics")).text
            line = next(x for x in metrics.splitlines() if x.startswith(_BEDS_BREAKER_STATE))
            return line.rsplit(" ", 1)[1]

        async def open_breaker() -> None:
            behaviour.fail_status, behaviour.fail_next, behaviour.delay_s = 503, 10_000, 0.0
            for _ in range(2):
                assert (await client.get(path, headers=headers)).status_code in (502, 503)
            assert await state() == "2.0"
            behaviour.received.clear()

        async def one() -> tuple[httpx.Response, float]:
            response = await client.get(path, headers=headers)
            return response, time.perf_counter()

        async def burst(n: int) -> list[tuple[httpx.Response, float]]:
            return list(await asyncio.gather(*(one() for _ in range(n))))

        async def state_during_trial() -> str:
            while not behaviour.received:  # the trial has reached the upstream, which sleeps
                await asyncio.sleep(0.01)
            return await state()

        # The upstream recovered but is slow: its trial is still in flight while the burst arrives.
        await open_breaker()
        behaviour.fail_next, behaviour.delay_s = 0, 1.0
        await asyncio.sleep(1.1)
        answers, half_open_state = await asyncio.gather(burst(8), state_during_trial())
        assert len(behaviour.received) == 1
        assert half_open_state == "1.0"
        assert sorted(r.status_code for r, _ in answers) == [200] + [503] * 7
        trial_done = next(t for r, t in answers if r.status_code == 200)
        for response, done in answers:
            if response.status_code == 503:
                assert "breaker" in str(assert_problem(response, 503, "beds")["detail"])
                assert response.headers["retry-after"] == "1"
                assert done < trial_done  # refused at once, not queued behind the trial
        # The trial's success closed the breaker: the next burst goes through whole.
        assert await state() == "0.0"
        behaviour.delay_s = 0.0
        assert [r.status_code for r, _ in await burst(8)] == [200] * 8
        assert len(behaviour.received) == 9

        # Open again; this time the one trial fails, and the breaker opens again.
        await open_breaker()
        behaviour.delay_s = 1.0
        await asyncio.sleep(1.1)
        answers = await burst(8)
        assert len(behaviour.received) == 1
        for response, _ in answers:
            assert_problem(response, 503, "beds")
        assert await state() == "2.0"
        assert_problem(await client.get(path, headers=headers), 503, "beds")
        assert len(behaviour.received) == 1  # open: refused without reaching the upstream


_BEDS_BREAKER_STATE = 'gateway_upstream_breaker_state{upstream="beds"}'


async def test_callers_mistakes_and_one_requests_failures_never_open_a_breaker(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    """4xx and 500 answers are the service answering: passed through as they are, not retried,
    and however many there are, the breaker stays closed for everyone else."""
    behaviour = upstreams["facilities"].behaviour
    behaviour.answer(
        "GET",
        "/api/v1/facilities/99999999999999999999999",
        422,
        {"status": 422, "errors": [{"field": "path.facility_id", "message": "too large"}]},
    )
    async with gateway(gateway_sqlite_url, upstreams, breaker_fail_max=2, retries=2) as (
        client,
        _,
    ):
        for _ in range(5):
            response = await client.get("/api/v1/facilities/99999999999999999999999")
            assert response.status_code == 422
            assert response.json()["errors"][0]["field"] == "path.facility_id"
        behaviour.fail_status, behaviour.fail_next = 500, 5
        for _ in range(5):
            assert (await client.get("/api/v1/facilities/1")).status_code == 500
        # A 502 the service renders itself is about one of its own dependencies (e.g. coverage
        # asking facilities about a bad station type): the service is up.
        behaviour.answer(
            "GET",
            "/api/v1/facilities/2",
            502,
            {"status": 502, "detail": "facilities answered 422"},
            {"content-type": "application/problem+json"},
        )
        for _ in range(3):
            assert (await client.get("/api/v1/facilities/2")).status_code == 502
        assert len(behaviour.received) == 13  # nothing was sent twice
        assert (await client.get("/api/v1/facilities/1")).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert 'gateway_upstream_breaker_state{upstream="facilities"} 0.0' in metrics
        assert (
            'gateway_upstream_calls_total{outcome="http_5xx",upstream="facilities"} 8.0' in metrics
        )


async def test_two_anonymous_requests_cannot_open_a_breaker(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    """A request counts once toward the breaker, whatever its retries: with the defaults
    (5 failures, 2 retries) two requests that find the service down leave it closed."""
    behaviour = upstreams["facilities"].behaviour
    behaviour.fail_status, behaviour.fail_next = 503, 6
    async with gateway(
        gateway_sqlite_url, upstreams, breaker_fail_max=GatewaySettings().breaker_fail_max
    ) as (client, _):
        assert GatewaySettings().retries == 2
        for _ in range(2):
            assert_problem(await client.get("/api/v1/facilities/1"), 503, "facilities")
        assert len(behaviour.received) == 6  # each tried three times
        assert (await client.get("/api/v1/facilities/1")).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert 'gateway_upstream_breaker_state{upstream="facilities"} 0.0' in metrics
