"""Runs as jobs: a stopped run goes back to the queue; the pool never outlives its shutdown."""

from __future__ import annotations

import threading
import time

from services.common.db import make_engine, make_session_factory
from services.coverage import repository as repo
from services.coverage import runs
from services.coverage.jobs import JobPool
from services.coverage.networks import NetworkCache
from tests.coverage.factories import queued_run


def test_a_run_told_to_stop_goes_back_to_the_queue(coverage_db_url: str) -> None:
    run_id = queued_run(coverage_db_url)
    engine = make_engine(coverage_db_url)
    try:
        reads, writes = make_session_factory(engine), make_session_factory(engine, write=True)
        stop = threading.Event()
        stop.set()
        runs.execute(write_sessions=writes, cache=NetworkCache(reads), run_id=run_id, stop=stop)
        with reads() as s:
            row = repo.get_run(session=s, run_id=run_id)
            assert row is not None
            assert (row.status, row.progress, row.error) == ("queued", 0, None)
        runs.execute(
            write_sessions=writes, cache=NetworkCache(reads), run_id=run_id, stop=threading.Event()
        )
        with reads() as s:
            row = repo.get_run(session=s, run_id=run_id)
            assert row is not None and row.status == "done" and row.progress == 100
    finally:
        engine.dispose()


def test_shutdown_returns_even_when_a_job_never_stops() -> None:
    release = threading.Event()
    started = threading.Event()
    done: list[int] = []

    def stubborn(run_id: int, _stop: threading.Event) -> None:
        started.set()
        release.wait(30)  # ignores the stop flag, like a thread stuck in a C call
        done.append(run_id)

    pool = JobPool(stubborn, workers=1)
    pool.submit(1)
    pool.submit(1)  # already queued: not run twice
    pool.submit(2)
    assert started.wait(5)
    t0 = time.monotonic()
    pool.shutdown(timeout_s=0.2)
    assert time.monotonic() - t0 < 2.0
    assert all(t.daemon for t in pool.threads)
    pool.submit(3)  # refused once stopping
    release.set()
    pool.threads[0].join(5)
    assert done == [1]  # 2 was never started: it stays queued in the database


def test_jobs_run_in_order_and_a_crash_does_not_kill_the_worker() -> None:
    seen: list[int] = []
    finished = threading.Event()

    def job(run_id: int, _stop: threading.Event) -> None:
        seen.append(run_id)
        if run_id == 1:
            raise RuntimeError("boom")
        if run_id == 3:
            finished.set()

    pool = JobPool(job, workers=1)
    for run_id in (1, 2, 3):
        pool.submit(run_id)
    assert finished.wait(5)
    assert seen == [1, 2, 3]
    pool.shutdown(1.0)
