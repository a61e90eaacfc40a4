"""Flows of the coverage service that answer while the caller waits: walk times, run queries.

Routes call these; these call the pure modules and :mod:`repository`. Blocking work
(database, graph searches) runs in worker threads, never on the event loop, and no
database session is open while a graph is searched.

Walk times are what the gateway's nearby view asks on every request, so they are
bounded: at most ``COVERAGE_WALK_TIMES_CONCURRENCY`` searches run at once, each request
has ``COVERAGE_WALK_TIMES_BUDGET_S`` (waiting included), and a request whose caller has
disconnected stops waiting, or stops searching at the next pass.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import numpy as np
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.orm import Session, sessionmaker

from services.common.errors import CareError, Conflict, InvalidInput, NotFound, ServiceUnavailable
from services.common.identity import region_prefix
from services.coverage import columnar, networks, run_queries
from services.coverage import repository as repo
from services.coverage.loaders import PointSet, points_from_records
from services.coverage.models import RunRegionRow, RunRow, TaskRow
from services.coverage.networks import LoadedNetwork, NetworkCache
from services.coverage.rollup import rollup
from services.coverage.schemas import IsochroneIn, SitingIn, WalkTimesIn
from services.coverage.walking import Stopped, distances_from, first_limit_m

DEFAULT_MAX_SNAP_M = 500.0
#: Points in one csv/xlsx/gpkg download (an xlsx sheet holds 1,048,576 rows).
MAX_EXPORT_POINTS = 1_000_000
R = TypeVar("R")


class CallerGone(CareError):
    """The caller disconnected before its answer was ready (nobody reads this answer)."""

    status, title, slug = 499, "Client closed request", "caller-gone"


def clean(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop None-valued keys so equal inputs hash equal whatever their origin."""
    return [{k: v for k, v in r.items() if v is not None} for r in records]


def records_version(records: list[dict[str, Any]]) -> str:
    """Content hash of a list of records (key order does not matter)."""
    blob = json.dumps(records, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def points(records: list[dict[str, Any]], what: str, need_elderly: bool) -> PointSet:
    """Records to a PointSet, or 422 naming ``what``."""
    try:
        return points_from_records(records, what, need_elderly)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=what) from exc


# --- walk times -------------------------------------------------------------------------


@dataclass
class WalkGate:
    """How many walk-time searches run at once, how long one request may take, and what happened."""

    slots: anyio.CapacityLimiter
    budget_s: float
    outcomes: Counter

    @classmethod
    def create(cls, concurrency: int, budget_s: float, registry: CollectorRegistry) -> WalkGate:
        """Built inside the serving event loop (an anyio limiter belongs to its loop)."""
        outcomes = Counter(
            "coverage_walk_times",
            "Walk-times requests by outcome: computed, caller_gone (stopped: the caller "
            "disconnected), over_budget (503), failed (4xx).",
            ["outcome"],
            registry=registry,
        )
        for outcome in ("computed", "caller_gone", "over_budget", "failed"):
            outcomes.labels(outcome)
        return cls(anyio.CapacityLimiter(concurrency), budget_s, outcomes)


async def walk_times(
    *,
    read_sessions: sessionmaker[Session],
    cache: NetworkCache,
    gate: WalkGate,
    body: WalkTimesIn,
    caller_gone: Callable[[], Awaitable[None]],
) -> list[dict[str, Any]]:
    """Walking minutes from one person to each station; bounded in time and concurrency.

    ``caller_gone`` returns when the caller disconnects (an ASGI ``http.disconnect``).
    """
    stations = [s.model_dump() for s in body.stations]

    def work(should_stop: Callable[[], bool]) -> list[dict[str, Any]]:
        # the network's metadata in a short session, closed before the search starts
        loaded = cache.get(networks.walking_network(read_sessions, body.network))
        return walk_times_on(
            loaded, body.lon, body.lat, stations, body.speed_mps, should_stop=should_stop
        )

    outcome = "failed"
    try:
        found, gone = await in_a_slot(gate, caller_gone, work)
        if found:
            outcome = "computed"
            return found[0]
        if gone:
            outcome = "caller_gone"
            raise CallerGone("the caller disconnected; its search was stopped")
        outcome = "over_budget"
        raise ServiceUnavailable(
            f"walk times did not finish within {gate.budget_s:g} s; try again", retry_after_s=1
        )
    finally:
        gate.outcomes.labels(outcome).inc()


