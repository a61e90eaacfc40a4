"""A service killed with SIGKILL while the gateway is under load: callers of that service get fast
503s, every other route keeps answering, and once it is back the breaker closes again."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from tests.gateway.conftest import Stub, close_app, make_settings, new_key
from tests.servers import free_port_block, running_process

pytestmark = pytest.mark.slow
BEDS = "/api/v1/beds/facilities/1/current"
FACILITIES = "/api/v1/facilities/1"


@dataclass
class Answer:
    at_s: float
    path: str
    status: int
    took_s: float


async def test_a_killed_service_fails_fast_alone_and_recovers(
    gateway_sqlite_url: str, upstreams: dict[str, Stub], tmp_path: Path
) -> None:
    env = {
        "BEDS_DATABASE_URL": f"sqlite:///{tmp_path / 'beds.sqlite3'}",
        "FACILITIES_URL": upstreams["facilities"].url,
        "CARECIRCLE_LOG_LEVEL": "WARNING",
    }
    port = free_port_block(1)
    app = create_app(
        make_settings(
            gateway_sqlite_url,
            upstreams,
            beds_url=f"http://127.0.0.1:{port}",
            breaker_fail_max=3,
            breaker_reset_s=1.0,
            upstream_timeout_s=2.0,
            # the load below is as fast as the machine allows: limits are not under test here
            rate_limit_anonymous="1000000/minute",
            rate_limit_key="1000000/minute",
        )
    )
    answers: list[Answer] = []
    started = time.perf_counter()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        planner = {"X-API-Key": new_key(app, "planner")}
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gw:

            async def load(duration_s: float) -> None:
                until_s = time.perf_counter() - started + duration_s

                async def worker(path: str) -> None:
                    while time.perf_counter() - started < until_s:
                        sent = time.perf_counter()
                        response = await gw.get(path, headers=planner)
                        now = time.perf_counter()
                        answers.append(
                            Answer(sent - started, path, response.status_code, now - sent)
                        )
                        await asyncio.sleep(0.01)

                await asyncio.gather(*(worker(p) for p in (BEDS, BEDS, FACILITIES, FACILITIES)))

            with running_process("beds", env, port=port) as (_, proc):
                await load(1.0)
                killed_at = time.perf_counter() - started
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                await load(2.0)
            restarted_at = time.perf_counter() - started
            with running_process("beds", env, port=port):
                await asyncio.sleep(1.1)  # the breaker's reset time, for a trial to go through
                await load(1.0)
    finally:
        await close_app(app)

    def of(path: str, since: float, until: float) -> list[Answer]:
        return [a for a in answers if a.path == path and since <= a.at_s < until]

    before = of(BEDS, 0, killed_at)
    assert before and all(a.status < 500 for a in before)
    down = of(BEDS, killed_at + 0.2, restarted_at)
    assert down and {a.status for a in down} == {503}, {a.status for a in down}
    open_breaker = [a for a in down if a.at_s > killed_at + 0.5]
    assert open_breaker and max(a.took_s for a in open_breaker) < 0.25  # refused at once
    others = [a for a in answers if a.path == FACILITIES]
    assert others and {a.status for a in others} == {200}
    assert max(a.took_s for a in others) < 1.0
    after = of(BEDS, restarted_at + 1.1, float("inf"))
    assert after and after[-1].status < 500 and sum(a.status < 500 for a in after) >= len(after) / 2
