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
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from services.common.db import transaction
from services.common.errors import InvalidInput
from services.coverage import columnar, networks
from services.coverage import repository as repo
from services.coverage.facilities_client import SnapshotCache
from services.coverage.leases import Heartbeat, new_owner
from services.coverage.models import DemandSetRow, NetworkRow, RunRow
from services.coverage.networks import LoadedNetwork, NetworkCache
from services.coverage.run_compute import compute_run
from services.coverage.schemas import RunIn, StationQuery
from services.coverage.service import clean, points, records_version

if TYPE_CHECKING:
    from services.coverage.partition_run import Runner

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


@dataclass(frozen=True)
class Execution:
    """How this replica executes runs: its lease name and length, and how runs are split."""

    owner: str
    lease_s: float = 30.0
    partitions: int = 0  # 0: one partition per NODES_PER_PARTITION network nodes
    scheduler: str = ""  # Dask scheduler address; empty: in-process


NODES_PER_PARTITION = 500_000
MAX_ATTEMPTS = 3


def split_for(ex: Execution, n_nodes: int) -> tuple[int, Runner | None]:
    """(partitions, runner) of a run: unsplit in this thread unless a scheduler or more
    than one partition is asked for (then Dask, same results).

    >>> split_for(Execution("me"), 1000)
    (1, None)
    """
    parts = ex.partitions or max(1, -(-n_nodes // NODES_PER_PARTITION))
    if parts <= 1 and not ex.scheduler:
        return 1, None
    from services.coverage.dask_runner import DaskRunner

    return parts, DaskRunner(ex.scheduler or None)


def execute(
    *,
    write_sessions: sessionmaker[Session],
    cache: NetworkCache,
    run_id: int,
    stop: threading.Event,
    ex: Execution | None = None,
) -> None:
    """The job: claim the run, compute everything, store it (results in one transaction).

    The claim is a lease (ADR 0111): a run another replica holds is skipped; a run whose
    lease ran out is taken over. ``stop`` is checked at every stage boundary; a stopped run
    is queued again, so the next start of the service (or another replica) runs it.
    """
    ex = ex or Execution(new_owner())
    with transaction(write_sessions) as session:
        if not repo.claim_run(
            session=session, run_id=run_id, owner=ex.owner, now=time.time(), lease_s=ex.lease_s
        ):
            return  # done, failed, gone, or running on a live lease elsewhere
        run = repo.get_run(session=session, run_id=run_id)
        if run is None:
            return
        if run.attempts > MAX_ATTEMPTS:  # it killed every replica that tried: stop trying
            detail = f"gave up after {MAX_ATTEMPTS} attempts (each replica running it died)"
            repo.fail_run(session=session, run_id=run_id, error={"detail": detail}, owner=ex.owner)
            return
        repo.set_progress(session=session, run_id=run_id, progress=1, owner=ex.owner)
        net_row = networks.find(session, run.network_id)
        demand_row = repo.get_demand_set(session=session, demand_set_id=run.demand_set_id)
        blob = repo.demand_data(session=session, demand_set_id=run.demand_set_id)
        params, stations = dict(run.params), list(run.stations)
    with Heartbeat(write_sessions, run_id, ex.owner, ex.lease_s) as beat:
        _compute_and_store(
            write_sessions, cache, run_id, stop, ex, beat, net_row, demand_row, blob, params,
            stations,
        )  # fmt: skip


def _compute_and_store(
    write_sessions: sessionmaker[Session],
    cache: NetworkCache,
    run_id: int,
    stop: threading.Event,
    ex: Execution,
    beat: Heartbeat,
    net_row: NetworkRow,
    demand_row: DemandSetRow | None,
    blob: bytes | None,
    params: dict[str, Any],
    stations: list[dict[str, Any]],
) -> None:
    progress = _progress_writer(write_sessions, run_id, stop, ex.owner, beat.lost)
    owner = ex.owner
    try:
        if demand_row is None or blob is None:
            raise ValueError(f"demand set {demand_row and demand_row.id} is gone")
        demand = columnar.decode(blob)
        loaded = cache.get(net_row)
        progress(0, "loaded")
        partitions, runner = split_for(ex, loaded.net.n_nodes)
        summary, gaps, points, regions = compute_run(
            loaded.net, stations, demand, params, progress, partitions=partitions, runner=runner
        )
        progress(90, "computed")
    except RunStopped:
        with transaction(write_sessions) as s:
            repo.requeue_run(session=s, run_id=run_id, owner=owner)
        return
    except repo.LeaseLost:
        log.warning("coverage run %s: taken over by another replica; result dropped", run_id)
        return
    except (ValueError, InvalidInput) as exc:
        with transaction(write_sessions) as s:
            repo.fail_run(session=s, run_id=run_id, error={"detail": str(exc)}, owner=owner)
        return
    except Exception:  # a bug or an unreachable Dask scheduler: failed, never "running"
        log.exception("coverage run %s crashed", run_id)
        with transaction(write_sessions) as s:
            detail = "the computation failed (logged); submit the run again"
            repo.fail_run(session=s, run_id=run_id, error={"detail": detail}, owner=owner)
        return
    summary["demand_derived_from_registry"] = bool(demand_row.derived)
    summary["demand_version"] = demand_row.version
    try:
        with transaction(write_sessions) as s:
            repo.finish_run(
                session=s,
                run_id=run_id,
                summary=summary,
                gaps=gaps,
                points=points,
                regions=regions,
                owner=owner,
            )
    except repo.LeaseLost:
        log.warning("coverage run %s: finished here, but another replica owns it now", run_id)
    except Exception:  # never leave a run "running" forever: it fails, and says where
        log.exception("coverage run %s: storing its results failed", run_id)
        with transaction(write_sessions) as s:
            repo.fail_run(
                session=s,
                run_id=run_id,
                error={"detail": "storing the results failed (logged); submit the run again"},
                owner=owner,
            )


def _progress_writer(
    write_sessions: sessionmaker[Session],
    run_id: int,
    stop: threading.Event,
    owner: str,
    lost: threading.Event,
) -> Callable[[float, str], None]:
    """Progress 0–90 % in steps of 10 to the run's row; raises :class:`RunStopped` when
    told to stop and ``LeaseLost`` when another replica took the run over."""
    last = [0]

    def progress(pct: float, _message: str) -> None:
        if stop.is_set():
            raise RunStopped(f"run {run_id} stopped at {pct:.0f} %")
        if lost.is_set():
            raise repo.LeaseLost(f"run {run_id} was taken over at {pct:.0f} %")
        p = int(min(90, pct * 0.9))
        if p - last[0] >= 10:
            last[0] = p
            with transaction(write_sessions) as s:
                repo.set_progress(session=s, run_id=run_id, progress=p, owner=owner)

    return progress
