"""Long queries on a finished run as jobs: isochrones of many stations, siting with many candidates.

Why: an answer that takes longer than the gateway's upstream timeout (10 s) reached the
caller as a 504 while the service kept computing. Small requests stay synchronous; a large
one (isochrones of more than ``COVERAGE_SYNC_ISOCHRONE_STATIONS`` stations, 20 by default;
siting whose candidates × demand points exceed ``COVERAGE_SYNC_SITING_PAIRS``, 2 million;
isochrones still computing after ``COVERAGE_SYNC_BUDGET_S``, 5 s, checked between stations —
a loaded machine is several times slower than a quiet one; or any request sent with
``Prefer: respond-async``) is stored as a task and answered 202 with a
``Location`` to poll, like a coverage run. Tasks run in their own
:class:`~services.coverage.jobs.JobPool` (same daemon threads, same stop rule: a task
stopped by a shutdown is queued again and runs at the next start); status, progress and
the result live in the database, so any replica answers the poll. The same request
(kind, run, parameters) gives the same task.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.common.db import transaction
from services.common.errors import CareError, InvalidInput, NotFound
from services.coverage import repository_tasks as repo
from services.coverage import service
from services.coverage.leases import Heartbeat, new_owner
from services.coverage.models import TaskRow
from services.coverage.networks import NetworkCache
from services.coverage.schemas import IsochroneIn, SitingIn
from services.coverage.service import require_done

log = logging.getLogger(__name__)

ISOCHRONES, SITING = "isochrones", "siting"


class TaskStopped(Exception):
    """The service is shutting down: the task is queued again."""


class OverBudget(Exception):
    """A synchronous request ran past ``COVERAGE_SYNC_BUDGET_S``: it becomes a task."""


def budget_guard(budget_s: float) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` that raises :class:`OverBudget` once ``budget_s`` has passed."""
    deadline = time.monotonic() + budget_s

    def check(done: int, total: int) -> None:
        if done < total and time.monotonic() > deadline:
            raise OverBudget(f"{done} of {total} done after {budget_s:g} s")

    return check


def wants_async(prefer: str | None) -> bool:
    """Whether the caller sent ``Prefer: respond-async`` (RFC 7240).

    >>> wants_async("respond-async, wait=5"), wants_async(None)
    (True, False)
    """
    return any(
        p.strip().split("=")[0].lower() == "respond-async" for p in (prefer or "").split(",")
    )


def isochrone_stations(read_sessions: sessionmaker[Session], run_id: int, body: IsochroneIn) -> int:
    """How many stations the request asks isochrones for (404 for an unknown run)."""
    if body.station_ids is not None:
        with read_sessions() as session:
            service.get_run(session, run_id)
        return len(set(body.station_ids))
    with read_sessions() as session:
        return len(service.get_run(session, run_id).stations)


def siting_pairs(read_sessions: sessionmaker[Session], run_id: int, body: SitingIn) -> int:
    """Candidate sites × demand points of a siting request (the default candidates count as
    their most, 200), after the checks it fails at once (409 unfinished run, 422 budget)."""
    from services.coverage import repository as run_repo
    from services.coverage.run_queries import MAX_DEFAULT_CANDIDATES

    with read_sessions() as session:
        run = service.finished_run(session, run_id)
        demand = run_repo.get_demand_set(session=session, demand_set_id=run.demand_set_id)
        points = demand.n_points if demand is not None else 0
    if body.budget is not None and body.method != "exact":
        raise InvalidInput("a budget is solved by the exact method only", field="budget")
    candidates = len(body.candidates) if body.candidates else MAX_DEFAULT_CANDIDATES
    return candidates * points


