"""Runs survive a dead replica: leases claimed once, taken over when they run out, one result.

The last test is the real thing: two coverage service processes on one PostgreSQL
database, the one running a run is killed with SIGKILL, and the other finishes it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import make_engine, make_session_factory, transaction
from services.coverage import repository as repo
from services.coverage import runs
from services.coverage.leases import Sweeper
from services.coverage.models import RunPointRow, RunRow
from services.coverage.networks import NetworkCache
from services.coverage.run_compute import RunPoints
from tests.conftest import create_scratch_postgis, drop_scratch_postgis
from tests.coverage.factories import grid_network, queued_run
from tests.servers import running_process

Sessions = tuple[int, sessionmaker[Session], sessionmaker[Session]]


@pytest.fixture
def sessions(coverage_db_url: str) -> Iterator[Sessions]:
    run_id = queued_run(coverage_db_url)
    engine = make_engine(coverage_db_url)
    try:
        yield run_id, make_session_factory(engine), make_session_factory(engine, write=True)
    finally:
        engine.dispose()


def test_one_claim_wins_until_the_lease_runs_out(sessions: Sessions) -> None:
    run_id, reads, writes = sessions
    now = time.time()
    with transaction(writes) as s:
        assert repo.claim_run(session=s, run_id=run_id, owner="a", now=now, lease_s=10)
    with transaction(writes) as s:
        assert not repo.claim_run(session=s, run_id=run_id, owner="b", now=now + 9, lease_s=10)
        assert not repo.renew_lease(session=s, run_id=run_id, owner="b", now=now + 9, lease_s=10)
        assert repo.renew_lease(session=s, run_id=run_id, owner="a", now=now + 9, lease_s=10)
    with transaction(writes) as s:
        # a's lease now ends at now + 19: b cannot take it at now + 18, can at now + 20
        assert not repo.claim_run(session=s, run_id=run_id, owner="b", now=now + 18, lease_s=10)
        assert repo.claim_run(session=s, run_id=run_id, owner="b", now=now + 20, lease_s=10)
    points = RunPoints(
        np.array(["x"]), np.array([1.0]), np.array([2.0]), np.array(["s"], dtype=object), None
    )
    with pytest.raises(repo.LeaseLost), transaction(writes) as s:
        repo.finish_run(
            session=s, run_id=run_id, summary={"by": "a"}, gaps={}, points=points, regions=[],
            owner="a",
        )  # fmt: skip
    with reads() as s:
        row = s.get(RunRow, run_id)
        assert (row.status, row.lease_owner, row.attempts, row.summary) == ("running", "b", 2, None)
        assert s.scalar(select(func.count()).select_from(RunPointRow)) == 0  # nothing half-written


def test_a_taken_over_run_is_done_once_by_its_new_owner(
    sessions: Sessions,
) -> None:
    """Replica a claimed the run and stalled past its lease; b (here: execute, whose claim
    sees the expired lease) runs it; a's late result is refused."""
    run_id, reads, writes = sessions
    with transaction(writes) as s:
        assert repo.claim_run(session=s, run_id=run_id, owner="a", now=time.time() - 100, lease_s=1)
    ex = runs.Execution(owner="b", lease_s=5)
    cache = NetworkCache(reads)
    runs.execute(write_sessions=writes, cache=cache, run_id=run_id, stop=threading.Event(), ex=ex)
    with reads() as s:
        row = s.get(RunRow, run_id)
        assert (row.status, row.lease_owner, row.attempts) == ("done", "b", 2)
        n_points = s.scalar(select(func.count()).select_from(RunPointRow))
    # running it again (a sweeper that saw it before it finished) changes nothing
    again = runs.Execution(owner="c", lease_s=5)
    runs.execute(
        write_sessions=writes, cache=cache, run_id=run_id, stop=threading.Event(), ex=again
    )
    with reads() as s:
        row = s.get(RunRow, run_id)
        assert (row.status, row.lease_owner, row.attempts) == ("done", "b", 2)
        assert s.scalar(select(func.count()).select_from(RunPointRow)) == n_points > 0


