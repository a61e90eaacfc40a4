"""Keeps the nearby index at the registry's version (ADR 0075).

Every registry write bumps one counter (``registry_state.version``, the ETag of
``GET /api/v1/facilities/registry-version``). A request uses the snapshot as it is
unless (a) this process committed a registry write since the snapshot was checked —
seen without the database through a commit hook; the request then waits for the
rebuild, so a process always reads its own writes — or (b) ``nearby_index_refresh_s``
passed since the last check: the check (one tiny query, in a worker thread) and, if the
version moved, the rebuild run in the background while requests keep the snapshot in
hand, so another process's write (a second worker, a CLI import) is seen within the
interval plus one rebuild, and no request queues behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from typing import Any

import anyio
from sqlalchemy import Integer, String, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from services.common.errors import ServiceUnavailable
from services.common.state import ServiceState
from services.facilities import repository as repo
from services.facilities.nearby_index import Snapshot, build_snapshot
from services.facilities.queries import SELECT_LIST, SqlParts, facility_dict, typed_statement

log = logging.getLogger("carecircle.facilities")
_EXTRAS_KEY = "nearby_index"
_BUMPED = repo.REGISTRY_BUMPED


class _Commits:
    """How many registry writes this process committed (a generation; threads may race on it)."""

    count = 0


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_BUMPED, False):
        _Commits.count += 1


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_BUMPED, None)


def read_snapshot(engine: Engine) -> Snapshot:
    """Every facility and the registry version, read version first.

    Without one read transaction (pysqlite starts none for SELECTs) a write landing
    between the two reads leaves rows newer than the version, never older: the next
    check sees a newer version and rebuilds.
    """
    with Session(engine) as session:
        version = repo.registry_version(session=session)
        body = (
            f"SELECT {SELECT_LIST}, f.services_mask AS services_mask, "
            "f.name_normalized AS name_normalized FROM facilities f"
        )
        extra = {"services_mask": Integer, "name_normalized": String}
        stmt = typed_statement(body, SqlParts(), extra).execution_options(yield_per=2000)
        rows = session.execute(stmt).mappings()
        return build_snapshot(
            version,
            (
                {
                    **facility_dict(row),
                    "services_mask": row["services_mask"],
                    "name_normalized": row["name_normalized"],
                }
                for row in rows
            ),
        )


def read_version(engine: Engine) -> int:
    with Session(engine) as session:
        return repo.registry_version(session=session)


class NearbySnapshots:
    """The current snapshot of one service's registry, checked and rebuilt as described above."""

    def __init__(self, engine: Engine, refresh_s: float) -> None:
        self._engine = engine
        self._refresh_s = refresh_s
        self._snapshot: Snapshot | None = None
        self._checked_at = -float("inf")
        self._commits_seen = -1
        self._lock: asyncio.Lock | None = None
        self._warming: asyncio.Task[None] | None = None  # held so that it is not collected
        self._refreshing: asyncio.Task[None] | None = None

    def _fresh(self) -> Snapshot | None:
        snapshot = self._snapshot
        if (
            snapshot is not None
            and _Commits.count == self._commits_seen
            and time.monotonic() - self._checked_at < self._refresh_s
        ):
            return snapshot
        return None

    def warm_up(self) -> None:
        """Start building the snapshot now, in the background (the service's startup); the
        first requests wait for this build instead of starting their own."""

        async def build() -> None:
            try:
                await self.current()
            except Exception as exc:  # the database may come up later: a request retries
                log.warning("nearby index not built at startup: %r", exc)

        self._warming = asyncio.get_running_loop().create_task(build())

    async def stop(self) -> None:
        """Cancel a build still running (the service's shutdown)."""
        for task in (self._warming, self._refreshing):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._warming = self._refreshing = None

    async def current(self) -> Snapshot:
        """The snapshot at the registry's version (see the module docstring for "current")."""
        snapshot = self._fresh()
        if snapshot is not None:
            return snapshot
        snapshot = self._snapshot
        if snapshot is not None and _Commits.count == self._commits_seen:
            # Only the refresh interval ran out: check (and rebuild) in the background and
            # serve the snapshot in hand meanwhile — another process's write is allowed
            # that long, and requests do not queue behind a rebuild.
            if self._refreshing is None or self._refreshing.done():
                self._refreshing = asyncio.get_running_loop().create_task(self._quietly())
            return snapshot
        return await self._refresh()  # the first build, or this process's own write: wait

    async def _quietly(self) -> None:
        try:
            await self._refresh()
        except Exception as exc:  # kept serving the last snapshot; the next request retries
            log.warning("nearby index not refreshed: %r", exc)

    async def _refresh(self) -> Snapshot:
        """Check the version and rebuild on a change, one caller at a time."""
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            snapshot = self._fresh()
            if snapshot is not None:
                return snapshot
            commits = _Commits.count
            checked_at = time.monotonic()
            snapshot = self._snapshot
            try:
                version = await anyio.to_thread.run_sync(read_version, self._engine)
                if snapshot is None or snapshot.version != version:
                    snapshot = await anyio.to_thread.run_sync(read_snapshot, self._engine)
            except DBAPIError as exc:
                if snapshot is None:
                    raise ServiceUnavailable(
                        "the facilities database is unreachable; retry shortly"
                    ) from exc
                # No write can land while the database is away: the last snapshot still holds.
                log.warning("nearby index kept at version %s: %r", snapshot.version, exc)
            if snapshot is not self._snapshot:
                # What is alive now lives long (the app, the snapshot): out of the collector's
                # full passes, which took ~1 s with it at 100,000 facilities (a p99 spike).
                gc.freeze()
            self._snapshot, self._checked_at, self._commits_seen = snapshot, checked_at, commits
            return snapshot


def for_state(state: ServiceState[Any]) -> NearbySnapshots:
    """The service's snapshots, made on first use."""
    snapshots: NearbySnapshots | None = state.extras.get(_EXTRAS_KEY)
    if snapshots is None:
        refresh_s: Any = getattr(state.settings, "nearby_index_refresh_s", 1.0)
        snapshots = NearbySnapshots(state.engine, float(refresh_s))
        state.extras[_EXTRAS_KEY] = snapshots
    return snapshots
