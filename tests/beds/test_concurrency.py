"""Concurrent writers through a real uvicorn server (threads), on both engines: exactly one wins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from services.beds.app import create_app
from services.beds.settings import BedsSettings
from tests.servers import running_app

P = "2025-03"
REPORT = {"facility_id": 1, "period": P, "total_beds": 100, "nursing_beds": 50, "occupied_beds": 90}
WRITERS = 6


def test_racing_posts_and_racing_corrections(beds_db_url: str, facilities_url: str) -> None:
    app = create_app(BedsSettings(database_url=beds_db_url, facilities_url=facilities_url))
    with running_app(app) as base, ThreadPoolExecutor(WRITERS) as pool:
        posts = list(
            pool.map(
                lambda _: (
                    httpx.post(f"{base}/api/v1/beds/reports", json=REPORT, timeout=30).status_code
                ),
                range(WRITERS),
            )
        )
        assert sorted(posts) == [201] + [409] * (WRITERS - 1)

        def correct(nursing: int) -> int:
            body = {
                **{k: v for k, v in REPORT.items() if k not in ("facility_id", "period")},
                "nursing_beds": nursing,
            }
            return httpx.put(
                f"{base}/api/v1/beds/reports/1/{P}",
                json=body,
                headers={"If-Match": '"1"'},
                timeout=30,
            ).status_code

        puts = list(pool.map(correct, range(60, 60 + WRITERS)))
        assert sorted(puts) == [200] + [412] * (WRITERS - 1)
        history = httpx.get(f"{base}/api/v1/beds/reports/1/{P}/revisions").json()["items"]
        assert [h["revision"] for h in history] == [1, 2]


def test_concurrent_first_reads_fill_the_region_cache_once(
    beds_db_url: str, facilities_url: str
) -> None:
    app = create_app(BedsSettings(database_url=beds_db_url, facilities_url=facilities_url))
    url = "/api/v1/beds/indicators?region=350600000000&period=2025-03"
    with running_app(app) as base, ThreadPoolExecutor(WRITERS) as pool:
        answers = list(pool.map(lambda _: httpx.get(base + url, timeout=30), range(WRITERS)))
    assert [a.status_code for a in answers] == [200] * WRITERS
    assert {a.json()["elderly_60plus"] for a in answers} == {10_000}


def test_racing_imports_of_one_file_create_each_month_once(
    beds_db_url: str, facilities_url: str
) -> None:
    from tests.beds.test_api_indicators import GOOD

    app = create_app(BedsSettings(database_url=beds_db_url, facilities_url=facilities_url))
    with running_app(app) as base, ThreadPoolExecutor(WRITERS) as pool:
        answers = list(
            pool.map(
                lambda _: httpx.post(
                    f"{base}/api/v1/beds/reports/import",
                    content=GOOD,
                    headers={"content-type": "text/csv"},
                    timeout=60,
                ),
                range(WRITERS),
            )
        )
    assert [a.status_code for a in answers] == [200] * WRITERS, [a.text for a in answers]
    assert sum(a.json()["created"] for a in answers) == 4
    assert sum(a.json()["unchanged"] for a in answers) == 4 * (WRITERS - 1)
