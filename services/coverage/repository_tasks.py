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


def set_task_progress(*, session: Session, task_id: int, progress: int) -> None:
    session.execute(
        update(TaskRow).where(TaskRow.id == task_id).values(progress=progress, status="running")
    )


def requeue_task(*, session: Session, task_id: int) -> None:
    """Back to the queue (a failed task asked for again, or one stopped by a shutdown)."""
    session.execute(
        update(TaskRow)
        .where(TaskRow.id == task_id)
        .values(status="queued", progress=0, error=None, result=None, finished_at=None)
    )


def finish_task(*, session: Session, task_id: int, result: Any) -> None:
    session.execute(
        update(TaskRow)
        .where(TaskRow.id == task_id)
        .values(status="done", progress=100, result=result, finished_at=datetime.now(UTC))
    )


def fail_task(*, session: Session, task_id: int, error: dict[str, Any]) -> None:
    session.execute(
        update(TaskRow)
        .where(TaskRow.id == task_id)
        .values(status="failed", error=error, finished_at=datetime.now(UTC))
    )
