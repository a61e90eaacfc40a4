"""Coverage runs as jobs: submission (validate, cache key, queue) and execution (compute, store).

Submission never holds a transaction across an ``await``: the reads, the facilities
snapshot and the station check come first, then the insert is one short transaction
(on SQLite a write lock held while waiting on another service would stall every writer).
Execution runs in a job thread and stops at the next stage boundary when told to.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from services.common.db import transaction
from services.common.errors import InvalidInput
from services.coverage import columnar, networks
from services.coverage import repository as repo
from services.coverage.facilities_client import SnapshotCache
from services.coverage.models import DemandSetRow, NetworkRow, RunRow
from services.coverage.networks import LoadedNetwork, NetworkCache
from services.coverage.run_compute import compute_run
from services.coverage.schemas import RunIn, StationQuery
from services.coverage.service import clean, points, records_version

log = logging.getLogger(__name__)

CACHED_PARAMS = {"minutes", "speed_mps", "max_snap_m", "skip_far_stations", "gap_resolution"}


class RunStopped(Exception):
    """The service is shutting down: the run stops at a stage boundary and is queued again."""


async def submit(
    *,
    read_sessions: sessionmaker[Session],
    write_sessions: sessionmaker[Session],
    cache: NetworkCache,
    snapshots: SnapshotCache,
    body: RunIn,
) -> tuple[RunRow, bool]:
    """Check a run's inputs and queue it; (the run, True) when it is new and must be started.

    Identical inputs (network and demand versions, stations, parameters) give the stored
    run instead, unless that one failed (then it is queued again).
    """
    net_row, demand = await run_in_threadpool(_inputs, read_sessions, body)
    stations, registry_version = await _stations(snapshots, body)
    stations = scenario_stations(
        stations, clean([s.model_dump() for s in body.add_stations]), body.close_stations
    )
    loaded = await run_in_threadpool(cache.get, net_row)
    await run_in_threadpool(
        check_stations, loaded, stations, body.max_snap_m, body.skip_far_stations
    )
    params = body.model_dump(include=CACHED_PARAMS)
    key = run_cache_key(net_row.version, demand.version, registry_version, stations, params)
    if body.add_stations or body.close_stations:
        # A what-if: never a region's current figure (repository.latest_region skips it).
        params[repo.WHAT_IF] = {"added": len(body.add_stations), "closed": len(body.close_stations)}
    return await run_in_threadpool(
        _queue,
        write_sessions,
        key=key,
        network_id=net_row.id,
        demand_set_id=demand.id,
        registry_version=registry_version,
        params=params,
        stations=stations,
    )


def _inputs(read_sessions: sessionmaker[Session], body: RunIn) -> tuple[NetworkRow, DemandSetRow]:
    with read_sessions() as session:
        net_row = networks.find(session, body.network_id)
        demand = repo.get_demand_set(session=session, demand_set_id=body.demand_set_id)
        if demand is None:
            raise InvalidInput(f"unknown demand set {body.demand_set_id}", field="demand_set_id")
        return net_row, demand


async def _stations(
    snapshots: SnapshotCache, body: RunIn
) -> tuple[list[dict[str, Any]], int | None]:
    """Explicit stations, or the facilities snapshot the query names (with its registry version)."""
    if body.stations is not None:
        return clean([s.model_dump() for s in body.stations]), None
    q = body.station_query or StationQuery()
    snap = await snapshots.snapshot(q.type, q.status, q.region)
    stations = clean(
        [
            {
                "id": str(f["id"]),
                "lon": f["lon"],
                "lat": f["lat"],
                "type": f.get("type"),
                "capacity": f.get("capacity"),
                "region_code": f.get("region_code"),
            }
            for f in snap.get("items", [])
        ]
    )
    return stations, int(snap.get("registry_version", 0))


def _queue(
    write_sessions: sessionmaker[Session], *, key: str, **values: Any
) -> tuple[RunRow, bool]:
    """One short transaction: the cached run, a failed one queued again, or a new queued run."""
    with transaction(write_sessions) as session:
        row = repo.run_by_key(session=session, cache_key=key)
        if row is not None and row.status != "failed":
            return row, False
        if row is not None:
            repo.requeue_run(session=session, run_id=row.id)
            session.refresh(row)
            return row, True
        return repo.add_run(session=session, cache_key=key, **values)


def scenario_stations(
    base: list[dict[str, Any]], add: list[dict[str, Any]], close: list[str]
) -> list[dict[str, Any]]:
    """The station list after hypothetically closing some and adding others."""
    known = {str(s["id"]) for s in base}
    missing = [c for c in close if c not in known]
    if missing:
        raise InvalidInput(
            f"close_stations names unknown stations {missing[:5]}", field="close_stations"
        )
    closed = set(close)
    out = [s for s in base if str(s["id"]) not in closed] + add
    if not out:
        raise InvalidInput("no stations left", field="stations")
    return out


def check_stations(
    loaded: LoadedNetwork, stations: list[dict[str, Any]], max_snap_m: float, skip: bool
) -> None:
    """422 naming each station farther than ``max_snap_m`` from the network (unless skipped)."""
    from services.coverage.loaders import to_epsg
    from services.coverage.reach import street_segments
    from services.coverage.snapping import SegmentIndex

    ps = points(stations, "stations", need_elderly=False)
    x, y = to_epsg(loaded.net.epsg, ps.lon, ps.lat)
    # the run puts stations on the nearest street point (ADR 0103): measure the same way
    segments = SegmentIndex(loaded.net.x, loaded.net.y, street_segments(loaded.net))
    snap = segments.snap(x, y, max_snap_m)
    if snap.too_far.all() or (snap.too_far.any() and not skip):
        errors = [
            {
                "field": f"stations[{i}]",
                "message": f"station {ps.ids[i]} is {snap.access_m[i]:.0f} m from the nearest "
                f"street (limit {max_snap_m:g} m)",
            }
            for i in np.flatnonzero(snap.too_far)[:20]
        ]
        raise InvalidInput(errors[0]["message"], errors=errors)


def run_cache_key(
    network_version: str,
    demand_version: str,
    registry_version: int | None,
    stations: list[dict[str, Any]],
    params: dict[str, Any],
) -> str:
    """Same network, demand, stations and parameters: same key, so the stored run answers."""
    blob = json.dumps(
        [network_version, demand_version, registry_version, records_version(stations), params],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def execute(
    *,
    write_sessions: sessionmaker[Session],
    cache: NetworkCache,
    run_id: int,
    stop: threading.Event,
) -> None:
    """The job: compute everything for one run and store it (results in one transaction).

    ``stop`` is checked at every stage boundary; a stopped run is queued again, so the
    next start of the service runs it (see :func:`services.coverage.app.create_app`).
    """
    with transaction(write_sessions) as session:
        run = repo.get_run(session=session, run_id=run_id)
        if run is None or run.status == "done":
            return
        repo.set_progress(session=session, run_id=run_id, progress=1)
        net_row = networks.find(session, run.network_id)
        demand_row = repo.get_demand_set(session=session, demand_set_id=run.demand_set_id)
        blob = repo.demand_data(session=session, demand_set_id=run.demand_set_id)
        params, stations = dict(run.params), list(run.stations)
    progress = _progress_writer(write_sessions, run_id, stop)
    try:
        if demand_row is None or blob is None:
            raise ValueError(f"demand set {run.demand_set_id} is gone")
        demand = columnar.decode(blob)
        loaded = cache.get(net_row)
        progress(0, "loaded")
        summary, gaps, points, regions = compute_run(loaded.net, stations, demand, params, progress)
        progress(90, "computed")
    except RunStopped:
        with transaction(write_sessions) as s:
            repo.requeue_run(session=s, run_id=run_id)
        return
    except (ValueError, InvalidInput) as exc:
        with transaction(write_sessions) as s:
            repo.fail_run(session=s, run_id=run_id, error={"detail": str(exc)})
        return
    summary["demand_derived_from_registry"] = bool(demand_row.derived)
    summary["demand_version"] = demand_row.version
    try:
        with transaction(write_sessions) as s:
            repo.finish_run(
                session=s, run_id=run_id, summary=summary, gaps=gaps, points=points, regions=regions
            )
    except Exception:  # never leave a run "running" forever: it fails, and says where
        log.exception("coverage run %s: storing its results failed", run_id)
        with transaction(write_sessions) as s:
            repo.fail_run(
                session=s,
                run_id=run_id,
                error={"detail": "storing the results failed (logged); submit the run again"},
            )


def _progress_writer(
    write_sessions: sessionmaker[Session], run_id: int, stop: threading.Event
) -> Callable[[float, str], None]:
    """Progress 0–90 % in steps of 10 to the run's row; raises :class:`RunStopped` when told."""
    last = [0]

    def progress(pct: float, _message: str) -> None:
        if stop.is_set():
            raise RunStopped(f"run {run_id} stopped at {pct:.0f} %")
        p = int(min(90, pct * 0.9))
        if p - last[0] >= 10:
            last[0] = p
            with transaction(write_sessions) as s:
                repo.set_progress(session=s, run_id=run_id, progress=p)

    return progress