async def in_a_slot(
    gate: WalkGate,
    caller_gone: Callable[[], Awaitable[None]],
    work: Callable[[Callable[[], bool]], R],
) -> tuple[list[R], bool]:
    """``work(should_stop)`` in one worker thread, once one of the gate's slots is free.

    Returns ``([result], gone)``, or ``([], gone)`` when the budget ran out or the caller
    disconnected first (waiting for a slot stops at once; a running ``work`` sees
    ``should_stop()`` turn true and raises :class:`Stopped`). Any other exception of
    ``work`` is raised here as it is.
    """
    deadline = time.monotonic() + gate.budget_s
    gone = threading.Event()
    done: list[R] = []
    failed: list[Exception] = []

    def call() -> None:
        try:
            done.append(work(lambda: gone.is_set() or time.monotonic() > deadline))
        except Stopped:
            pass
        except Exception as exc:  # raised again below, outside the task group
            failed.append(exc)

    with anyio.move_on_after(max(0.0, deadline - time.monotonic())):
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                await caller_gone()
                gone.set()
                tg.cancel_scope.cancel()

            tg.start_soon(watch)
            async with gate.slots:  # FIFO; a cancelled wait leaves the queue
                await anyio.to_thread.run_sync(call)
            tg.cancel_scope.cancel()
    if failed:
        raise failed[0]
    return done, gone.is_set()


