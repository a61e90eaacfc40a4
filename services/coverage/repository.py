"""The only module that writes SQL for the coverage service (keyword-only sessions)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from services.coverage import lease_sql as leases
from services.coverage.models import DemandSetRow, NetworkRow, RunPointRow, RunRegionRow, RunRow
from services.coverage.run_compute import RunPoints

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


# Demand sets likewise: ``data`` (every point's columns) only through :func:`demand_data`.
_DEMAND_META = defer(DemandSetRow.data, raiseload=True)


def get_demand_set(*, session: Session, demand_set_id: int) -> DemandSetRow | None:
    """A demand set's metadata (``data`` not loaded; touching it raises)."""
    q = select(DemandSetRow).options(_DEMAND_META).where(DemandSetRow.id == demand_set_id)
    return session.scalar(q)


def demand_by_version(*, session: Session, version: str) -> DemandSetRow | None:
    q = select(DemandSetRow).options(_DEMAND_META).where(DemandSetRow.version == version)
    return session.scalar(q)


def demand_data(*, session: Session, demand_set_id: int) -> bytes | None:
    """The stored columns (compressed npz) of one demand set."""
    return session.scalar(select(DemandSetRow.data).where(DemandSetRow.id == demand_set_id))


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


def run_status(*, session: Session, run_id: int) -> RunRow | None:
    """A run for polling: its stations, summary and gaps (large JSON) not loaded."""
    q = (
        select(RunRow)
        .options(
            defer(RunRow.stations, raiseload=True),
            defer(RunRow.summary, raiseload=True),
            defer(RunRow.gaps, raiseload=True),
        )
        .where(RunRow.id == run_id)
    )
    return session.scalar(q)


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


def claim_run(*, session: Session, run_id: int, owner: str, now: float, lease_s: float) -> bool:
    """Take a run for ``owner`` until ``now + lease_s`` (:func:`lease_sql.claim`)."""
    return leases.claim(
        session=session, model=RunRow, row_id=run_id, owner=owner, now=now, lease_s=lease_s
    )


def renew_lease(*, session: Session, run_id: int, owner: str, now: float, lease_s: float) -> bool:
    """Extend ``owner``'s lease; False when the run is no longer ``owner``'s to run."""
    return leases.renew(
        session=session, model=RunRow, row_id=run_id, owner=owner, now=now, lease_s=lease_s
    )


def _one(result: Any) -> bool:
    return leases.one(result)


def _owned(run_id: int, owner: str | None) -> Any:
    """The run, and (when ``owner`` is given) only while ``owner`` holds its lease."""
    return leases.owned(RunRow, run_id, owner)


def set_progress(
    *,
    session: Session,
    run_id: int,
    progress: int,
    status: str = "running",
    owner: str | None = None,
) -> None:
    session.execute(
        update(RunRow)
        .where(_owned(run_id, owner))
        .values(progress=progress, status=status)
        .execution_options(synchronize_session=False)
    )


def requeue_run(*, session: Session, run_id: int, owner: str | None = None) -> None:
    """Back to the queue (a failed run asked for again, or one stopped by a shutdown)."""
    session.execute(
        update(RunRow)
        .where(_owned(run_id, owner))
        .values(
            status="queued",
            progress=0,
            error=None,
            finished_at=None,
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )


def fail_run(
    *, session: Session, run_id: int, error: dict[str, Any], owner: str | None = None
) -> None:
    session.execute(
        update(RunRow)
        .where(_owned(run_id, owner))
        .values(status="failed", error=error, finished_at=datetime.now(UTC), lease_until=None)
        .execution_options(synchronize_session=False)
    )


class LeaseLost(Exception):
    """Another replica took the run over (this one stalled past its lease): its result wins."""


def finish_run(
    *,
    session: Session,
    run_id: int,
    summary: dict[str, Any],
    gaps: dict[str, Any],
    points: RunPoints,
    regions: list[dict[str, Any]],
    owner: str | None = None,
) -> None:
    """Write all results and mark the run done, in the caller's one transaction.

    With ``owner``: first the run's row is marked done only if ``owner`` still holds the
    lease (this also locks the row), else :class:`LeaseLost` and nothing is written — a
    run executed twice keeps one result.
    """
    done = session.execute(
        update(RunRow)
        .where(_owned(run_id, owner))
        .values(
            status="done",
            progress=100,
            summary=summary,
            gaps=gaps,
            error=None,
            finished_at=datetime.now(UTC),
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    if owner is not None and not _one(done):
        raise LeaseLost(f"run {run_id} is no longer {owner}'s")
    session.execute(delete(RunPointRow).where(RunPointRow.run_id == run_id))
    session.execute(delete(RunRegionRow).where(RunRegionRow.run_id == run_id))
    insert_points(session=session, rows=points.rows(run_id))
    if regions:
        session.execute(insert(RunRegionRow), [{**r, "run_id": run_id} for r in regions])


POINT_COLUMNS = (
    "run_id",
    "idx",
    "demand_id",
    "elderly",
    "minutes",
    "nearest_station",
    "access_2sfca",
)


def insert_points(*, session: Session, rows: Iterable[tuple[Any, ...]]) -> None:
    """Per-point results in bulk, on the session's connection (same transaction).

    PostgreSQL: one binary ``COPY``; SQLite: one ``executemany`` of plain tuples. Either
    way the driver loops in C over tuples; the ORM never sees a row.
    """
    table = RunPointRow.__tablename__
    names = ", ".join(POINT_COLUMNS)
    dbapi = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        types = ["int4", "int4", "varchar", "float8", "float8", "varchar", "float8"]
        copy_sql = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
        with dbapi.cursor() as cur, cur.copy(copy_sql) as copy:  # type: ignore[union-attr]
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(POINT_COLUMNS))
        dbapi.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # type: ignore[union-attr]


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


#: ``params`` key of a run that added or closed stations hypothetically (runs.submit).
WHAT_IF = "scenario"


def is_what_if(run: RunRow) -> bool:
    """A scenario's run: its figures describe a plan, not the region as it is."""
    return WHAT_IF in (run.params or {})


def latest_region(*, session: Session, region_code: str) -> tuple[RunRegionRow, RunRow] | None:
    """The region's row of the latest finished run that is not a what-if."""
    q = (
        select(RunRegionRow, RunRow)
        .join(RunRow, RunRow.id == RunRegionRow.run_id)
        .where(RunRegionRow.region_code == region_code, RunRow.status == "done")
        .order_by(RunRow.finished_at.desc(), RunRow.id.desc())
        .execution_options(yield_per=20)
    )
    for region_row, run in session.execute(q):
        if not is_what_if(run):
            return region_row, run
    return None


def latest_region_rows(
    *, session: Session, prefix: str
) -> tuple[list[RunRegionRow], RunRow] | None:
    """Rows under ``prefix`` of the latest finished run that has any and is not a what-if
    (for ancestor rollups)."""
    runs = session.scalars(
        select(RunRow)
        .join(RunRegionRow, RunRegionRow.run_id == RunRow.id)
        .where(RunRegionRow.region_code.startswith(prefix), RunRow.status == "done")
        .order_by(RunRow.finished_at.desc(), RunRow.id.desc())
        .execution_options(yield_per=20)
    )
    run = next((r for r in runs if not is_what_if(r)), None)
    if run is None:
        return None
    rows = session.scalars(
        select(RunRegionRow).where(
            RunRegionRow.run_id == run.id, RunRegionRow.region_code.startswith(prefix)
        )
    ).all()
    return list(rows), run
