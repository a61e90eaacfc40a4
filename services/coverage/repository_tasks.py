"""SQL for the ``coverage_tasks`` table (long queries on a run kept as jobs).

A repository module of its own beside :mod:`repository` (runs, networks, demand): the
task table has its own life, and keeping it apart keeps both files short.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.coverage import lease_sql
from services.coverage.models import TaskRow


def task_by_key(*, session: Session, cache_key: str) -> TaskRow | None:
    return session.scalar(select(TaskRow).where(TaskRow.cache_key == cache_key))


def get_task(*, session: Session, task_id: int) -> TaskRow | None:
    return session.get(TaskRow, task_id)


def add_task(*, session: Session, **values: Any) -> tuple[TaskRow, bool]:
    """Insert a queued task; (existing task, False) when a concurrent request won the key."""
    row = TaskRow(status="queued", progress=0, **values)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = task_by_key(session=session, cache_key=values["cache_key"])
        if existing is None:
            raise
        return existing, False
    return row, True


def unfinished_task_ids(*, session: Session) -> list[int]:
    q = select(TaskRow.id).where(TaskRow.status.in_(("queued", "running"))).order_by(TaskRow.id)
    return list(session.scalars(q))


def claim_task(*, session: Session, task_id: int, owner: str, now: float, lease_s: float) -> bool:
    """Take a task for ``owner`` until ``now + lease_s`` (one winner, :func:`lease_sql.claim`)."""
    return lease_sql.claim(
        session=session, model=TaskRow, row_id=task_id, owner=owner, now=now, lease_s=lease_s
    )


def _owned(task_id: int, owner: str | None) -> Any:
    return lease_sql.owned(TaskRow, task_id, owner)


def set_task_progress(
    *, session: Session, task_id: int, progress: int, owner: str | None = None
) -> None:
    session.execute(
        update(TaskRow)
        .where(_owned(task_id, owner))
        .values(progress=progress, status="running")
        .execution_options(synchronize_session=False)
    )


def requeue_task(*, session: Session, task_id: int, owner: str | None = None) -> None:
    """Back to the queue (a failed task asked for again, or one stopped by a shutdown)."""
    session.execute(
        update(TaskRow)
        .where(_owned(task_id, owner))
        .values(
            status="queued",
            progress=0,
            error=None,
            result=None,
            finished_at=None,
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )


def finish_task(*, session: Session, task_id: int, result: Any, owner: str | None = None) -> bool:
    """Store the result; with ``owner``, only while it holds the lease (False: another
    replica took the task over, and its result is the one kept)."""
    done = session.execute(
        update(TaskRow)
        .where(_owned(task_id, owner))
        .values(
            status="done",
            progress=100,
            result=result,
            finished_at=datetime.now(UTC),
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return lease_sql.one(done)


def fail_task(
    *, session: Session, task_id: int, error: dict[str, Any], owner: str | None = None
) -> None:
    session.execute(
        update(TaskRow)
        .where(_owned(task_id, owner))
        .values(status="failed", error=error, finished_at=datetime.now(UTC), lease_until=None)
        .execution_options(synchronize_session=False)
    )
