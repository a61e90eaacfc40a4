"""HTTP routes of the coverage service (thin: parse, call one function, return a schema).

Blocking work never runs on the event loop: ``def`` routes run in the threadpool, and
``async def`` routes (uploads, calls to other services, bounded walk times) hand their
database and graph work to worker threads.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from services.common.deps import ReadSessionDep, role_guard
from services.common.errors import InvalidInput, NotFound
from services.common.exports import Lang
from services.common.negotiation import choose
from services.common.openapi_examples import answer, request_body
from services.coverage import api_tasks, demand, networks, runs, service, tasks
from services.coverage import examples as ex
from services.coverage import export_tables as tables
from services.coverage import geojson as gj
from services.coverage import repository as repo
from services.coverage.api_tasks import PreferHeader, accepted
from services.coverage.models import RunRow
from services.coverage.representations import (
    ALL,
    FILE_EXAMPLES,
    answers,
    file_answer,
    format_query,
    json_answer,
    lang_query,
)
from services.coverage.runtime import RuntimeDep
from services.coverage.schemas import (
    NO_NUL,
    CursorQuery,
    DemandFromRegistry,
    DemandIn,
    DemandOut,
    IdPath,
    IsochroneIn,
    NetworkFromPath,
    NetworkOut,
    PointPage,
    PointResult,
    RegionCodePath,
    RunIn,
    RunOut,
    SitingIn,
    WalkTimesIn,
    WalkTimesOut,
)

router = APIRouter(prefix="/api/v1/coverage", tags=["coverage"])
AnyFormat = Literal["json", "geojson", "csv", "xlsx", "gpkg"]
JsonFirst = Annotated[AnyFormat | None, format_query(ALL, "json")]
GeoFirst = Annotated[AnyFormat | None, format_query(ALL, "geojson")]
IsoFormat = Annotated[
    Literal["json", "geojson", "gpkg"] | None, format_query(("json", "geojson", "gpkg"), "geojson")
]
LangQuery = Annotated[Lang, lang_query()]
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]
# Planners (and admins) change coverage data and start runs; reads and walk times are open.
PLANNERS_ONLY = [Depends(role_guard("planner", action="import coverage data or run coverage jobs"))]


def _status(response: Response, created: bool) -> None:
    response.status_code = 201 if created else 200


# Imports are idempotent: the same content again answers 200 with the stored one (_status).
SAME_AS_STORED: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same content was imported before: the stored one"}
}


@router.post(
    "/networks",
    status_code=201,
    dependencies=PLANNERS_ONLY,
    response_model=NetworkOut,
    summary="Import a street network from a file on the server (planners)",
    responses={**SAME_AS_STORED, **answer(ex.NETWORK, 201)},
)
def import_network_path(body: NetworkFromPath, rt: RuntimeDep, response: Response) -> NetworkOut:
    """Import a street network from a file in the server's import folder (COVERAGE_IMPORT_DIR)."""
    path, shown = networks.server_path(body.path, rt.settings.import_dir)
    row, created = networks.import_path(
        rt.write_sessions,
        path=path,
        shown=shown,
        kind=body.kind,
        name=body.name or path.name,
        max_segment_m=body.max_segment_m,
    )
    _status(response, created)
    return NetworkOut.model_validate(row, from_attributes=True)


@router.post(
    "/networks/upload",
    status_code=201,
    dependencies=PLANNERS_ONLY,
    response_model=NetworkOut,
    summary="Upload a street network: OSM PBF, GeoJSON or GeoPackage (planners)",
    responses={**SAME_AS_STORED, **answer(ex.NETWORK, 201)},
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
    rt: RuntimeDep,
    response: Response,
    file: Annotated[UploadFile, File(description=".osm.pbf, .geojson, .gpkg or .npz")],
    kind: Annotated[str, Form(pattern="^(walk|drive)$")] = "walk",
    name: Annotated[str | None, Form(max_length=200, pattern=NO_NUL)] = None,
) -> NetworkOut:
    """Import a street network from an uploaded file."""
    filename = (file.filename or "network.geojson").replace("\x00", "")
    content = await file.read()
    row, created = await run_in_threadpool(
        lambda: networks.import_upload(
            rt.write_sessions, filename=filename, content=content, kind=kind, name=name or filename
        )
    )
    _status(response, created)
    return NetworkOut.model_validate(row, from_attributes=True)


