"""The only module that writes SQL for the coverage service (keyword-only sessions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from services.coverage.models import DemandSetRow, NetworkRow, RunPointRow, RunRegionRow, RunRow

POINT_BATCH = 5_000


# Network rows are loaded without their ``data`` (the compressed graph, megabytes): only
# :func:`network_data` reads it, when the network cache misses.
_META = defer(NetworkRow.data, raiseload=True)


def get_network(*, session: Session, network_id: int) -> NetworkRow | None:
    """A network's metadata (``data`` not loaded; touching it raises)."""
    return session.scalar(select(NetworkRow).options(_META).where(NetworkRow.id == network_id))


def network_by_version(*, session: Session, version: str) -> NetworkRow | None:
    return session.scalar(select(NetworkRow).options(_META).where(NetworkRow.version == version))


def list_networks(*, session: Session) -> list[NetworkRow]:
    return list(session.scalars(select(NetworkRow).options(_META).order_by(NetworkRow.id)))


def latest_network(*, session: Session, kind: str) -> NetworkRow | None:
    """The most recently imported network of ``kind`` (metadata only)."""
    q = (
        select(NetworkRow)
        .options(_META)
        .where(NetworkRow.kind == kind)
        .order_by(NetworkRow.id.desc())
        .limit(1)
    )
    return session.scalar(q)


def network_data(*, session: Session, network_id: int) -> bytes | None:
    """The stored graph (compressed npz) of one network."""
    return session.scalar(select(NetworkRow.data).where(NetworkRow.id == network_id))


def add_network(*, session: Session, **values: Any) -> tuple[NetworkRow, bool]:
    """Insert; (the row a concurrent writer just stored with the same version, False) on a race."""
    row = NetworkRow(**values)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = network_by_version(session=session, version=values["version"])
        if existing is None:
            raise
        return existing, False
    return row, True


def get_demand_set(*, session: Session, demand_set_id: int) -> DemandSetRow | None:
    return session.get(DemandSetRow, demand_set_id)


def demand_by_version(*, session: Session, version: str) -> DemandSetRow | None:
    return session.scalar(select(DemandSetRow).where(DemandSetRow.version == version))


def add_demand_set(*, session: Session, **values: Any) -> tuple[DemandSetRow, bool]:
    """Insert; (the row a concurrent writer just stored with the same version, False) on a race."""
    row = DemandSetRow(**values)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = demand_by_version(session=session, version=values["version"])
        if existing is None:
            raise
        return existing, False
    return row, True


def run_by_key(*, session: Session, cache_key: str) -> RunRow | None:
    return session.scalar(select(RunRow).where(RunRow.cache_key == cache_key))


def get_run(*, session: Session, run_id: int) -> RunRow | None:
    return session.get(RunRow, run_id)


def add_run(*, session: Session, **values: Any) -> tuple[RunRow, bool]:
    """Insert a queued run; (existing run, False) if a concurrent request won the cache key."""
    row = RunRow(status="queued", progress=0, **values)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = run_by_key(session=session, cache_key=values["cache_key"])
        if existing is None:
            raise
        return existing, False
    return row, True


def unfinished_run_ids(*, session: Session) -> list[int]:
    q = select(RunRow.id).where(RunRow.status.in_(("queued", "running"))).order_by(RunRow.id)
    return list(session.scalars(q))


def set_progress(*, session: Session, run_id: int, progress: int, status: str = "running") -> None:
    session.execute(
        update(RunRow).where(RunRow.id == run_id).values(progress=progress, status=status)
    )


def requeue_run(*, session: Session, run_id: int) -> None:
    """Back to the queue (a failed run asked for again, or one stopped by a shutdown)."""
    session.execute(
        update(RunRow)
        .where(RunRow.id == run_id)
        .values(status="queued", progress=0, error=None, finished_at=None)
    )


def fail_run(*, session: Session, run_id: int, error: dict[str, Any]) -> None:
    session.execute(
        update(RunRow)
        .where(RunRow.id == run_id)
        .values(status="failed", error=error, finished_at=datetime.now(UTC))
    )


def finish_run(
    *,
    session: Session,
    run_id: int,
    summary: dict[str, Any],
    gaps: dict[str, Any],
    points: list[dict[str, Any]],
    regions: list[dict[str, Any]],
) -> None:
    """Write all results and mark the run done, in the caller's one transaction."""
    session.execute(delete(RunPointRow).where(RunPointRow.run_id == run_id))
    session.execute(delete(RunRegionRow).where(RunRegionRow.run_id == run_id))
    for start in range(0, len(points), POINT_BATCH):
        session.execute(insert(RunPointRow), points[start : start + POINT_BATCH])
    if regions:
        session.execute(insert(RunRegionRow), regions)
    session.execute(
        update(RunRow)
        .where(RunRow.id == run_id)
        .values(
            status="done",
            progress=100,
            summary=summary,
            gaps=gaps,
            error=None,
            finished_at=datetime.now(UTC),
        )
    )


def run_points(*, session: Session, run_id: int, after: int, limit: int) -> list[RunPointRow]:
    q = (
        select(RunPointRow)
        .where(RunPointRow.run_id == run_id, RunPointRow.idx > after)
        .order_by(RunPointRow.idx)
        .limit(limit)
    )
    return list(session.scalars(q))


def run_point_minutes(*, session: Session, run_id: int) -> list[float | None]:
    """Every point's minutes of one run, in demand order (one column, not whole rows)."""
    q = select(RunPointRow.minutes).where(RunPointRow.run_id == run_id).order_by(RunPointRow.idx)
    return list(session.scalars(q))


def latest_region(*, session: Session, region_code: str) -> tuple[RunRegionRow, RunRow] | None:
    q = (
        select(RunRegionRow, RunRow)
        .join(RunRow, RunRow.id == RunRegionRow.run_id)
        .where(RunRegionRow.region_code == region_code, RunRow.status == "done")
        .order_by(RunRow.finished_at.desc(), RunRow.id.desc())
        .limit(1)
    )
    row = session.execute(q).first()
    return (row[0], row[1]) if row else None


def latest_region_rows(
    *, session: Session, prefix: str
) -> tuple[list[RunRegionRow], RunRow] | None:
    """Rows under ``prefix`` of the latest finished run that has any (for ancestor rollups)."""
    run = session.scalars(
        select(RunRow)
        .join(RunRegionRow, RunRegionRow.run_id == RunRow.id)
        .where(RunRegionRow.region_code.startswith(prefix), RunRow.status == "done")
        .order_by(RunRow.finished_at.desc(), RunRow.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return None
    rows = session.scalars(
        select(RunRegionRow).where(
            RunRegionRow.run_id == run.id, RunRegionRow.region_code.startswith(prefix)
        )
    ).all()
    return list(rows), run
