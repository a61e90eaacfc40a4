"""Writing reports through the API against the real facilities service (both engines)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from services.beds.models import BedReport, BedReportRevision
from services.common.db import make_engine
from services.common.identity import Identity
from tests.beds.conftest import D1, beds_client
from tests.identity import SignedAs

P = "2025-03"
REPORT = {
    "facility_id": 1,
    "period": P,
    "total_beds": 100,
    "nursing_beds": 50,
    "dementia_beds": 5,
    "occupied_beds": 90,
    "family_beds": 4,
}


def count_rows(url: str, model: type) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return int(n)


async def test_a_report_takes_region_and_operation_mode_from_the_registry(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/beds/reports", json=REPORT)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["region_code"], body["operation_mode"], body["facility_type"]) == (
        D1,
        "private",
        "nursing_home",
    )
    assert body["family_beds_by_region"] == [{"region_code": D1, "beds": 4}]
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/api/v1/beds/reports/1/{P}"
    current = await client.get("/api/v1/beds/facilities/1/current")
    assert (current.json()["free_beds"], current.json()["period"]) == (10, P)
    assert (await client.get("/api/v1/beds/facilities/2/current")).status_code == 404


async def test_every_broken_rule_is_named(client: httpx.AsyncClient) -> None:
    bad = {**REPORT, "nursing_beds": 120, "occupied_beds": 101}
    response = await client.post("/api/v1/beds/reports", json=bad)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {
        "body.nursing_beds",
        "body.occupied_beds",
    }
    now = datetime.now(UTC)
    future = f"{now.year + 1}-{now.month:02d}"
    both = {**REPORT, "period": future, "dementia_beds": 101}
    response = await client.post("/api/v1/beds/reports", json=both)
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["body.period", "body.dementia_beds"] and "future" in response.json()["detail"]
    response = await client.post("/api/v1/beds/reports", json={**REPORT, "total_beds": -1})
    assert (
        response.status_code == 422 and response.json()["errors"][0]["field"] == "body.total_beds"
    )


async def test_unknown_or_closed_facilities_cannot_report(
    client: httpx.AsyncClient, beds_db_url: str
) -> None:
    unknown = await client.post("/api/v1/beds/reports", json={**REPORT, "facility_id": 999})
    closed = await client.post("/api/v1/beds/reports", json={**REPORT, "facility_id": 4})
    assert (unknown.status_code, closed.status_code) == (422, 422)
    assert "does not exist" in unknown.json()["detail"] and "closed" in closed.json()["detail"]
    assert unknown.json()["errors"][0]["field"] == "body.facility_id"
    assert count_rows(beds_db_url, BedReport) == 0


async def test_idempotent_retries_and_a_second_report_for_the_month(
    client: httpx.AsyncClient, beds_db_url: str
) -> None:
    headers = {"Idempotency-Key": "abc-1"}
    first = await client.post("/api/v1/beds/reports", json=REPORT, headers=headers)
    again = await client.post("/api/v1/beds/reports", json=REPORT, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    other = await client.post(
        "/api/v1/beds/reports", json={**REPORT, "total_beds": 101}, headers=headers
    )
    assert (
        other.status_code == 422 and other.json()["errors"][0]["field"] == "header.Idempotency-Key"
    )
    duplicate = await client.post("/api/v1/beds/reports", json=REPORT)
    assert duplicate.status_code == 409 and "If-Match" in duplicate.json()["detail"]
    assert count_rows(beds_db_url, BedReportRevision) == 1


async def test_corrections_need_the_current_etag_and_keep_history(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/api/v1/beds/reports", json=REPORT)
    url = f"/api/v1/beds/reports/1/{P}"
    fix = {
        "total_beds": 100,
        "nursing_beds": 65,
        "dementia_beds": 5,
        "occupied_beds": 90,
        "reason": "typo",
    }
    assert (await client.put(url, json=fix)).status_code == 428
    assert (await client.put(url, json=fix, headers={"If-Match": '"7"'})).status_code == 412
    etag = (await client.get(url)).headers["etag"]
    response = await client.put(url, json=fix, headers={"If-Match": etag})
    assert response.status_code == 200 and response.headers["etag"] == '"2"'
    assert response.json()["family_beds"] == 0  # the correction sent none
    stale = await client.put(url, json=fix, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    history = (await client.get(url + "/revisions")).json()["items"]
    assert [(h["revision"], h["figures"]["nursing_beds"], h["reason"]) for h in history] == [
        (1, 50, None),
        (2, 65, "typo"),
    ]


async def test_facilities_service_down_means_503_and_nothing_written(
    beds_db_url: str, closed_port_url: str
) -> None:
    async with beds_client(beds_db_url, closed_port_url) as client:
        response = await client.post(
            "/api/v1/beds/reports", json=REPORT, headers={"Idempotency-Key": "k"}
        )
        assert response.status_code == 503
        assert int(response.headers["retry-after"]) > 0
        assert response.headers["content-type"] == "application/problem+json"
        csv = "facility_external_id,period,total_beds,nursing_beds,dementia_beds,occupied_beds\nF1,2025-03,10,5,0,5\n"
        imported = await client.post(
            "/api/v1/beds/reports/import", content=csv, headers={"content-type": "text/csv"}
        )
        assert imported.status_code == 503 and "retry-after" in imported.headers
    assert count_rows(beds_db_url, BedReport) == 0


async def test_officials_write_only_inside_their_region(
    beds_db_url: str, facilities_url: str
) -> None:
    secret = "test-secret"
    async with beds_client(beds_db_url, facilities_url, identity_secret=secret) as client:
        outsider = SignedAs(Identity("lps", "official", region_code="520200000000"), secret)
        insider = SignedAs(Identity("zz", "official", region_code="350600000000"), secret)
        refused = await client.post("/api/v1/beds/reports", json=REPORT, auth=outsider)
        assert refused.status_code == 403 and "outside" in refused.json()["detail"]
        assert (
            await client.post("/api/v1/beds/reports", json=REPORT, auth=insider)
        ).status_code == 201
        revisions = (await client.get(f"/api/v1/beds/reports/1/{P}/revisions")).json()["items"]
        assert revisions[0]["actor"] == "official:zz"


async def test_a_facility_closed_since_can_correct_past_months_but_not_report_new_ones(
    client: httpx.AsyncClient, facilities_db_url: str
) -> None:
    from sqlalchemy import update

    from services.facilities.models import Facility

    await client.post("/api/v1/beds/reports", json=REPORT)
    engine = make_engine(facilities_db_url)
    with engine.begin() as conn:
        conn.execute(
            update(Facility.__table__).where(Facility.__table__.c.id == 1).values(status="closed")
        )
    engine.dispose()
    fix = {"total_beds": 100, "nursing_beds": 60, "occupied_beds": 90}
    corrected = await client.put(
        f"/api/v1/beds/reports/1/{P}", json=fix, headers={"If-Match": '"1"'}
    )
    assert corrected.status_code == 200 and corrected.json()["nursing_beds"] == 60
    new_month = await client.post("/api/v1/beds/reports", json={**REPORT, "period": "2025-04"})
    assert new_month.status_code == 422 and "closed" in new_month.json()["detail"]


async def test_a_failing_facilities_service_is_503_too(beds_db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real upstream failure: the facilities app on a database it was never migrated on
    (it answers 503 for its own database since issue 13; it answered 500 before)."""
    from services.facilities.app import create_app as create_facilities_app
    from services.facilities.settings import FacilitiesSettings
    from tests.servers import running_app

    broken = create_facilities_app(
        FacilitiesSettings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    )
    with running_app(broken) as url:
        async with beds_client(beds_db_url, url) as client:
            response = await client.post("/api/v1/beds/reports", json=REPORT)
    assert response.status_code == 503 and "answered 503" in response.json()["detail"]
    assert "retry-after" in response.headers
    assert count_rows(beds_db_url, BedReport) == 0