def test_a_run_that_kills_every_replica_fails_instead_of_running_forever(
    sessions: Sessions,
) -> None:
    run_id, reads, writes = sessions
    base = time.time() - 1000
    for attempt in range(runs.MAX_ATTEMPTS):  # three replicas claimed it and died
        with transaction(writes) as s:
            assert repo.claim_run(
                session=s, run_id=run_id, owner=f"dead{attempt}", now=base + 10 * attempt, lease_s=1
            )
    submitted: list[int] = []
    assert Sweeper(reads, submitted.append, 1).sweep_once() == [run_id]
    ex = runs.Execution(owner="last", lease_s=5)
    runs.execute(write_sessions=writes, cache=NetworkCache(reads), run_id=run_id,
                 stop=threading.Event(), ex=ex)  # fmt: skip
    with reads() as s:
        row = s.get(RunRow, run_id)
        assert row.status == "failed" and "gave up after 3 attempts" in row.error["detail"]
    assert Sweeper(reads, submitted.append, 1).sweep_once() == []


def owner_of(url: str, run_id: int) -> tuple[str | None, str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            row = c.execute(
                select(RunRow.lease_owner, RunRow.status, RunRow.attempts).where(
                    RunRow.id == run_id
                )
            ).one()
            return row[0], row[1], row[2]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_kill_9_the_replica_running_a_run_and_the_other_finishes_it(tmp_path: Path) -> None:
    url = create_scratch_postgis("cc_lease")
    try:
        lon0, lat0, lon1, lat1 = grid_network(tmp_path / "grid.npz", 500)
        env = {
            "COVERAGE_DATABASE_URL": url,
            "COVERAGE_IMPORT_DIR": str(tmp_path),
            "COVERAGE_JOB_LEASE_S": "3",
            "CARECIRCLE_LOG_LEVEL": "WARNING",
        }
        from services.common.migrate import upgrade

        upgrade("coverage", url)
        with (
            running_process("coverage", env) as (a, proc_a),
            running_process("coverage", env) as (b, proc_b),
        ):
            r = httpx.post(a + "/api/v1/coverage/networks", json={"path": "grid.npz"}, timeout=120)
            assert r.status_code == 201, r.text
            rng = np.random.default_rng(9)
            n = 20_000
            lon = lon0 + (lon1 - lon0) * rng.random(n)
            lat = lat0 + (lat1 - lat0) * rng.random(n)
            pts = [
                {"id": f"h{i}", "lon": float(lon[i]), "lat": float(lat[i]), "elderly": 1}
                for i in range(n)
            ]
            r = httpx.post(b + "/api/v1/coverage/demand", json={"name": "d", "points": pts},
                           timeout=120)  # fmt: skip
            assert r.status_code in (200, 201), r.text
            stations = [
                {"id": f"s{i}", "lon": float(lon[i]), "lat": float(lat[i])} for i in range(5)
            ]
            body = {"network_id": 1, "demand_set_id": r.json()["id"], "minutes": 15,
                    "speed_mps": 1.0, "stations": stations}  # fmt: skip
            r = httpx.post(a + "/api/v1/coverage/runs", json=body, timeout=120)
            assert r.status_code == 202, r.text
            run_id = r.json()["id"]
            deadline = time.monotonic() + 60
            owner = None
            while time.monotonic() < deadline:  # kill whoever claimed it, at once
                owner, status, _ = owner_of(url, run_id)
                if owner is not None:
                    break
                time.sleep(0.02)
            assert owner is not None and status == "running", status
            pid = int(owner.split(":")[1])
            victim, survivor = (proc_a, b) if pid == proc_a.pid else (proc_b, a)
            assert victim.pid == pid
            os.kill(pid, signal.SIGKILL)
            victim.wait(10)
            killed_at = time.monotonic()
            while time.monotonic() - killed_at < 90:
                got = httpx.get(f"{survivor}/api/v1/coverage/runs/{run_id}", timeout=10).json()
                if got["status"] in ("done", "failed"):
                    break
                time.sleep(0.25)
            took = time.monotonic() - killed_at
            assert got["status"] == "done", got
            new_owner, _, attempts = owner_of(url, run_id)
            assert new_owner != owner and attempts == 2
            summary = httpx.get(f"{survivor}/api/v1/coverage/runs/{run_id}/summary").json()
            assert summary["demand_points"] == n
            page = httpx.get(f"{survivor}/api/v1/coverage/runs/{run_id}/points?limit=5").json()
            assert len(page["items"]) == 5
            engine = make_engine(url)
            try:
                with engine.connect() as c:
                    count = c.execute(
                        select(func.count())
                        .select_from(RunPointRow)
                        .where(RunPointRow.run_id == run_id)
                    ).scalar()
            finally:
                engine.dispose()
            assert count == n  # one result, not two
            print(f"taken over and finished {took:.1f} s after the kill")
    finally:
        drop_scratch_postgis(url)