@router.get(
    "/networks",
    response_model=dict,
    summary="The street networks loaded",
    responses=answer(ex.NETWORKS),
)
def list_networks(session: ReadSessionDep) -> dict[str, Any]:
    """Imported networks (metadata; the graphs themselves are not loaded)."""
    return {
        "items": [
            NetworkOut.model_validate(r, from_attributes=True).model_dump()
            for r in repo.list_networks(session=session)
        ]
    }


@router.get(
    "/networks/{network_id}",
    response_model=NetworkOut,
    summary="One street network",
    responses=answer(ex.NETWORK),
)
def get_network(network_id: IdPath, session: ReadSessionDep) -> NetworkOut:
    """One imported network."""
    row = repo.get_network(session=session, network_id=network_id)
    if row is None:
        raise NotFound(f"network {network_id} not found")
    return NetworkOut.model_validate(row, from_attributes=True)


@router.post(
    "/demand",
    status_code=201,
    dependencies=PLANNERS_ONLY,
    response_model=DemandOut,
    summary="Import demand points as JSON (planners)",
    responses={**SAME_AS_STORED, **answer(ex.DEMAND, 201)},
)
def import_demand(body: DemandIn, rt: RuntimeDep, response: Response) -> DemandOut:
    """Import demand points (elderly counts) as JSON."""
    row, created = demand.import_records(
        rt.write_sessions,
        name=body.name,
        records=[p.model_dump() for p in body.points],
        derived=False,
        source="json",
        max_columns=rt.settings.max_demand_columns,
    )
    _status(response, created)
    return DemandOut.model_validate(row, from_attributes=True)


@router.post(
    "/demand/upload",
    status_code=201,
    dependencies=PLANNERS_ONLY,
    response_model=DemandOut,
    summary="Upload demand points as CSV or GeoJSON (planners)",
    responses={**SAME_AS_STORED, **answer(ex.DEMAND, 201)},
    openapi_extra=request_body(
        {"file": "demand.csv", "name": "demo demand"}, "multipart/form-data"
    ),
)
async def import_demand_upload(
    rt: RuntimeDep,
    response: Response,
    file: Annotated[
        UploadFile, File(description="CSV id,lon,lat,elderly[,region_code] or GeoJSON")
    ],
    name: Annotated[str | None, Form(max_length=200, pattern=NO_NUL)] = None,
) -> DemandOut:
    """Import demand points from an uploaded CSV or GeoJSON file."""
    filename = (file.filename or "demand").replace("\x00", "")
    raw = await file.read()
    row, created = await run_in_threadpool(
        lambda: demand.import_upload(
            rt.write_sessions,
            filename=filename,
            raw=raw,
            name=name,
            max_columns=rt.settings.max_demand_columns,
        )
    )
    _status(response, created)
    return DemandOut.model_validate(row, from_attributes=True)


@router.post(
    "/demand/from-registry",
    status_code=201,
    dependencies=PLANNERS_ONLY,
    response_model=DemandOut,
    summary="Demand points from the registry's region populations (planners)",
    responses={**SAME_AS_STORED, **answer({**ex.DEMAND, "derived": True}, 201)},
)
async def demand_from_registry(
    body: DemandFromRegistry, rt: RuntimeDep, response: Response
) -> DemandOut:
    """Derive demand from the region registry: community elderly spread over its area (flagged)."""
    row, created, skipped = await demand.from_registry(
        rt.write_sessions,
        facilities_url=rt.settings.facilities_url,
        region=body.region,
        spacing_m=body.spacing_m,
        max_columns=rt.settings.max_demand_columns,
    )
    _status(response, created)
    return DemandOut.model_validate(row, from_attributes=True).model_copy(
        update={"skipped": skipped}
    )


