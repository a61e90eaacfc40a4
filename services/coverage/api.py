"""HTTP routes of the coverage service (thin: parse, call one function, return a schema)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from services.common.deps import ReadSessionDep, StateDep, WriteSessionDep, role_guard
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from services.common.identity import region_prefix
from services.common.openapi_examples import answer, request_body
from services.coverage import examples as ex
from services.coverage import repository as repo
from services.coverage import run_queries, service
from services.coverage.loaders import geojson_records
from services.coverage.models import RunRegionRow
from services.coverage.rollup import rollup
from services.coverage.schemas import (
    DemandFromRegistry,
    DemandIn,
    DemandOut,
    IsochroneIn,
    NetworkFromPath,
    NetworkOut,
    PointPage,
    PointResult,
    RunIn,
    RunOut,
    SitingIn,
    StationQuery,
    WalkTimesIn,
    WalkTimesOut,
)

router = APIRouter(prefix="/api/v1/coverage", tags=["coverage"])
# Planners (and admins) change coverage data and start runs; reads and walk times are open.
PLANNERS_ONLY = [Depends(role_guard("planner", action="import coverage data or run coverage jobs"))]


def _network_out(row: Any) -> NetworkOut:
    return NetworkOut(
        id=row.id,
        name=row.name,
        kind=row.kind,
        version=row.version,
        epsg=row.epsg,
        n_nodes=row.n_nodes,
        n_edges=row.n_edges,
        source=row.source,
    )


def _demand_out(row: Any) -> DemandOut:
    return DemandOut(
        id=row.id,
        name=row.name,
        version=row.version,
        n_points=row.n_points,
        total_elderly=row.total_elderly,
        derived=row.derived,
        source=row.source,
    )


def _run_out(row: Any, cached: bool = False) -> RunOut:
    return RunOut(
        id=row.id,
        status=row.status,
        progress=row.progress,
        network_id=row.network_id,
        demand_set_id=row.demand_set_id,
        registry_version=row.registry_version,
        params=row.params,
        error=row.error,
        cached=cached,
    )


def _server_path_allowed(raw: str, import_dir: str, identity_secret: str) -> Path:
    """A server path the caller may make us read: inside ``import_dir``, or anywhere in development.

    Reading arbitrary server files on request is a hole once the service is behind a gateway,
    so with identities on (``CARECIRCLE_IDENTITY_SECRET`` set) only ``COVERAGE_IMPORT_DIR`` is open.
    """
    path = Path(raw).expanduser().resolve()
    if import_dir:
        root = Path(import_dir).expanduser().resolve()
        if not path.is_relative_to(root):
            raise Forbidden(
                f"path must be inside COVERAGE_IMPORT_DIR ({root}); upload the file instead",
                field="path",
            )
        return path
    if identity_secret:
        raise Forbidden(
            "server-path imports are off in production (set COVERAGE_IMPORT_DIR); upload the file instead",
            field="path",
        )
    return path


@router.post(
    "/networks",
    status_code=201,
    dependencies=PLANNERS_ONLY,
    response_model=NetworkOut,
    summary="Import a street network from a file on the server (planners)",
    responses=answer(ex.NETWORK, 201),
)
async def import_network_path(
    body: NetworkFromPath, state: StateDep, session: WriteSessionDep, response: Response
) -> NetworkOut:
    """Import a street network from a file on the server (.osm.pbf, GeoJSON/GPKG lines, .npz)."""
    path = _server_path_allowed(
        body.path, state.settings.import_dir, state.settings.identity_secret
    )  # type: ignore[attr-defined]
    row, created = await run_in_threadpool(
        service.import_network_file,
        session,
        path,
        body.kind,
        body.name or path.name,
        body.path,
        "path",
        body.max_segment_m,
    )
    session.commit()
    response.status_code = 201 if created else 200
    return _network_out(row)


UPLOAD_CHUNK_BYTES = 1 << 20


async def _read_upload(file: UploadFile, max_mb: int, what: str) -> bytes:
    """The uploaded bytes, refused (413) as soon as they pass ``max_mb`` — never read whole first."""
    limit = max_mb * 1_000_000
    chunks, size = [], 0
    while chunk := await file.read(UPLOAD_CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"{what} file too large")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/networks/upload",
    status_code=201,
    dependencies=PLANNERS_ONLY,
    response_model=NetworkOut,
    summary="Upload a street network: OSM PBF, GeoJSON or GeoPackage (planners)",
    responses=answer(ex.NETWORK, 201),
    openapi_extra=request_body(
        {
            "file": "helsinki.osm.pbf",
            "kind": "walk",
            "name": "demo walking network",
        },
        "multipart/form-data",
    ),
)
async def import_network_upload(
    state: StateDep,
    session: WriteSessionDep,
    response: Response,
    file: Annotated[UploadFile, File(description=".osm.pbf, .geojson or .gpkg")],
    kind: Annotated[str, Form(pattern="^(walk|drive)$")] = "walk",
    name: Annotated[str | None, Form()] = None,
) -> NetworkOut:
    """Import a street network from an uploaded file."""
    content = await _read_upload(file, state.settings.max_upload_mb, "network")  # type: ignore[attr-defined]
    row, created = await run_in_threadpool(
        service.import_network_upload, session, file.filename or "network", content, kind, name
    )
    session.commit()
    response.status_code = 201 if created else 200
    return _network_out(row)


@router.get(
    "/networks",
    response_model=dict,
    summary="The street networks loaded",
    responses=answer(ex.NETWORKS),
)
def list_networks(session: ReadSessionDep) -> dict[str, Any]:
    """Imported networks (arrays not included)."""
    return {"items": [_network_out(r).model_dump() for r in repo.list_networks(session=session)]}


@router.get(
    "/networks/{network_id}",
    response_model=NetworkOut,
    summary="One street network",
    responses=answer(ex.NETWORK),
)
def get_network(network_id: int, session: ReadSessionDep) -> NetworkOut:
    """One imported network."""
    row = repo.get_network(session=session, network_id=network_id)
    if row is None:
        raise NotFound(f"network {network_id} not found")
    return _network_out(row)


@router.post(
    "/demand",
    status_code=201,
    dependencies=PLANNERS_ONLY,
    response_model=DemandOut,
    summary="Import demand points as JSON (planners)",
    responses=answer(ex.DEMAND, 201),
)
def import_demand(body: DemandIn, session: WriteSessionDep, response: Response) -> DemandOut:
    """Import demand points (elderly counts) as JSON."""
    records = service.clean([p.model_dump() for p in body.points])
    row, created = service.import_demand(session, body.name, records, False, "json")
    session.commit()
    response.status_code = 201 if created else 200
    return _demand_out(row)


@router.post(
    "/demand/upload",
    status_code=201,
    dependencies=PLANNERS_ONLY,
    response_model=DemandOut,
    summary="Upload demand points as CSV or GeoJSON (planners)",
    responses=answer(ex.DEMAND, 201),
    openapi_extra=request_body(
        {"file": "demand.csv", "name": "demo demand"}, "multipart/form-data"
    ),
)
async def import_demand_upload(
    state: StateDep,
    session: WriteSessionDep,
    response: Response,
    file: Annotated[
        UploadFile, File(description="CSV lon,lat,id,elderly[,region_code] or GeoJSON")
    ],
    name: Annotated[str | None, Form()] = None,
) -> DemandOut:
    """Import demand points from an uploaded CSV or GeoJSON file."""
    raw = await _read_upload(file, state.settings.max_upload_mb, "demand")  # type: ignore[attr-defined]
    text = raw.decode("utf-8-sig", errors="replace")
    fname = file.filename or "demand"
    try:
        if fname.lower().endswith(".csv"):
            records = list(csv.DictReader(io.StringIO(text)))
        else:
            records = geojson_records(json.loads(text), "demand")
    except (ValueError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read demand file: {exc}", field="file") from exc
    records = service.clean(records)
    row, created = await run_in_threadpool(
        service.import_demand, session, name or fname, records, False, f"upload:{fname}"
    )
    session.commit()
    response.status_code = 201 if created else 200
    return _demand_out(row)


@router.post(
    "/demand/from-registry",
    status_code=201,
    dependencies=PLANNERS_ONLY,
    response_model=DemandOut,
    summary="Demand points from the registry's region populations (planners)",
    responses=answer({**ex.DEMAND, "derived": True}, 201),
)
async def demand_from_registry(
    body: DemandFromRegistry, state: StateDep, session: WriteSessionDep, response: Response
) -> DemandOut:
    """Derive demand from the region registry: community elderly spread over its area (flagged)."""
    from services.coverage.derive import spread_elderly
    from services.coverage.facilities_client import communities_for

    regions = await communities_for(state.settings.facilities_url, body.region)  # type: ignore[attr-defined]
    records, skipped = await run_in_threadpool(spread_elderly, regions, body.spacing_m)
    if not records:
        raise InvalidInput(
            f"no community under {body.region} has a boundary and an elderly count",
            field="region",
            skipped=skipped,
        )
    row, created = await run_in_threadpool(
        service.import_demand,
        session,
        f"registry {body.region}",
        records,
        True,
        f"registry:{body.region}",
    )
    session.commit()
    response.status_code = 201 if created else 200
    out = _demand_out(row)
    out.skipped = skipped
    return out


@router.get(
    "/demand/{demand_set_id}",
    response_model=DemandOut,
    summary="One demand set",
    responses=answer(ex.DEMAND),
)
def get_demand(demand_set_id: int, session: ReadSessionDep) -> DemandOut:
    """One demand set (its points are not listed here)."""
    row = repo.get_demand_set(session=session, demand_set_id=demand_set_id)
    if row is None:
        raise NotFound(f"demand set {demand_set_id} not found")
    return _demand_out(row)


@router.post(
    "/runs",
    status_code=202,
    dependencies=PLANNERS_ONLY,
    response_model=RunOut,
    summary="Start a coverage run: a job, polled at its Location (planners)",
    responses=answer({**ex.RUN, "status": "queued", "progress": 0}, 202),
)
async def submit_run(body: RunIn, state: StateDep, response: Response) -> RunOut:
    """Submit a coverage run (a job): 202 + Location; identical inputs return the cached run.

    No transaction is held across an ``await`` (on SQLite a write lock held while
    waiting on the facilities service would stall every other writer): reads, the
    snapshot call and validation come first; the insert is one short transaction.
    """

    def load() -> tuple[Any, Any]:
        with state.read_sessions() as session:
            net_row = service.network_row(session, body.network_id)
            demand = repo.get_demand_set(session=session, demand_set_id=body.demand_set_id)
            if demand is None:
                raise InvalidInput(
                    f"unknown demand set {body.demand_set_id}", field="demand_set_id"
                )
            return net_row, demand

    net_row, demand = await run_in_threadpool(load)
    registry_version = None
    if body.stations is not None:
        stations = service.clean([s.model_dump() for s in body.stations])
    else:
        q = body.station_query or StationQuery()
        snap = await state.extras["snapshots"].snapshot(q.type, q.status, q.region)
        registry_version = int(snap.get("registry_version", 0))
        stations = service.clean(
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
    stations = service.scenario_stations(
        stations, service.clean([s.model_dump() for s in body.add_stations]), body.close_stations
    )
    net, index = await run_in_threadpool(state.extras["networks"].get, net_row)
    await run_in_threadpool(
        service.check_stations, net, index, stations, body.max_snap_m, body.skip_far_stations
    )
    params = body.model_dump(
        include={"minutes", "speed_mps", "max_snap_m", "skip_far_stations", "gap_resolution"}
    )
    key = service.run_cache_key(net_row.version, demand.version, registry_version, stations, params)

    def write() -> tuple[RunOut, bool]:
        with state.write_sessions() as session:
            row = repo.run_by_key(session=session, cache_key=key)
            if row is not None and row.status != "failed":
                return _run_out(row, cached=True), False
            if row is not None:
                row.status, row.progress, row.error = "queued", 0, None
            else:
                row, created = repo.add_run(
                    session=session,
                    cache_key=key,
                    network_id=net_row.id,
                    demand_set_id=demand.id,
                    registry_version=registry_version,
                    params=params,
                    stations=stations,
                )
                if not created:
                    return _run_out(row, cached=True), False
            session.commit()
            return _run_out(row), True

    out, submit = await run_in_threadpool(write)
    if submit:
        state.extras["jobs"].submit(out.id, state.extras["execute"])
    response.status_code = 200 if out.status == "done" else 202
    response.headers["Location"] = f"/api/v1/coverage/runs/{out.id}"
    return out


def _run(session: Any, run_id: int) -> Any:
    row = repo.get_run(session=session, run_id=run_id)
    if row is None:
        raise NotFound(f"run {run_id} not found")
    return row


def _done(session: Any, run_id: int) -> Any:
    row = _run(session, run_id)
    if row.status == "failed":
        raise Conflict(f"run {run_id} failed: {(row.error or {}).get('detail')}")
    if row.status != "done":
        raise Conflict(
            f"run {run_id} is {row.status} ({row.progress} %); poll it first",
            headers={"Retry-After": "1"},
        )
    return row


@router.get(
    "/runs/{run_id}",
    response_model=RunOut,
    summary="A run's status and progress",
    responses=answer(ex.RUN),
)
def get_run(run_id: int, session: ReadSessionDep) -> RunOut:
    """Status and percentage progress of a run."""
    return _run_out(_run(session, run_id))


@router.get(
    "/runs/{run_id}/summary",
    response_model=dict,
    summary="A finished run's coverage figures, overall and by region",
    responses=answer(ex.SUMMARY),
)
def run_summary(run_id: int, session: ReadSessionDep) -> dict[str, Any]:
    """Overall, per-region and per-facility-type coverage of a finished run."""
    row = _done(session, run_id)
    return {"run_id": row.id, "registry_version": row.registry_version, **(row.summary or {})}


@router.get(
    "/runs/{run_id}/points",
    response_model=PointPage,
    summary="Each demand point's walking minutes to its nearest station (pages)",
    responses=answer(ex.POINTS),
)
def run_points(
    run_id: int,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    cursor: Annotated[str | None, Query(pattern=r"^\d+$")] = None,
) -> PointPage:
    """Per-demand-point minutes and nearest station, paged by cursor."""
    _done(session, run_id)
    rows = repo.run_points(session=session, run_id=run_id, after=int(cursor or -1), limit=limit + 1)
    items = [
        PointResult(
            id=r.demand_id,
            elderly=r.elderly,
            minutes=r.minutes,
            nearest_station=r.nearest_station,
            access_2sfca=r.access_2sfca,
        )
        for r in rows[:limit]
    ]
    nxt = str(rows[limit - 1].idx) if len(rows) > limit else None
    return PointPage(items=items, next_cursor=nxt)


@router.get(
    "/runs/{run_id}/gaps",
    response_model=dict,
    summary="Uncovered elderly by hexagon, worst first (GeoJSON)",
    responses=answer(ex.GAPS),
)
def run_gaps(run_id: int, session: ReadSessionDep) -> dict[str, Any]:
    """Uncovered elderly by H3 cell, ranked (GeoJSON FeatureCollection, WGS84)."""
    return _done(session, run_id).gaps or {"type": "FeatureCollection", "features": []}


@router.get(
    "/runs/{run_id}/compare/{other_id}",
    response_model=dict,
    summary="Two runs' coverage side by side",
    responses=answer(ex.COMPARE),
)
def compare_runs(run_id: int, other_id: int, session: ReadSessionDep) -> dict[str, Any]:
    """A scenario against its baseline: shares and covered elderly, and the difference."""
    a, b = _done(session, run_id).summary or {}, _done(session, other_id).summary or {}
    keys = ("covered_share_by_count", "covered_share_by_elderly", "covered_elderly", "stations")
    return {
        "run": run_id,
        "baseline": other_id,
        **{
            k: {"run": a.get(k), "baseline": b.get(k), "change": (a.get(k) or 0) - (b.get(k) or 0)}
            for k in keys
        },
    }


@router.post(
    "/runs/{run_id}/isochrones",
    dependencies=PLANNERS_ONLY,
    response_model=dict,
    summary="Walking isochrones of a run's stations (planners)",
    responses=answer(ex.ISOCHRONES),
    openapi_extra=request_body({"station_ids": ["18"], "minutes": [5, 10, 15]}),
)
async def run_isochrones(
    run_id: int, body: IsochroneIn, state: StateDep, session: ReadSessionDep
) -> dict[str, Any]:
    """Nested isochrone polygons per station of a run (5 ⊆ 10 ⊆ 15 min), each with a status."""
    row = _run(session, run_id)
    stations = row.stations
    if body.station_ids is not None:
        wanted = set(body.station_ids)
        stations = [s for s in stations if str(s["id"]) in wanted]
        missing = wanted - {str(s["id"]) for s in stations}
        stations += [{"id": m, "lon": 0.0, "lat": 0.0, "missing": True} for m in sorted(missing)]
    net, index = await run_in_threadpool(
        state.extras["networks"].get, service.network_row(session, row.network_id)
    )
    known = [s for s in stations if not s.get("missing")]
    items = await run_in_threadpool(
        run_queries.isochrones,
        net,
        index,
        known,
        body.minutes,
        row.params["speed_mps"],
        row.params["max_snap_m"],
        body.buffer_m,
    )
    items += [
        {"id": s["id"], "status": "error", "detail": "not a station of this run", "contours": []}
        for s in stations
        if s.get("missing")
    ]
    return {"items": items}


@router.post(
    "/runs/{run_id}/siting",
    dependencies=PLANNERS_ONLY,
    response_model=dict,
    summary="Where new stations would newly cover the most elderly (planners)",
    responses=answer(ex.SITING),
    openapi_extra=request_body({"k": 1, "method": "greedy"}),
)
async def run_siting(
    run_id: int, body: SitingIn, state: StateDep, session: ReadSessionDep
) -> dict[str, Any]:
    """Where k new stations would newly cover the most elderly (existing stations kept)."""
    row = _done(session, run_id)
    net, index = await run_in_threadpool(
        state.extras["networks"].get, service.network_row(session, row.network_id)
    )
    demand = service.require(
        repo.get_demand_set(session=session, demand_set_id=row.demand_set_id), "demand set"
    )
    pts = repo.run_points(session=session, run_id=run_id, after=-1, limit=10**9)
    minutes = float(row.params["minutes"])
    covered = np.array([p.minutes is not None and p.minutes <= minutes for p in pts])
    cands = (
        service.clean([c.model_dump() for c in body.candidates])
        if body.candidates
        else run_queries.default_candidates(
            net, row.gaps or {}, int(row.params.get("gap_resolution", 9))
        )
    )
    try:
        return await run_in_threadpool(
            run_queries.siting,
            net,
            index,
            demand.points,
            covered,
            cands,
            body.k,
            body.method,
            body.default_capacity,
            minutes,
            float(row.params["speed_mps"]),
            float(row.params["max_snap_m"]),
            body.budget,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc), field="candidates") from exc


@router.get(
    "/regions/{code}/latest",
    response_model=dict,
    summary="A region's figures from the latest finished run",
    responses=answer(ex.LATEST),
)
def region_latest(code: str, session: ReadSessionDep) -> dict[str, Any]:
    """The latest finished run's figures for a region, summed over its sub-regions when needed (404 if none)."""
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


@router.post(
    "/walk-times",
    response_model=WalkTimesOut,
    summary="Walking minutes from one point to each station along the street network",
    responses=answer(ex.WALK_TIMES),
)
async def walk_times(body: WalkTimesIn, state: StateDep, session: ReadSessionDep) -> WalkTimesOut:
    """Walking minutes from one person to each given station along the network."""
    if body.network is not None:
        net_row = service.network_row(session, body.network)
    else:
        walks = [r for r in repo.list_networks(session=session) if r.kind == "walk"]
        if not walks:
            raise NotFound("no walking network imported yet")
        net_row = walks[-1]
    if net_row.kind != "walk":
        raise InvalidInput("walk-times needs a walking network", field="network")
    net, index = await run_in_threadpool(state.extras["networks"].get, net_row)
    items = await run_in_threadpool(
        service.walk_times,
        net,
        index,
        body.lon,
        body.lat,
        [s.model_dump() for s in body.stations],
        body.speed_mps,
    )
    return WalkTimesOut.model_validate({"items": items})
