"""Registry routes: facility CRUD, history, snapshot, registry version, regions, bulk import/export.

Routes are thin: parse, call one flow in :mod:`registry`, :mod:`bulk` or :mod:`repository`,
commit, answer. Every route taking or returning coordinates accepts ``crs=wgs84|gcj02|bd09``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from services.common import idempotency
from services.common.context import current_request_id
from services.common.deps import IdentityDep, ReadSessionDep, SettingsDep, StateDep, WriteSessionDep
from services.common.errors import (
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from services.common.openapi_examples import keep_nulls
from services.common.responses import FastJSONResponse
from services.common.validation import MAX_INT
from services.facilities import api_regions, bulk, registry
from services.facilities import repository as repo
from services.facilities.examples import EXPORT_CSV_EXAMPLE, EXPORT_GEOJSON_EXAMPLE
from services.facilities.schemas import (
    FACILITY_EXAMPLE,
    REGION_CODE_PATTERN,
    AuditPage,
    Crs,
    FacilityIn,
    FacilityOut,
    FacilityPatch,
    FacilityType,
    ImportReport,
    RegistryVersion,
    Snapshot,
    Status,
)

router = APIRouter(prefix="/api/v1")

MAX_IMPORT_BYTES = 64 * 1024 * 1024  # a 100,000-row CSV is about 10 MB
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Forged or missing identity", **PROBLEM},
    403: {"description": "Role or region scope does not allow this write", **PROBLEM},
    409: {
        "description": "Likely duplicate (same name within 50 m) or external_id taken",
        **PROBLEM,
    },
    422: {"description": "Invalid field (problem+json `errors[].field`)", **PROBLEM},
}
CrsQuery = Annotated[
    Crs,
    Query(
        description="CRS of coordinates in and out: wgs84 (default), gcj02 (Amap/Tencent), "
        "bd09 (Baidu)."
    ),
]
ForceQuery = Annotated[
    bool, Query(description="Write even when a likely duplicate (same name within 50 m) exists.")
]
OutsideQuery = Annotated[
    bool,
    Query(
        description="Keep the declared region_code even if the point lies outside "
        "every loaded region of that city."
    ),
]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description='The ETag from GET, e.g. "3". Required.')
]
FacilityId = Annotated[int, Path(description="Facility id.", ge=1, le=MAX_INT)]
FACILITY_BODY_EXAMPLES = {
    "station": {"summary": "A community station in Yubei", "value": FACILITY_EXAMPLE}
}


def _facility_response(
    row: dict[str, Any], crs: str, status_code: int = 200, headers: dict[str, str] | None = None
) -> FastJSONResponse:
    return FastJSONResponse(
        registry.to_out(row, crs),
        status_code=status_code,
        headers={"ETag": registry.etag(row["version"]), **(headers or {})},
    )


def _actor(identity: Any, settings: Any) -> registry.Actor:
    return registry.actor_for(
        identity, require_identity=settings.require_identity, request_id=current_request_id()
    )


# --- facilities -------------------------------------------------------------------------------


@router.get(
    "/facilities/snapshot",
    summary="Every facility's id, type, status and position in one answer (for the services)",
    response_model=Snapshot,
    tags=["registry"],
    responses={304: {"description": "Unchanged since the ETag in If-None-Match"}},
)
def snapshot(
    session: ReadSessionDep,
    type: Annotated[
        str | None,
        Query(
            description="Comma-separated type slugs.", examples=["care_center,community_station"]
        ),
    ] = None,  # noqa: A002
    status: Annotated[
        str | None, Query(description="Comma-separated statuses.", examples=["active"])
    ] = None,
    region: Annotated[
        str | None,
        Query(pattern=REGION_CODE_PATTERN, description="Region code; includes descendants."),
    ] = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    """Every matching facility in one call, tagged with the registry version (for beds and coverage)."""
    types = bulk.split_slugs(type, "type")
    statuses = bulk.split_slugs(status, "status")
    version = repo.registry_version(session=session)
    tag = registry.etag(version)
    if if_none_match and tag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": tag})
    rows = repo.snapshot_rows(session=session, types=types, statuses=statuses, region=region)
    return FastJSONResponse({"registry_version": version, "items": rows}, headers={"ETag": tag})


@router.get(
    "/registry/version",
    summary="The registry version (changes on every write)",
    response_model=RegistryVersion,
    tags=["registry"],
)
def registry_version(session: ReadSessionDep) -> Response:
    """The registry version: it changes on every write to facilities or regions."""
    version = repo.registry_version(session=session)
    return FastJSONResponse({"registry_version": version}, headers={"ETag": registry.etag(version)})


@router.get(
    "/facilities/{facility_id:int}",
    summary="One facility: type, services, opening hours, status, position",
    response_model=FacilityOut,
    tags=["registry"],
    responses={404: {"description": "No such facility", **PROBLEM}},
)
def get_facility(
    facility_id: FacilityId,
    session: ReadSessionDep,
    crs: CrsQuery = "wgs84",
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    """One facility, with its version as ETag (304 when If-None-Match names it)."""
    row = registry.facility_or_404(session, facility_id)
    tag = registry.etag(row["version"])
    if if_none_match and tag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": tag})
    return _facility_response(row, crs)


@router.post(
    "/facilities",
    status_code=201,
    summary="Register a facility (officials, inside their region)",
    response_model=FacilityOut,
    tags=["registry"],
    responses=WRITE_RESPONSES,
)
def create_facility(
    body: Annotated[FacilityIn, Body(openapi_examples=FACILITY_BODY_EXAMPLES)],
    session: WriteSessionDep,
    settings: SettingsDep,
    identity: IdentityDep,
    state: StateDep,
    crs: CrsQuery = "wgs84",
    force: ForceQuery = False,
    allow_outside_region: OutsideQuery = False,
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> Response:
    """Register a facility; its region is derived from the point when regions are loaded."""
    actor = _actor(identity, settings)
    raw = body.model_dump(mode="json")
    digest = idempotency.request_digest(
        raw, {"crs": crs, "force": force, "allow_outside_region": allow_outside_region}
    )
    key = idempotency.scoped_key(actor.name, idempotency_key)

    def write() -> idempotency.Created:
        data = registry.validated_input(registry.to_wgs84_input(body.model_dump(), crs))
        row = registry.create_facility(
            session, data=data, actor=actor, force=force, allow_outside_region=allow_outside_region
        )
        headers = {
            "ETag": registry.etag(row["version"]),
            "Location": f"/api/v1/facilities/{row['id']}",
        }
        return idempotency.Created(registry.to_out(row, crs), headers)

    # IntegrityError: a concurrent writer took the same (source, external_id) or key first.
    return idempotency.create_once(
        session,
        state.read_sessions,
        repo.IDEMPOTENCY,
        key,
        digest,
        write,
        conflict="a concurrent write took the same external_id; GET it and retry",
    )


@router.patch(
    "/facilities/{facility_id:int}",
    summary="Change some fields of a facility (If-Match)",
    response_model=FacilityOut,
    tags=["registry"],
    responses={
        **WRITE_RESPONSES,
        412: {"description": "Stale If-Match", **PROBLEM},
        428: {"description": "If-Match missing", **PROBLEM},
    },
)
def patch_facility(
    facility_id: FacilityId,
    body: Annotated[
        FacilityPatch, Body(openapi_examples={"suspend": {"value": {"status": "suspended"}}})
    ],
    session: WriteSessionDep,
    settings: SettingsDep,
    identity: IdentityDep,
    if_match: IfMatch = None,
    crs: CrsQuery = "wgs84",
    force: ForceQuery = False,
    allow_outside_region: OutsideQuery = False,
) -> Response:
    """Change some fields (only those sent) of a facility at the version named by If-Match."""
    return _update(
        session,
        facility_id=facility_id,
        fields=body.model_dump(exclude_unset=True),
        replace=False,
        actor=_actor(identity, settings),
        if_match=if_match,
        crs=crs,
        force=force,
        allow_outside_region=allow_outside_region,
    )


@router.put(
    "/facilities/{facility_id:int}",
    summary="Replace a facility's record (If-Match)",
    response_model=FacilityOut,
    tags=["registry"],
    responses={
        **WRITE_RESPONSES,
        412: {"description": "Stale If-Match", **PROBLEM},
        428: {"description": "If-Match missing", **PROBLEM},
    },
)
def put_facility(
    facility_id: FacilityId,
    body: Annotated[FacilityIn, Body(openapi_examples=FACILITY_BODY_EXAMPLES)],
    session: WriteSessionDep,
    settings: SettingsDep,
    identity: IdentityDep,
    if_match: IfMatch = None,
    crs: CrsQuery = "wgs84",
    force: ForceQuery = False,
    allow_outside_region: OutsideQuery = False,
) -> Response:
    """Replace a facility (fields left out take their defaults) at the version named by If-Match."""
    return _update(
        session,
        facility_id=facility_id,
        fields=body.model_dump(),
        replace=True,
        actor=_actor(identity, settings),
        if_match=if_match,
        crs=crs,
        force=force,
        allow_outside_region=allow_outside_region,
    )


def _update(
    session: Any,
    *,
    facility_id: int,
    fields: dict[str, Any],
    replace: bool,
    actor: registry.Actor,
    if_match: str | None,
    crs: str,
    force: bool,
    allow_outside_region: bool,
) -> Response:
    """PATCH and PUT alike: check If-Match, convert coordinates, write, commit, answer."""
    row = registry.update_facility(
        session,
        facility_id=facility_id,
        expected_version=registry.parse_if_match(if_match),
        changes=registry.to_wgs84_input(fields, crs),
        actor=actor,
        replace=replace,
        force=force,
        allow_outside_region=allow_outside_region,
    )
    session.commit()
    return _facility_response(row, crs)


@router.delete(
    "/facilities/{facility_id:int}",
    status_code=204,
    summary="Remove a facility (If-Match)",
    tags=["registry"],
    responses={
        **WRITE_RESPONSES,
        412: {"description": "Stale If-Match", **PROBLEM},
        428: {"description": "If-Match missing", **PROBLEM},
    },
)
def delete_facility(
    facility_id: FacilityId,
    session: WriteSessionDep,
    settings: SettingsDep,
    identity: IdentityDep,
    if_match: IfMatch = None,
) -> Response:
    """Delete a facility (its audit history stays readable). Prefer status=closed for real closures."""
    expected = registry.parse_if_match(if_match)
    registry.delete_facility(
        session,
        facility_id=facility_id,
        expected_version=expected,
        actor=_actor(identity, settings),
    )
    session.commit()
    return Response(status_code=204)


@router.get(
    "/facilities/{facility_id:int}/history",
    summary="Every change to a facility: who, when, before and after",
    response_model=AuditPage,
    tags=["registry"],
)
def facility_history(facility_id: FacilityId, session: ReadSessionDep) -> Response:
    """Every change to a facility, oldest first: who, when, before and after (404 if never existed)."""
    items = repo.audit_for(session=session, facility_id=facility_id)
    if not items:
        raise NotFound(f"facility {facility_id} has no history (it never existed)")
    return FastJSONResponse({"items": [registry.history_entry(i) for i in items]})


# --- bulk -------------------------------------------------------------------------------------


@router.post(
    "/facilities/import",
    summary="Import facilities from CSV or GeoJSON (all or nothing)",
    response_model=ImportReport,
    tags=["bulk"],
    responses={
        422: {
            "description": "Rows rejected (nothing written); `errors` names each row and field",
            **PROBLEM,
        },
        413: {"description": "Body too large", **PROBLEM},
    },
)
async def import_facilities(
    request: Request,
    state: StateDep,
    settings: SettingsDep,
    identity: IdentityDep,
    format: Annotated[
        bulk.Format | None, Query(description="csv or geojson; default from Content-Type.")
    ] = None,  # noqa: A002
    dry_run: Annotated[bool, Query(description="Validate and count, write nothing.")] = False,
    source: Annotated[
        str, Query(min_length=1, max_length=64, description="Source for rows without one.")
    ] = "registry",
    crs: CrsQuery = "wgs84",
    allow_outside_region: OutsideQuery = False,
) -> Response:
    """Import CSV or GeoJSON: all rows validated first, all-or-nothing, upsert by (source, external_id)."""
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"import body is {len(body)} bytes; the limit is {MAX_IMPORT_BYTES}")
    fmt = format or bulk.format_from_content_type(request.headers.get("content-type", ""))
    if fmt is None:
        raise UnsupportedMediaType(
            "send text/csv or application/geo+json, or pass format=csv|geojson"
        )
    actor = _actor(identity, settings)
    options = bulk.ImportOptions(
        dry_run=dry_run, default_source=source, crs=crs, allow_outside_region=allow_outside_region
    )

    def run() -> dict[str, Any]:
        with state.write_sessions() as session:
            report = bulk.import_facilities(
                session, bulk.decode(body), fmt, options=options, actor=actor
            )
            session.commit()
            return report

    report = await run_in_threadpool(run)
    return FastJSONResponse(report)


@router.get(
    "/facilities/export",
    summary="Export facilities as CSV (the import's columns) or GeoJSON",
    tags=["bulk"],
    responses={
        200: {
            "content": {
                "text/csv": {"example": EXPORT_CSV_EXAMPLE},
                "application/geo+json": {"example": keep_nulls(EXPORT_GEOJSON_EXAMPLE)},
            }
        }
    },
)
def export_facilities(
    state: StateDep,
    format: Annotated[bulk.Format, Query(description="csv or geojson.")] = "csv",  # noqa: A002
    type: Annotated[str | None, Query(description="Comma-separated type slugs.")] = None,  # noqa: A002
    status: Annotated[str | None, Query(description="Comma-separated statuses.")] = None,
    region: Annotated[
        str | None, Query(pattern=REGION_CODE_PATTERN, description="Includes descendants.")
    ] = None,
    crs: CrsQuery = "wgs84",
) -> StreamingResponse:
    """Stream every matching facility as CSV (import columns) or a GeoJSON FeatureCollection."""
    types = bulk.split_slugs(type, "type")
    statuses = bulk.split_slugs(status, "status")
    chunks = bulk.export_chunks(
        state.read_sessions,
        fmt=format,
        types=types,
        statuses=statuses,
        region=region,
        crs=crs,
        bom=True,  # a download people open in Excel
    )
    media = "text/csv; charset=utf-8" if format == "csv" else "application/geo+json"
    filename = f"facilities.{'csv' if format == 'csv' else 'geojson'}"
    return StreamingResponse(
        chunks,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Region routes live in api_regions.py; one router keeps app.py's router list unchanged.
router.include_router(api_regions.router)


__all__ = ["router", "FacilityType", "Status"]