@router.get(
    "/demand/{demand_set_id}",
    response_model=DemandOut,
    summary="One demand set",
    responses=answer(ex.DEMAND),
)
def get_demand(demand_set_id: IdPath, session: ReadSessionDep) -> DemandOut:
    """One demand set (its points are not listed here)."""
    row = repo.get_demand_set(session=session, demand_set_id=demand_set_id)
    if row is None:
        raise NotFound(f"demand set {demand_set_id} not found")
    return DemandOut.model_validate(row, from_attributes=True)


def _run_out(row: RunRow, cached: bool = False) -> RunOut:
    return RunOut.model_validate(row, from_attributes=True).model_copy(update={"cached": cached})


@router.post(
    "/runs",
    status_code=202,
    dependencies=PLANNERS_ONLY,
    response_model=RunOut,
    summary="Start a coverage run: a job, polled at its Location (planners)",
    responses=answer({**ex.RUN, "status": "queued", "progress": 0}, 202),
)
async def submit_run(body: RunIn, rt: RuntimeDep, response: Response) -> RunOut:
    """Submit a coverage run (a job): 202 + Location; identical inputs return the cached run."""
    row, new = await runs.submit(
        read_sessions=rt.read_sessions,
        write_sessions=rt.write_sessions,
        cache=rt.networks,
        snapshots=rt.snapshots,
        body=body,
    )
    if new:
        rt.jobs.submit(row.id)
    response.status_code = 200 if row.status == "done" else 202
    response.headers["Location"] = f"/api/v1/coverage/runs/{row.id}"
    return _run_out(row, cached=not new)


@router.get(
    "/runs/{run_id}",
    response_model=RunOut,
    summary="A run's status and progress",
    responses=answer(ex.RUN),
)
def get_run(run_id: IdPath, session: ReadSessionDep) -> RunOut:
    """Status and percentage progress of a run."""
    row = repo.run_status(session=session, run_id=run_id)
    if row is None:
        raise NotFound(f"run {run_id} not found")
    return _run_out(row)


@router.get(
    "/runs/{run_id}/summary",
    response_model=dict,
    summary="A finished run's coverage figures, overall and by region",
    responses=answer(ex.SUMMARY),
)
def run_summary(run_id: IdPath, session: ReadSessionDep) -> dict[str, Any]:
    """Overall, per-region and per-facility-type coverage of a finished run."""
    row = service.finished_run(session, run_id)
    return {"run_id": row.id, "registry_version": row.registry_version, **(row.summary or {})}


@router.get(
    "/runs/{run_id}/points",
    response_model=PointPage,
    summary="Each demand point's walking minutes to its nearest station (pages; JSON or GeoJSON)",
    responses=answers(
        {"json": ex.POINTS, "geojson": ex.POINTS_GEOJSON, **FILE_EXAMPLES},
        description="JSON or GeoJSON pages; csv, xlsx, gpkg: every point of the run",
    ),
)
def run_points(
    run_id: IdPath,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    cursor: CursorQuery = None,
    format: JsonFirst = None,  # noqa: A002
    lang: LangQuery = "en",
    accept: AcceptHeader = None,
) -> Response:
    """Per-demand-point minutes and nearest station, paged by cursor.

    GeoJSON (``Accept: application/geo+json`` or ``format=geojson``): Point features with
    the same fields and ``covered``; the next page's cursor is the ``next_cursor`` member.
    ``format=csv|xlsx|gpkg``: a download of every point (no paging; ``lang=zh`` for Chinese
    headings and 是/否).
    """
    fmt = choose(accept, format, ALL, "json")
    row = service.finished_run(session, run_id)
    download = fmt in ("csv", "xlsx", "gpkg")
    if download:
        limit = service.MAX_EXPORT_POINTS
        cursor = None
    rows = repo.run_points(session=session, run_id=run_id, after=int(cursor or -1), limit=limit + 1)
    if download and len(rows) > limit:
        raise InvalidInput(
            f"the run has more than {limit:,} points; use the paged GeoJSON", field="query.format"
        )
    nxt = str(rows[limit - 1].idx) if len(rows) > limit else None
    items = [
        {
            "idx": r.idx,
            "id": r.demand_id,
            "elderly": r.elderly,
            "minutes": r.minutes,
            "nearest_station": r.nearest_station,
            "access_2sfca": r.access_2sfca,
        }
        for r in rows[:limit]
    ]
    if fmt != "json":
        lon, lat = service.demand_coordinates(session, row)
        fc = gj.point_collection(items, lon, lat, float(row.params["minutes"]), next_cursor=nxt)
        if download:
            return file_answer(fmt, tables.points_table(fc), f"run-{run_id}-points", lang)
        return json_answer(fc, fmt)
    page = PointPage(
        items=[
            PointResult.model_validate({k: v for k, v in i.items() if k != "idx"}) for i in items
        ],
        next_cursor=nxt,
    )
    return json_answer(page.model_dump(), fmt)


