"""The shared Idempotency-Key logic: pure decisions, then storage in a real service table on both engines."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.beds.models import IdempotencyRecord
from services.common import idempotency
from services.common.db import make_engine, make_session_factory
from services.common.errors import Conflict, InvalidInput
from services.common.idempotency import IDEMPOTENCY_TTL_S, StoredAnswer

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BODY = {"facility_id": 1, "period": "2025-03", "total_beds": 100}
DIGEST = idempotency.request_digest(BODY)


def stored(request_hash: str = DIGEST, age_s: float = 60) -> StoredAnswer:
    return StoredAnswer(
        request_hash=request_hash,
        status_code=201,
        response_body={"id": 7},
        headers={"ETag": '"1"', "Location": "/api/v1/things/7"},
        created_at=NOW - timedelta(seconds=age_s),
    )


# --- pure ----------------------------------------------------------------------------------------


def test_digests_match_the_ones_both_services_stored_before() -> None:
    """Answers stored before the shared module keep replaying (values from the old code)."""
    facilities_body = {"name": "龙溪站", "lat": 29.55, "capacity": None}
    flags = {"crs": "wgs84", "force": False, "allow_outside_region": False}
    beds_body = {
        "facility_id": 1,
        "period": "2025-03",
        "total_beds": 100,
        "nursing_beds": 50,
        "dementia_beds": 0,
        "occupied_beds": 90,
        "family_beds": None,
        "family_beds_by_region": [{"region_code": "350602000000", "beds": 3}],
        "reason": None,
    }
    known = (
        "20740e1037281d6d4101642caee796723d3c84fee5d7fd690ee8366fb2edfac3",
        "59a5964591034199f17a6618441f3a1441a9d87be845ac62eeba67eb10dc66ec",
    )
    observed = (
        idempotency.request_digest(facilities_body, flags),
        idempotency.request_digest(beds_body),
    )
    assert observed == known


def test_digest_ignores_key_order_but_not_values_or_flags() -> None:
    assert idempotency.request_digest({"a": 1, "b": 2}) == idempotency.request_digest(
        {"b": 2, "a": 1}
    )
    assert idempotency.request_digest({"a": 1}) != idempotency.request_digest({"a": 2})
    assert idempotency.request_digest({"a": 1}, {"force": False}) != idempotency.request_digest(
        {"a": 1}, {"force": True}
    )


def test_keys_are_scoped_by_caller() -> None:
    assert idempotency.scoped_key("official:zz", "abc-1") == "official:zz:abc-1"
    assert idempotency.scoped_key("official:zz", None) is None
    assert idempotency.scoped_key("official:zz", "") is None


def test_same_request_replays_the_stored_answer() -> None:
    answer = idempotency.answer_to_replay(stored(), DIGEST, now=NOW)
    assert answer == stored()
    response = idempotency.replay_response(stored())
    assert response.status_code == 201
    assert orjson.loads(response.body) == {"id": 7}
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == "/api/v1/things/7"
    assert response.headers["Idempotent-Replayed"] == "true"


def test_another_request_under_the_key_is_a_422_naming_the_header() -> None:
    other = idempotency.request_digest({**BODY, "total_beds": 101})
    with pytest.raises(InvalidInput, match="already used with a different request body") as error:
        idempotency.answer_to_replay(stored(), other, now=NOW)
    assert error.value.status == 422
    assert error.value.extra["errors"] == [
        {"field": "header.Idempotency-Key", "message": error.value.detail}
    ]


def test_expired_or_missing_answers_are_ignored() -> None:
    other = idempotency.request_digest({**BODY, "total_beds": 101})
    assert idempotency.answer_to_replay(None, DIGEST, now=NOW) is None
    expired = stored(request_hash=other, age_s=IDEMPOTENCY_TTL_S + 1)
    assert idempotency.answer_to_replay(expired, DIGEST, now=NOW) is None  # no 422 either
    last_second = stored(age_s=IDEMPOTENCY_TTL_S)  # the SQL reads created_at >= cutoff
    assert idempotency.answer_to_replay(last_second, DIGEST, now=NOW) == last_second


def test_missing_header_means_no_replay_and_no_database_call() -> None:
    assert idempotency.replay(cast(Session, None), cast(Table, None), None, DIGEST) is None


# --- storage (the beds service's table, on SQLite and PostGIS) -----------------------------------

TABLE = cast(Table, IdempotencyRecord.__table__)


@pytest.fixture
def write_sessions(beds_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(beds_db_url)
    yield make_session_factory(engine, write=True)
    engine.dispose()


def store(session: Session, key: str, now: datetime | None = None, **body: Any) -> None:
    idempotency.store_answer(
        session,
        TABLE,
        key,
        request_hash=DIGEST,
        status_code=201,
        body=body or {"id": 7},
        headers={"ETag": '"1"'},
        now=now,
    )


def test_stored_answers_read_back_until_they_expire(
    write_sessions: sessionmaker[Session],
) -> None:
    long_ago = datetime.now(UTC) - timedelta(seconds=IDEMPOTENCY_TTL_S + 60)
    with write_sessions() as session:
        store(session, "a:old", now=long_ago)
        session.commit()
    with write_sessions() as session:
        assert idempotency.stored_answer(session, TABLE, "a:old") is None
        store(session, "a:new")  # purges the expired answer
        session.commit()
    with write_sessions() as session:
        answer = idempotency.stored_answer(session, TABLE, "a:new")
        count = session.scalar(select(func.count()).select_from(TABLE))
    assert answer is not None and count == 1
    assert (answer.request_hash, answer.status_code, answer.response_body, answer.headers) == (
        DIGEST,
        201,
        {"id": 7},
        {"ETag": '"1"'},
    )
    assert answer.created_at.tzinfo is not None


def test_a_live_answer_is_never_overwritten(write_sessions: sessionmaker[Session]) -> None:
    with write_sessions() as session:
        store(session, "a:k", id=1)
        session.commit()
    with write_sessions() as session, pytest.raises(IntegrityError):
        store(session, "a:k", id=2)
    replay = idempotency.replay_committed(write_sessions, TABLE, "a:k", DIGEST)
    assert replay is not None and orjson.loads(replay.body) == {"id": 1}


def test_requests_racing_with_one_key_write_once_and_replay_that(
    write_sessions: sessionmaker[Session],
) -> None:
    """Under the key's lock the losers wait for the winner's commit, then answer what it did."""
    writers = 6
    barrier = threading.Barrier(writers)
    outcomes: list[tuple[str, Any]] = []

    def post(i: int) -> None:
        barrier.wait()
        with write_sessions() as session:
            replay = idempotency.replay(session, TABLE, "a:race", DIGEST)
            if replay is not None:
                outcomes.append(("replayed", orjson.loads(replay.body)))
                return
            store(session, "a:race", id=i)
            session.commit()
            outcomes.append(("stored", {"id": i}))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["replayed"] * (writers - 1) + ["stored"], outcomes
    assert len({orjson.dumps(body) for _, body in outcomes}) == 1


# --- create_once: the whole idempotent create ----------------------------------------------------


def test_create_once_writes_once_then_replays(write_sessions: sessionmaker[Session]) -> None:
    writes: list[int] = []

    def write() -> idempotency.Created:
        writes.append(1)
        return idempotency.Created({"id": len(writes)}, {"Location": "/api/v1/things/1"})

    answers = []
    for _ in range(2):
        with write_sessions() as session:
            answers.append(
                idempotency.create_once(session, write_sessions, TABLE, "a:once", DIGEST, write)
            )
    assert writes == [1]
    assert [a.status_code for a in answers] == [201, 201]
    assert [orjson.loads(a.body) for a in answers] == [{"id": 1}, {"id": 1}]
    assert idempotency.REPLAYED_HEADER.lower() not in answers[0].headers
    assert answers[1].headers[idempotency.REPLAYED_HEADER] == "true"
    assert answers[1].headers["Location"] == "/api/v1/things/1"


def test_create_once_answers_what_a_concurrent_winner_committed(
    write_sessions: sessionmaker[Session],
) -> None:
    """The winner commits the same key while this request writes: its store fails, it replays.

    PostgreSQL only: SQLite write sessions are serialised, so no winner can commit meanwhile.
    """
    if write_sessions.kw["bind"].dialect.name == "sqlite":
        pytest.skip("SQLite write transactions never interleave")

    def write() -> idempotency.Created:
        with write_sessions() as winner:
            store(winner, "a:race2", id=1)
            winner.commit()
        return idempotency.Created({"id": 2}, {})

    with write_sessions() as session:
        answer = idempotency.create_once(session, write_sessions, TABLE, "a:race2", DIGEST, write)
    assert orjson.loads(answer.body) == {"id": 1}
    assert answer.headers[idempotency.REPLAYED_HEADER] == "true"


def test_create_once_without_an_answer_to_replay_is_a_conflict_or_the_error(
    write_sessions: sessionmaker[Session],
) -> None:
    with write_sessions() as session:
        store(session, "a:taken")
        session.commit()

    def clash() -> idempotency.Created:  # a unique row someone else took (no key to replay)
        store(outer, "a:taken")
        return idempotency.Created({}, {})

    with write_sessions() as outer, pytest.raises(Conflict, match="taken first"):
        idempotency.create_once(
            outer, write_sessions, TABLE, None, DIGEST, clash, conflict="taken first"
        )
    with write_sessions() as outer, pytest.raises(IntegrityError):
        idempotency.create_once(outer, write_sessions, TABLE, None, DIGEST, clash)
    with write_sessions() as session:
        assert session.scalar(select(func.count()).select_from(TABLE)) == 1
