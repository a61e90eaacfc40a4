"""Long-query tasks survive a dead replica like runs do: one claim, take-over, one result.

The same lease as runs (services/coverage/lease_sql.py, ADR 0113), on both engines; the
last test kills (SIGKILL) the one of two coverage processes on one PostgreSQL that runs
a task, and the other finishes it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import make_engine, make_session_factory, transaction
from services.coverage import repository_tasks as repo_tasks
from services.coverage import runs, tasks
from services.coverage.leases import Sweeper
from services.coverage.models import TaskRow
from services.coverage.networks import NetworkCache
from tests.conftest import create_scratch_postgis, drop_scratch_postgis
from tests.coverage.factories import grid_network, queued_run
from tests.servers import free_port_block, wait_until_up

Sessions = tuple[int, sessionmaker[Session], sessionmaker[Session]]


@pytest.fixture
def task(coverage_db_url: str) -> Iterator[Sessions]:
    """A done run and one queued isochrones task on it."""
    run_id = queued_run(coverage_db_url)
    engine = make_engine(coverage_db_url)
    reads, writes = make_session_factory(engine), make_session_factory(engine, write=True)
    runs.execute(write_sessions=writes, cache=NetworkCache(reads), run_id=run_id,
                 stop=threading.Event())  # fmt: skip
    row, new = tasks.submit(writes, kind=tasks.ISOCHRONES, run_id=run_id,
                            params={"minutes": [3.0, 6.0]})  # fmt: skip
    assert new
    try:
        yield row.id, reads, writes
    finally:
        engine.dispose()


def execute(reads: sessionmaker[Session], writes: sessionmaker[Session], task_id: int,
            owner: str) -> None:  # fmt: skip
    tasks.execute(read_sessions=reads, write_sessions=writes, cache=NetworkCache(reads),
                  task_id=task_id, stop=threading.Event(), owner=owner, lease_s=5)  # fmt: skip


def state(reads: sessionmaker[Session], task_id: int) -> tuple[str, str | None, int, Any]:
    with reads() as s:
        row = s.get(TaskRow, task_id)
        assert row is not None
        return row.status, row.lease_owner, row.attempts, row.result


def test_one_claim_wins_until_the_lease_runs_out(task: Sessions) -> None:
    task_id, reads, writes = task
    now = time.time()
    claim = repo_tasks.claim_task
    with transaction(writes) as s:
        assert claim(session=s, task_id=task_id, owner="a", now=now, lease_s=10)
    with transaction(writes) as s:
        assert not claim(session=s, task_id=task_id, owner="b", now=now + 9, lease_s=10)
        assert claim(session=s, task_id=task_id, owner="b", now=now + 11, lease_s=10)
    with transaction(writes) as s:  # a's late result is refused: b's is the one kept
        assert not repo_tasks.finish_task(session=s, task_id=task_id, result=["a"], owner="a")
    assert state(reads, task_id) == ("running", "b", 2, None)


def test_a_taken_over_task_is_done_once_by_its_new_owner(task: Sessions) -> None:
    """Replica a claimed the task and died (its lease ran out); b's execute takes it over,
    and a sweeper's late second submit (c) changes nothing."""
    task_id, reads, writes = task
    with transaction(writes) as s:
        assert repo_tasks.claim_task(
            session=s, task_id=task_id, owner="a", now=time.time() - 100, lease_s=1
        )
    assert Sweeper(reads, lambda _i: None, 1, model=TaskRow).sweep_once() == [task_id]
    execute(reads, writes, task_id, "b")
    status, owner, attempts, result = state(reads, task_id)
    assert (status, owner, attempts) == ("done", "b", 2)
    assert [item["id"] for item in result] == ["west"]
    execute(reads, writes, task_id, "c")
    assert state(reads, task_id) == ("done", "b", 2, result)
    assert Sweeper(reads, lambda _i: None, 1, model=TaskRow).sweep_once() == []


def test_a_live_lease_is_left_to_its_owner(task: Sessions) -> None:
    task_id, reads, writes = task
    with transaction(writes) as s:
        assert repo_tasks.claim_task(session=s, task_id=task_id, owner="a", now=time.time(),
                                     lease_s=60)  # fmt: skip
    execute(reads, writes, task_id, "b")  # a sweeper on another replica saw it queued
    assert state(reads, task_id) == ("running", "a", 1, None)