@router.get(
    "/runs/{run_id}/gaps",
    response_model=dict,
    summary="Uncovered elderly by hexagon, worst first (GeoJSON)",
    responses=answers({"geojson": ex.GAPS, "json": ex.GAPS, **FILE_EXAMPLES}),
)
def run_gaps(
    run_id: IdPath,
    session: ReadSessionDep,
    format: GeoFirst = None,  # noqa: A002
    lang: LangQuery = "en",
    accept: AcceptHeader = None,
) -> Response:
    """Uncovered elderly by H3 cell, ranked: a FeatureCollection (WGS84), as application/geo+json
    unless ``application/json`` is asked for (same body); or a csv/xlsx/gpkg download."""
    fmt = choose(accept, format, ALL, "geojson")
    gaps = service.finished_run(session, run_id).gaps or gj.collection([])
    if fmt in ("csv", "xlsx", "gpkg"):
        return file_answer(fmt, tables.gaps_table(gaps), f"run-{run_id}-gaps", lang)
    return json_answer(gaps, fmt)


@router.get(
    "/runs/{run_id}/compare/{other_id}",
    response_model=dict,
    summary="Two runs' coverage side by side",
    responses=answer(ex.COMPARE),
)
def compare_runs(run_id: IdPath, other_id: IdPath, session: ReadSessionDep) -> dict[str, Any]:
    """A scenario against its baseline: shares and covered elderly, and the difference."""
    a = service.finished_run(session, run_id).summary or {}
    b = service.finished_run(session, other_id).summary or {}
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
    summary="Walking isochrones of a run's stations: GeoJSON, one feature per station and minutes (planners)",
    responses={
        **answers(
            {
                "geojson": ex.ISOCHRONES_GEOJSON,
                "json": ex.ISOCHRONES,
                "gpkg": FILE_EXAMPLES["gpkg"],
            }
        ),
        **answer(ex.TASK, 202, description="Large: a task to poll at Location"),
    },
    openapi_extra=request_body({"station_ids": ["18"], "minutes": [5, 10, 15]}),
)
def run_isochrones(
    run_id: IdPath,
    body: IsochroneIn,
    rt: RuntimeDep,
    format: IsoFormat = None,  # noqa: A002
    accept: AcceptHeader = None,
    prefer: PreferHeader = None,
) -> Response:
    """Nested isochrone polygons per station of a run (5 ⊆ 10 ⊆ 15 min).

    Default ``application/geo+json``: a FeatureCollection with one feature per station and
    minute value (``station_id``, ``minutes``, ``status``; a station off the network has
    null geometries and a ``detail``). ``Accept: application/json`` or ``format=json``: the
    per-station ``items`` with their ``contours``. ``format=gpkg``: the features as a
    GeoPackage layer (MultiPolygons) for QGIS.

    More than ``COVERAGE_SYNC_ISOCHRONE_STATIONS`` (20) stations, still computing after
    ``COVERAGE_SYNC_BUDGET_S`` (5 s), or ``Prefer: respond-async``: 202 with a task to poll at
    ``Location``; its result is the same answer.
    """
    fmt = choose(accept, format, ("json", "geojson", "gpkg"), "geojson")
    stations = tasks.isochrone_stations(rt.read_sessions, run_id, body)
    params = body.model_dump(mode="json")
    if stations > rt.settings.sync_isochrone_stations or tasks.wants_async(prefer):
        return accepted(rt, tasks.ISOCHRONES, run_id, params)
    guard = tasks.budget_guard(rt.settings.sync_budget_s)
    try:
        items = service.isochrones(rt.read_sessions, rt.networks, run_id, body, guard)["items"]
    except tasks.OverBudget:
        return accepted(rt, tasks.ISOCHRONES, run_id, params)
    if fmt == "json":
        return json_answer({"items": items}, fmt)
    fc = gj.isochrone_collection(items, body.minutes)
    if fmt == "gpkg":
        return file_answer(fmt, tables.isochrones_table(fc), f"run-{run_id}-isochrones", "en")
    return json_answer(fc, fmt)