def walk_times_on(
    loaded: LoadedNetwork,
    lon: float,
    lat: float,
    stations: list[dict[str, Any]],
    speed_mps: float,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[dict[str, Any]]:
    """Network walking minutes from one person to each station (null when unreachable).

    Person and stations snap to their nearest node (straight-line access legs, up to
    ``max_snap_m``); distances are exact shortest paths (see :mod:`walking`).
    """
    if not stations:
        return []
    net = loaded.net
    lon_all = np.array([lon] + [s["lon"] for s in stations], dtype=np.float64)
    lat_all = np.array([lat] + [s["lat"] for s in stations], dtype=np.float64)
    x, y = loaded.to_xy.transform(lon_all, lat_all)  # the person first, then each station
    snapped = loaded.index.snap(np.asarray(x), np.asarray(y), max_snap_m)
    unreachable = [
        {"id": s["id"], "walk_minutes": None, "network_distance_m": None} for s in stations
    ]
    if snapped.too_far[0]:
        return unreachable
    source, me_access_m = int(snapped.node[0]), float(snapped.access_m[0])
    nodes, access_m, too_far = snapped.node[1:], snapped.access_m[1:], snapped.too_far[1:]
    dist = distances_from(
        loaded.graph,
        source,
        nodes,
        components=loaded.components,
        first_limit=first_limit_m(net.x, net.y, source, nodes),
        should_stop=should_stop,
    )
    out = []
    for i, s in enumerate(stations):
        d = float(dist[i])
        if too_far[i] or not np.isfinite(d):
            out.append(unreachable[i])
            continue
        total = me_access_m + d + float(access_m[i])
        out.append(
            {"id": s["id"], "walk_minutes": total / speed_mps / 60.0, "network_distance_m": total}
        )
    return out


# --- queries on runs ----------------------------------------------------------------------


def get_run(session: Session, run_id: int) -> RunRow:
    row = repo.get_run(session=session, run_id=run_id)
    if row is None:
        raise NotFound(f"run {run_id} not found")
    return row


def finished_run(session: Session, run_id: int) -> RunRow:
    """A run that is done; 409 (with Retry-After while it runs) otherwise."""
    return require_done(get_run(session, run_id), f"run {run_id}")


JobRow = TypeVar("JobRow", RunRow, TaskRow)


def require_done(row: JobRow, label: str) -> JobRow:
    """``row`` (a run or a task) if it is done; 409 naming ``label`` otherwise, with
    Retry-After while it is still queued or running."""
    if row.status == "failed":
        raise Conflict(f"{label} failed: {(row.error or {}).get('detail')}")
    if row.status != "done":
        raise Conflict(
            f"{label} is {row.status} ({row.progress} %); poll it first",
            headers={"Retry-After": "1"},
        )
    return row


def demand_coordinates(session: Session, run: RunRow) -> tuple[Any, Any]:
    """WGS84 lon and lat arrays of a run's demand points, indexed like its point rows."""
    blob = repo.demand_data(session=session, demand_set_id=run.demand_set_id)
    if blob is None:
        raise NotFound("demand set not found")
    points = columnar.decode(blob)
    return points.lon, points.lat


def isochrones(
    read_sessions: sessionmaker[Session],
    cache: NetworkCache,
    run_id: int,
    body: IsochroneIn,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Nested isochrone polygons per station of a run, each with its own status."""
    with read_sessions() as session:
        row = get_run(session, run_id)
        meta = networks.find(session, row.network_id)
        stations, params = list(row.stations), dict(row.params)
    if body.station_ids is not None:
        wanted = set(body.station_ids)
        known = [s for s in stations if str(s["id"]) in wanted]
        missing = sorted(wanted - {str(s["id"]) for s in known})
    else:
        known, missing = stations, []
    loaded = cache.get(meta)
    items = run_queries.isochrones(
        loaded.net,
        loaded.index,
        known,
        body.minutes,
        params["speed_mps"],
        params["max_snap_m"],
        body.buffer_m,
        progress,
    )
    items += [
        {"id": m, "status": "error", "detail": "not a station of this run", "contours": []}
        for m in missing
    ]
    return {"items": items}


def siting(
    read_sessions: sessionmaker[Session], cache: NetworkCache, run_id: int, body: SitingIn
) -> dict[str, Any]:
    """Where ``k`` new stations would newly cover the most elderly (existing stations kept)."""
    with read_sessions() as session:
        row = finished_run(session, run_id)
        meta = networks.find(session, row.network_id)
        blob = repo.demand_data(session=session, demand_set_id=row.demand_set_id)
        if blob is None:
            raise NotFound("demand set not found")
        point_minutes = repo.run_point_minutes(session=session, run_id=run_id)
        params, gaps = dict(row.params), row.gaps or {}
    demand = columnar.decode(blob)
    minutes = float(params["minutes"])
    covered = np.array([m is not None and m <= minutes for m in point_minutes], dtype=bool)
    loaded = cache.get(meta)
    cands = (
        clean([c.model_dump() for c in body.candidates])
        if body.candidates
        else run_queries.default_candidates(loaded.net, gaps, int(params.get("gap_resolution", 9)))
    )
    try:
        return run_queries.siting(
            loaded.net,
            loaded.index,
            demand,
            covered,
            cands,
            body.k,
            body.method,
            body.default_capacity,
            minutes,
            float(params["speed_mps"]),
            float(params["max_snap_m"]),
            body.budget,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc), field="candidates") from exc


def region_figures(session: Session, code: str) -> dict[str, Any]:
    """The latest finished run's figures for a region, or its deepest sub-regions summed (404)."""
    found = repo.latest_region(session=session, region_code=code)
    if found is not None:
        reg, run = found
        figures: dict[str, Any] = {
            column: getattr(reg, column)
            for column in ("elderly", "covered_elderly", "demand_points")
            + ("covered_share_by_count", "covered_share_by_elderly")
        }
    else:
        below = repo.latest_region_rows(session=session, prefix=region_prefix(code))
        if below is None:
            raise NotFound(f"no finished coverage run covers region {code}")
        rows, run = below
        figures = rollup(
            [{c.name: getattr(r, c.name) for c in RunRegionRow.__table__.columns} for r in rows]
        )
    return {
        "region_code": code,
        "run_id": run.id,
        "finished_at": run.finished_at,
        "minutes": run.params.get("minutes"),
        "speed_mps": run.params.get("speed_mps"),
        **figures,
        "demand_derived_from_registry": (run.summary or {}).get("demand_derived_from_registry"),
    }