def test_a_task_that_kills_every_replica_fails_instead_of_running_forever(task: Sessions) -> None:
    task_id, reads, writes = task
    base = time.time() - 1000
    for attempt in range(tasks.MAX_ATTEMPTS):
        with transaction(writes) as s:
            assert repo_tasks.claim_task(session=s, task_id=task_id, owner=f"dead{attempt}",
                                         now=base + 10 * attempt, lease_s=1)  # fmt: skip
    execute(reads, writes, task_id, "last")
    with reads() as s:
        row = s.get(TaskRow, task_id)
        assert row is not None and row.status == "failed"
        assert "gave up after 3 attempts" in (row.error or {})["detail"]


@contextlib.contextmanager
def replica(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``carecircle serve coverage`` as a process; a minute to start (imports take ~10 s at
    load 11 on the shared machine, 20 s was not always enough)."""
    port = free_port_block(1)
    cmd = [sys.executable, "-m", "services.cli", "serve", "coverage", "--port", str(port)]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", timeout_s=60)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def task_owner(url: str, task_id: int) -> tuple[str | None, str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            q = select(TaskRow.lease_owner, TaskRow.status, TaskRow.attempts)
            row = c.execute(q.where(TaskRow.id == task_id)).one()
            return row[0], row[1], row[2]
    finally:
        engine.dispose()


def wait_done(base: str, path: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    got: dict[str, Any] = {}
    while time.monotonic() < deadline:
        got = httpx.get(base + path, timeout=10).json()
        if got["status"] in ("done", "failed"):
            return got
        time.sleep(0.2)
    raise AssertionError(f"{path} not finished after {timeout_s} s: {got}")


@pytest.mark.slow
def test_kill_9_the_replica_running_a_task_and_the_other_finishes_it(tmp_path: Path) -> None:
    url = create_scratch_postgis("cc_tlease")
    try:
        lon0, lat0, lon1, lat1 = grid_network(tmp_path / "grid.npz", 300)
        env = {
            "COVERAGE_DATABASE_URL": url,
            "COVERAGE_IMPORT_DIR": str(tmp_path),
            "COVERAGE_JOB_LEASE_S": "3",
            "COVERAGE_SYNC_ISOCHRONE_STATIONS": "1",
            "CARECIRCLE_LOG_LEVEL": "WARNING",
        }
        from services.common.migrate import upgrade

        upgrade("coverage", url)
        with (
            replica(env) as (a, proc_a),
            replica(env) as (b, proc_b),
        ):
            r = httpx.post(a + "/api/v1/coverage/networks", json={"path": "grid.npz"}, timeout=120)
            assert r.status_code == 201, r.text
            rng = np.random.default_rng(11)
            lon = lon0 + (lon1 - lon0) * rng.random(500)
            lat = lat0 + (lat1 - lat0) * rng.random(500)
            pts = [{"id": f"h{i}", "lon": float(x), "lat": float(y), "elderly": 1}
                   for i, (x, y) in enumerate(zip(lon, lat, strict=True))]  # fmt: skip
            r = httpx.post(b + "/api/v1/coverage/demand", json={"name": "d", "points": pts},
                           timeout=120)  # fmt: skip
            assert r.status_code in (200, 201), r.text
            n_st = 8
            stations = [{"id": f"s{i}", "lon": float(lon[i]), "lat": float(lat[i])}
                        for i in range(n_st)]  # fmt: skip
            body = {"network_id": 1, "demand_set_id": r.json()["id"], "minutes": 10,
                    "speed_mps": 1.0, "stations": stations}  # fmt: skip
            r = httpx.post(a + "/api/v1/coverage/runs", json=body, timeout=120)
            assert r.status_code == 202, r.text
            run = f"/api/v1/coverage/runs/{r.json()['id']}"
            assert wait_done(a, run, 120)["status"] == "done"
            r = httpx.post(a + run + "/isochrones", json={"minutes": [5]}, timeout=60)
            assert r.status_code == 202, r.text
            task_path = r.headers["Location"]
            task_id = int(task_path.rsplit("/", 1)[1])
            deadline = time.monotonic() + 60
            owner = None
            while time.monotonic() < deadline:  # kill whoever claimed it, at once
                owner, status, _ = task_owner(url, task_id)
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
            got = wait_done(survivor, task_path, 240)
            took = time.monotonic() - killed_at
            assert got["status"] == "done", got
            new_owner, _, attempts = task_owner(url, task_id)
            assert new_owner != owner and attempts == 2
            items = httpx.get(survivor + got["result"] + "?format=json", timeout=30).json()
            got_ids = sorted(str(i["id"]) for i in items["items"])
            assert got_ids == sorted(f"s{i}" for i in range(n_st))  # every station, once
            print(f"task taken over and finished {took:.1f} s after the kill")
    finally:
        drop_scratch_postgis(url)
