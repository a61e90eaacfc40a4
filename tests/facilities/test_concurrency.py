"""Racing writers through a real server (uvicorn, threads) on both engines: exactly one wins."""

from __future__ import annotations

import threading

import httpx

from services.facilities.app import create_app
from services.facilities.settings import FacilitiesSettings
from tests.facilities.conftest import station
from tests.servers import running_app

WRITERS = 4


def race(calls: list) -> list[httpx.Response]:  # type: ignore[type-arg]
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response] = [None] * len(calls)  # type: ignore[list-item]

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_concurrent_updates_with_one_if_match_let_exactly_one_win(facilities_db_url: str) -> None:
    app = create_app(FacilitiesSettings(database_url=facilities_db_url, log_json=False))
    with running_app(app) as base:
        url = base + httpx.post(base + "/api/v1/facilities", json=station()).headers["Location"]
        calls = [
            (
                lambda i=i: httpx.patch(
                    url, json={"capacity": 10 + i}, headers={"If-Match": '"1"'}, timeout=30
                )
            )
            for i in range(WRITERS)
        ]
        responses = race(calls)
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] + [412] * (WRITERS - 1), [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()
        final = httpx.get(url).json()
        assert final["capacity"] == winner["capacity"] and final["version"] == 2
        history = httpx.get(url + "/history").json()["items"]
        assert [h["action"] for h in history] == ["create", "update"]
        assert httpx.get(base + "/api/v1/registry/version").json()["registry_version"] == 2


def test_concurrent_posts_with_one_idempotency_key_create_one_facility(
    facilities_db_url: str,
) -> None:
    app = create_app(FacilitiesSettings(database_url=facilities_db_url, log_json=False))
    with running_app(app) as base:
        calls = [
            (
                lambda: httpx.post(
                    base + "/api/v1/facilities",
                    json=station(),
                    headers={"Idempotency-Key": "k"},
                    timeout=30,
                )
            )
            for _ in range(WRITERS)
        ]
        responses = race(calls)
        assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        assert len(httpx.get(base + "/api/v1/facilities/snapshot").json()["items"]) == 1