@router.post(
    "/runs/{run_id}/siting",
    dependencies=PLANNERS_ONLY,
    response_model=dict,
    summary="Where new stations would newly cover the most elderly (planners)",
    responses={
        **answers({"json": ex.SITING, "geojson": ex.SITING_GEOJSON, **FILE_EXAMPLES}),
        **answer(
            {**ex.TASK, "kind": "siting", "params": {"k": 1, "method": "greedy"}},
            202,
            description="Large: a task to poll at Location",
        ),
    },
    openapi_extra=request_body({"k": 1, "method": "greedy"}),
)
def run_siting(
    run_id: IdPath,
    body: SitingIn,
    rt: RuntimeDep,
    format: JsonFirst = None,  # noqa: A002
    lang: LangQuery = "en",
    accept: AcceptHeader = None,
    prefer: PreferHeader = None,
) -> Response:
    """Where k new stations would newly cover the most elderly (existing stations kept).

    GeoJSON (``format=geojson`` or its Accept): the chosen sites as Points in pick order
    (``rank``, ``marginal_elderly``); the run-level figures are members of the collection.

    Candidates × demand points above ``COVERAGE_SYNC_SITING_PAIRS`` (2 million; the default
    candidates count as 200), or ``Prefer: respond-async``: 202 with a task to poll.
    """
    fmt = choose(accept, format, ALL, "json")
    pairs = tasks.siting_pairs(rt.read_sessions, run_id, body)
    if pairs > rt.settings.sync_siting_pairs or tasks.wants_async(prefer):
        return accepted(rt, tasks.SITING, run_id, body.model_dump(mode="json"))
    result = service.siting(rt.read_sessions, rt.networks, run_id, body)
    if fmt == "json":
        return json_answer(result, fmt)
    fc = gj.siting_collection(result)
    if fmt == "geojson":
        return json_answer(fc, fmt)
    return file_answer(fmt, tables.siting_table(fc), f"run-{run_id}-siting", lang)


@router.get(
    "/regions/{code}/latest",
    response_model=dict,
    summary="A region's figures from the latest finished run",
    responses=answer(ex.LATEST),
)
def region_latest(code: RegionCodePath, session: ReadSessionDep) -> dict[str, Any]:
    """The latest finished run's figures for a region, summed over its sub-regions when needed (404 if none)."""
    return service.region_figures(session, code)


@router.post(
    "/walk-times",
    response_model=WalkTimesOut,
    summary="Walking minutes from one point to each station along the street network",
    responses=answer(ex.WALK_TIMES),
)
async def walk_times(body: WalkTimesIn, rt: RuntimeDep, request: Request) -> WalkTimesOut:
    """Walking minutes from one person to each given station along the network.

    Bounded: 503 with Retry-After past ``COVERAGE_WALK_TIMES_BUDGET_S``; a caller that
    disconnects stops its search.
    """

    async def caller_gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    items = await service.walk_times(
        read_sessions=rt.read_sessions,
        cache=rt.networks,
        gate=rt.walks,
        body=body,
        caller_gone=caller_gone,
    )
    return WalkTimesOut.model_validate({"items": items})


# Long queries kept as jobs (api_tasks.py); one router keeps app.py's router list unchanged.
router.include_router(api_tasks.router)
