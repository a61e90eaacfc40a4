"""Bad input to beds is a 422 naming the field on both engines, never a 500 (issue 13, items 1, 8, 9)."""

from __future__ import annotations

import httpx
import pytest

from services.beds.models import BedReport
from tests.beds.test_api_reports import REPORT, count_rows

HUGE = "99999999999999999999999"


def fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [e["field"] for e in response.json()["errors"]]


async def test_ids_above_the_column_range_are_422(client: httpx.AsyncClient) -> None:
    for path in (
        f"/api/v1/beds/facilities/{HUGE}/current",
        f"/api/v1/beds/reports/{HUGE}/2025-03",
        f"/api/v1/beds/reports/{2**31}/2025-03/revisions",
        f"/api/v1/plans/reported/{HUGE}/revisions",
    ):
        r = await client.get(path)
        assert fields(r)[0].startswith("path."), (path, r.text)
    r = await client.get("/api/v1/beds/reports", params={"facility_id": HUGE})
    assert fields(r) == ["query.facility_id"]
    r = await client.put(
        f"/api/v1/beds/reports/{HUGE}/2025-03",
        json={k: v for k, v in REPORT.items() if k not in ("facility_id", "period")},
        headers={"If-Match": '"1"'},
    )
    assert fields(r) == ["path.facility_id"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("total_beds", 2**64 + 1),
        ("nursing_beds", 2**31),
        ("occupied_beds", int(HUGE)),
        ("dementia_beds", 2**63),
        ("family_beds", 2**63),
        ("facility_id", int(HUGE)),
    ],
)
async def test_counts_past_the_column_range_are_422_and_nothing_is_written(
    client: httpx.AsyncClient, beds_db_url: str, name: str, value: int
) -> None:
    r = await client.post("/api/v1/beds/reports", json={**REPORT, name: value})
    assert fields(r) == [f"body.{name}"]
    assert count_rows(beds_db_url, BedReport) == 0


async def test_text_with_nul_is_refused_in_bodies_and_queries(
    client: httpx.AsyncClient, beds_db_url: str
) -> None:
    r = await client.post("/api/v1/beds/reports", json={**REPORT, "reason": "补报\x00"})
    assert fields(r) == ["body.reason"]
    r = await client.post("/api/v1/beds/reports", json={**REPORT, "period": "2025-03\x00"})
    assert fields(r) == ["body.period"]
    assert count_rows(beds_db_url, BedReport) == 0
    for path, params in (
        ("/api/v1/beds/indicators", {"region": "350600000000\x00"}),
        ("/api/v1/beds/targets", {"region": "\x00"}),
        ("/api/v1/plans/indicators", {"region": "35\x00"}),
    ):
        r = await client.get(path, params=params)
        assert fields(r) == ["query.region"], (path, r.text)
