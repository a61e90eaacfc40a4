"""The lease SQL shared by every job table (coverage runs, long-query tasks).

One conditional UPDATE claims a row for an owner until an expiry; the owner renews it
while it works and writes its result only while it still holds it (ADR 0111, ADR 0113).
Written once over the table so runs and tasks survive a dead replica the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from services.coverage.models import RunRow, TaskRow

#: the tables whose rows are jobs with a lease (``status``, ``lease_owner``,
#: ``lease_until``, ``attempts``)
Leased = type[RunRow] | type[TaskRow]


def claimable(model: Leased, now: float) -> Any:
    """Queued, or running on a lease that ran out (its replica died or stalled)."""
    return or_(
        model.status == "queued",
        and_(
            model.status == "running",
            or_(model.lease_until.is_(None), model.lease_until < now),
        ),
    )


def claimable_ids(*, session: Session, model: Leased, now: float) -> list[int]:
    """Rows any replica may take now (see :func:`claim`), oldest first."""
    return list(session.scalars(select(model.id).where(claimable(model, now)).order_by(model.id)))


def claim(
    *, session: Session, model: Leased, row_id: int, owner: str, now: float, lease_s: float
) -> bool:
    """Take a row for ``owner`` until ``now + lease_s``: one conditional UPDATE, so of two
    replicas claiming at once exactly one gets it (the row lock / SQLite's write lock)."""
    result = session.execute(
        update(model)
        .where(model.id == row_id, claimable(model, now))
        .values(
            status="running",
            lease_owner=owner,
            lease_until=now + lease_s,
            attempts=model.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return one(result)


def renew(
    *, session: Session, model: Leased, row_id: int, owner: str, now: float, lease_s: float
) -> bool:
    """Extend ``owner``'s lease; False when the row is no longer ``owner``'s to run."""
    result = session.execute(
        update(model)
        .where(owned(model, row_id, owner))
        .values(lease_until=now + lease_s)
        .execution_options(synchronize_session=False)
    )
    return one(result)


def owned(model: Leased, row_id: int, owner: str | None) -> Any:
    """The row, and (when ``owner`` is given) only while ``owner`` holds its lease."""
    if owner is None:
        return model.id == row_id
    return and_(model.id == row_id, model.lease_owner == owner, model.status == "running")


def one(result: Any) -> bool:
    """Whether an UPDATE matched exactly one row."""
    return int(getattr(result, "rowcount", 0)) == 1
