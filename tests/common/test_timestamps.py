"""Timestamps come back timezone-aware UTC on both engines, and go out on the wire with an offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from services.common.db import make_engine, make_session_factory
from services.common.responses import FastJSONResponse
from services.facilities.models import FacilityAudit

BEIJING = timezone(timedelta(hours=8))


def test_server_defaults_and_aware_values_read_back_as_utc(facilities_db_url: str) -> None:
    engine = make_engine(facilities_db_url)
    sessions = make_session_factory(engine, write=True)
    written = datetime(2026, 11, 25, 9, 30, tzinfo=BEIJING)  # 01:30 UTC
    try:
        with sessions() as session:
            session.add_all(
                [
                    FacilityAudit(
                        facility_id=1, action="create", actor="t"
                    ),  # server default now()
                    FacilityAudit(facility_id=2, action="update", actor="t", at=written),
                ]
            )
            session.commit()
        with sessions() as session:
            rows = {r.facility_id: r.at for r in session.scalars(select(FacilityAudit))}
    finally:
        engine.dispose()
    assert all(value.utcoffset() == timedelta(0) for value in rows.values())
    assert abs(rows[1] - datetime.now(UTC)) < timedelta(minutes=5)
    assert rows[2] == written  # the same instant, whatever zone it was written in


def test_naive_datetimes_are_rendered_as_utc() -> None:
    body = FastJSONResponse({"at": datetime(2026, 11, 25, 1, 30)}).body
    assert body == b'{"at":"2026-11-25T01:30:00+00:00"}'