async def test_family_beds_count_in_the_homes_region_which_must_exist(
    client: httpx.AsyncClient,
) -> None:
    from tests.beds.conftest import D2

    body = {
        **REPORT,
        "family_beds": None,
        "family_beds_by_region": [{"region_code": D2, "beds": 6}],
    }
    created = await client.post("/api/v1/beds/reports", json=body)
    assert created.status_code == 201 and created.json()["family_beds_by_region"] == [
        {"region_code": D2, "beds": 6}
    ]
    district = (
        await client.get("/api/v1/beds/indicators", params={"region": D2, "period": P})
    ).json()
    assert (district["family_beds"], district["total_beds"]) == (
        6,
        0,
    )  # homes in D2, facility in D1
    unknown = {
        **body,
        "period": "2025-04",
        "family_beds_by_region": [{"region_code": "350699000000", "beds": 1}],
    }
    refused = await client.post("/api/v1/beds/reports", json=unknown)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.family_beds_by_region.0.region_code"


async def test_readiness_reports_the_registry_but_stays_ready(
    beds_db_url: str, facilities_url: str, closed_port_url: str
) -> None:
    for url, state in (
        (facilities_url, "reachable"),
        (closed_port_url, "unreachable: writes answer 503"),
    ):
        async with beds_client(beds_db_url, url) as client:
            response = await client.get("/readyz")
            assert response.status_code == 200 and response.json()["checks"]["facilities"] == state


async def test_idempotency_keys_expire_after_a_day(
    client: httpx.AsyncClient, beds_db_url: str
) -> None:
    """A key older than the TTL is forgotten: it may be reused for a new request."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from services.beds.models import IdempotencyRecord
    from services.beds.repository import IDEMPOTENCY_TTL_S
    from services.common.db import make_engine

    headers = {"Idempotency-Key": "old-key"}
    first = await client.post("/api/v1/beds/reports", json=REPORT, headers=headers)
    assert first.status_code == 201
    engine = make_engine(beds_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(IdempotencyRecord).values(
                    created_at=datetime.now(UTC) - timedelta(seconds=IDEMPOTENCY_TTL_S + 60)
                )
            )
    finally:
        engine.dispose()
    # Before expiry this body under the same key was a 422; now the key is free again.
    other_month = {**REPORT, "period": "2025-01"}
    reused = await client.post("/api/v1/beds/reports", json=other_month, headers=headers)
    assert reused.status_code == 201, reused.text
    assert "idempotent-replayed" not in reused.headers
    assert count_rows(beds_db_url, IdempotencyRecord) == 1  # the expired answer was purged
