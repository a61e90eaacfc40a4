"""Database faults for real (issue 13, item 5): backend connections killed with
``pg_terminate_backend`` during writes, and a database that refuses connections.

Promises: no 500, a 503 with Retry-After instead (nothing written by that request), no
acknowledged write lost, retries with the same Idempotency-Key land exactly once, and
the client's keep-alive connection survives every answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from services.common.db import make_engine, normalize_url
from services.facilities.app import create_app
from services.facilities.settings import FacilitiesSettings
from tests.facilities.conftest import station
from tests.gateway.rawhttp import RawConnection
from tests.servers import free_port, running_app

WRITES = 80
KILL_EVERY_S = 0.25  # often enough to hit writes mid-transaction, rarely enough for retries to land


def _killer(url: str, stop: threading.Event, killed: list[int]) -> None:
    """Terminate every other backend of the service's database, over and over."""
    engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
    database = engine.url.database
    while not stop.is_set():
        with engine.connect() as conn:
            n = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            ).scalar_one()
            conn.commit()
        killed.append(int(n))
        time.sleep(KILL_EVERY_S)
    engine.dispose()


def test_killed_connections_during_writes_lose_nothing_and_answer_503_not_500(
    facilities_db_url: str,
) -> None:
    if not facilities_db_url.startswith("postgresql"):
        pytest.skip("backend connections are killed on PostgreSQL (SQLite has none)")
    app = create_app(FacilitiesSettings(database_url=facilities_db_url, log_level="CRITICAL"))
    statuses: Counter[int] = Counter()
    acknowledged: set[str] = set()
    stop, killed = threading.Event(), []
    with running_app(app) as base:
        port = int(base.rsplit(":", 1)[1])
        killer = threading.Thread(target=_killer, args=(facilities_db_url, stop, killed))
        killer.start()
        try:
            with RawConnection(port, timeout_s=30) as conn:  # one keep-alive connection
                for i in range(WRITES):
                    body = json.dumps(
                        station(external_id=f"K{i}", name=f"站{i}", lon=106.5 + i * 1e-3)
                    ).encode()
                    headers = {"Content-Type": "application/json", "Idempotency-Key": f"k-{i}"}
                    for _attempt in range(50):
                        answer = conn.request("POST", "/api/v1/facilities", headers, body)
                        statuses[answer.status] += 1
                        if answer.status == 503:
                            assert answer.headers["content-type"] == "application/problem+json"
                            assert int(answer.headers["retry-after"]) >= 1
                            continue
                        assert answer.status == 201, answer.body[:300]
                        acknowledged.add(json.loads(answer.body)["external_id"])
                        break
                    assert conn.is_open()
        finally:
            stop.set()
            killer.join()
    assert sum(killed) > 0, "the killer never met a backend"
    assert set(statuses) <= {201, 503}, statuses
    assert len(acknowledged) == WRITES, statuses
    engine = make_engine(facilities_db_url)
    with engine.connect() as c:
        stored = c.execute(sa.text("SELECT external_id FROM facilities")).scalars().all()
    engine.dispose()
    assert sorted(stored) == sorted(acknowledged), "a write was lost or landed twice"
    print(f"db faults: {dict(statuses)}, backends killed: {sum(killed)}")


def test_a_database_that_refuses_connections_is_a_fast_503_and_keeps_the_connection() -> None:
    url = f"postgresql://carecircle@127.0.0.1:{free_port()}/nowhere"
    app = create_app(FacilitiesSettings(database_url=url, log_level="CRITICAL"))
    with running_app(app) as base, RawConnection(int(base.rsplit(":", 1)[1])) as conn:
        for method, target, body in (
            ("GET", "/api/v1/facilities/1", b""),
            ("GET", "/api/v1/facilities?q=x", b""),
            ("POST", "/api/v1/facilities", json.dumps(station()).encode()),
            ("GET", "/api/v1/regions/500112000000", b""),
        ):
            started = time.perf_counter()
            answer = conn.request(method, target, {"Content-Type": "application/json"}, body)
            assert answer.status == 503, (target, answer.status, answer.body[:300])
            assert answer.headers["content-type"] == "application/problem+json"
            assert "retry-after" in answer.headers
            assert time.perf_counter() - started < 10
            assert conn.is_open()