def task_key(kind: str, run_id: int, params: dict[str, Any]) -> str:
    blob = json.dumps([kind, run_id, params], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def submit(
    write_sessions: sessionmaker[Session], *, kind: str, run_id: int, params: dict[str, Any]
) -> tuple[TaskRow, bool]:
    """The task for this request: (stored one, False), or (new or failed-and-requeued, True)."""
    key = task_key(kind, run_id, params)
    with transaction(write_sessions) as session:
        row = repo.task_by_key(session=session, cache_key=key)
        if row is not None and row.status != "failed":
            return row, False
        if row is not None:
            repo.requeue_task(session=session, task_id=row.id)
            session.refresh(row)
            return row, True
        return repo.add_task(
            session=session, cache_key=key, kind=kind, run_id=run_id, params=params
        )


def get(session: Session, task_id: int) -> TaskRow:
    row = repo.get_task(session=session, task_id=task_id)
    if row is None:
        raise NotFound(f"task {task_id} not found")
    return row


def finished(session: Session, task_id: int) -> TaskRow:
    """A done task; 409 (with Retry-After while it runs) otherwise."""
    return require_done(get(session, task_id), f"task {task_id}")


MAX_ATTEMPTS = 3  # claims of one task (each replica running it died): then it fails


def execute(
    *,
    read_sessions: sessionmaker[Session],
    write_sessions: sessionmaker[Session],
    cache: NetworkCache,
    task_id: int,
    stop: threading.Event,
    owner: str | None = None,
    lease_s: float = 30.0,
) -> None:
    """The job: claim one task (a lease, as runs have: ADR 0113), compute it, store its
    result (or its error) only while still its owner."""
    owner = owner or new_owner()
    with transaction(write_sessions) as session:
        if not repo.claim_task(
            session=session, task_id=task_id, owner=owner, now=time.time(), lease_s=lease_s
        ):
            return  # done, failed, gone, or running on a live lease elsewhere
        row = repo.get_task(session=session, task_id=task_id)
        if row is None:
            return
        if row.attempts > MAX_ATTEMPTS:
            detail = f"gave up after {MAX_ATTEMPTS} attempts (each replica running it died)"
            repo.fail_task(session=session, task_id=task_id, error={"detail": detail}, owner=owner)
            return
        repo.set_task_progress(session=session, task_id=task_id, progress=1, owner=owner)
        kind, run_id, params = row.kind, row.run_id, dict(row.params)
    with Heartbeat(write_sessions, task_id, owner, lease_s, model=TaskRow) as beat:
        _compute_and_store(
            read_sessions, write_sessions, cache, task_id, stop, owner, beat, kind, run_id, params
        )


def _compute_and_store(
    read_sessions: sessionmaker[Session],
    write_sessions: sessionmaker[Session],
    cache: NetworkCache,
    task_id: int,
    stop: threading.Event,
    owner: str,
    beat: Heartbeat,
    kind: str,
    run_id: int,
    params: dict[str, Any],
) -> None:
    progress = _progress_writer(write_sessions, task_id, stop, owner, beat.lost)
    try:
        result: Any
        if kind == ISOCHRONES:
            body = IsochroneIn.model_validate(params)
            result = service.isochrones(read_sessions, cache, run_id, body, progress)["items"]
        elif kind == SITING:
            progress(0, 1)
            result = service.siting(read_sessions, cache, run_id, SitingIn.model_validate(params))
        else:
            raise ValueError(f"unknown task kind {kind!r}")
    except TaskLost:
        log.warning("coverage task %s: taken over by another replica; result dropped", task_id)
        return
    except TaskStopped:
        with transaction(write_sessions) as s:
            repo.requeue_task(session=s, task_id=task_id, owner=owner)
        return
    except (CareError, ValueError) as exc:
        detail = exc.detail if isinstance(exc, CareError) else str(exc)
        with transaction(write_sessions) as s:
            repo.fail_task(session=s, task_id=task_id, error={"detail": detail}, owner=owner)
        return
    except Exception:  # never leave a task "running" forever
        log.exception("coverage task %s crashed", task_id)
        with transaction(write_sessions) as s:
            repo.fail_task(
                session=s,
                task_id=task_id,
                error={"detail": "the task failed (logged); submit again"},
                owner=owner,
            )
        return
    with transaction(write_sessions) as s:
        if not repo.finish_task(session=s, task_id=task_id, result=result, owner=owner):
            log.warning("coverage task %s: finished here, but another replica owns it", task_id)


class TaskLost(Exception):
    """Another replica took the task over (this one stalled past its lease): its result wins."""


def _progress_writer(
    write_sessions: sessionmaker[Session],
    task_id: int,
    stop: threading.Event,
    owner: str,
    lost: threading.Event,
) -> Callable[[int, int], None]:
    """``progress(done, total)`` → 1–99 % in steps of at least 5; raises :class:`TaskStopped`
    (shutdown) or :class:`TaskLost` (the lease went to another replica)."""
    last = [1]

    def progress(done: int, total: int) -> None:
        if stop.is_set():
            raise TaskStopped(f"task {task_id} stopped at {done}/{total}")
        if lost.is_set():
            raise TaskLost(f"task {task_id} lost its lease at {done}/{total}")
        pct = max(1, min(99, int(100 * done / max(total, 1))))
        if pct - last[0] >= 5:
            last[0] = pct
            with transaction(write_sessions) as s:
                repo.set_task_progress(session=s, task_id=task_id, progress=pct, owner=owner)

    return progress
