"""Region routes: one region, lists by level/parent/ancestor, children, descendants, lookup, import.

Thin like :mod:`api`; boundaries come back as GeoJSON in the CRS asked for.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from services.common.deps import IdentityDep, ReadSessionDep, SettingsDep, StateDep
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.responses import FastJSONResponse
from services.facilities import bulk, bulk_regions, registry
from services.facilities import crs as crs_mod
from services.facilities import repository as repo
from services.facilities.regions import (
    covering_codes,
    deepest,
    geometry_to_geojson,
    transform_geometry,
)
from services.facilities.schemas import (
    REGION_CODE_PATTERN,
    Crs,
    RegionImportReport,
    RegionLevel,
    RegionList,
    RegionOut,
    RegionPage,
)

router = APIRouter()  # included by api.router, which adds /api/v1

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
CrsQuery = Annotated[
    Crs, Query(description="CRS of coordinates in and out: wgs84 (default), gcj02, bd09.")
]
RegionCodePath = Annotated[
    str,
    Path(
        pattern=REGION_CODE_PATTERN,
        description="12-digit division code.",
        examples=["500112000000"],
    ),
]


def _actor(identity: Any, settings: Any) -> registry.Actor:
    from services.common.context import current_request_id

    return registry.actor_for(
        identity, require_identity=settings.require_identity, request_id=current_request_id()
    )


# --- regions ----------------------------------------------------------------------------------


def _region_out(row: dict[str, Any], crs: str, with_geometry: bool) -> dict[str, Any]:
    out = {k: row.get(k) for k in RegionOut.model_fields if k != "geometry"}
    if with_geometry:
        geom = row.get("geom")
        out["geometry"] = (
            geometry_to_geojson(transform_geometry(geom, to_crs=crs)) if geom is not None else None
        )
    return out


def _encode_cursor(code: str) -> str:
    return base64.urlsafe_b64encode(code.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        code = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this service issued", field="cursor") from None
    if not (code.isascii() and code.isdigit()):
        raise InvalidInput("cursor is not one this service issued", field="cursor")
    return code


@router.get(
    "/regions",
    summary="Regions by level, parent or ancestor",
    response_model=RegionPage,
    tags=["regions"],
)
def list_regions(
    session: ReadSessionDep,
    level: RegionLevel | None = None,
    parent: Annotated[
        str | None, Query(pattern=REGION_CODE_PATTERN, description="Direct children of this code.")
    ] = None,
    within: Annotated[
        str | None, Query(pattern=REGION_CODE_PATTERN, description="All descendants of this code.")
    ] = None,
    geometry: Annotated[bool, Query(description="Include GeoJSON boundaries.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    crs: CrsQuery = "wgs84",
) -> Response:
    """Regions by level / parent / ancestor, in code order, paged by cursor."""
    after = _decode_cursor(cursor) if cursor else None
    rows = repo.list_regions(
        session=session,
        level=level,
        parent=parent,
        within=within,
        after_code=after,
        limit=limit + 1,
        with_geometry=geometry,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode_cursor(rows[-1]["code"]) if more else None
    return FastJSONResponse(
        {"items": [_region_out(r, crs, geometry) for r in rows], "next_cursor": next_cursor}
    )


@router.get(
    "/regions/lookup",
    summary="The deepest region containing a point",
    response_model=RegionOut,
    tags=["regions"],
    responses={404: {"description": "No loaded region contains the point", **PROBLEM}},
)
def lookup_region(
    session: ReadSessionDep,
    lon: Annotated[float, Query(ge=-180, le=180, examples=[106.533])],
    lat: Annotated[float, Query(ge=-90, le=90, examples=[29.601])],
    crs: CrsQuery = "wgs84",
    geometry: bool = False,
) -> Response:
    """The deepest loaded region whose boundary contains the point."""
    wlon, wlat = crs_mod.point_to_wgs84(lon, lat, crs)
    candidates = repo.regions_at_point(session=session, lon=wlon, lat=wlat)
    exact = [(c, lvl) for c, lvl, g in candidates if g is None] + covering_codes(
        wlon, wlat, [(c, lvl, g) for c, lvl, g in candidates if g is not None]
    )
    code = deepest(exact)
    if code is None:
        raise NotFound(f"no loaded region contains ({lon}, {lat}) [{crs}]")
    row = repo.get_region(session=session, code=code, with_geometry=geometry)
    assert row is not None
    return FastJSONResponse(_region_out(row, crs, geometry))


@router.get(
    "/regions/{code}",
    summary="One region with its population and elderly counts",
    response_model=RegionOut,
    tags=["regions"],
    responses={404: {"description": "Unknown code", **PROBLEM}},
)
def get_region(
    session: ReadSessionDep, code: RegionCodePath, geometry: bool = False, crs: CrsQuery = "wgs84"
) -> Response:
    """One region; `geometry=true` adds its GeoJSON boundary."""
    row = repo.get_region(session=session, code=code, with_geometry=geometry)
    if row is None:
        raise NotFound(f"region {code} is not loaded")
    return FastJSONResponse(_region_out(row, crs, geometry))


@router.get(
    "/regions/{code}/children",
    summary="The regions directly below a region",
    response_model=RegionList,
    tags=["regions"],
)
def region_children(
    session: ReadSessionDep, code: RegionCodePath, geometry: bool = False, crs: CrsQuery = "wgs84"
) -> Response:
    """The regions directly below one region."""
    if repo.get_region(session=session, code=code) is None:
        raise NotFound(f"region {code} is not loaded")
    rows = repo.children(session=session, code=code, with_geometry=geometry)
    return FastJSONResponse({"items": [_region_out(r, crs, geometry) for r in rows]})


@router.get(
    "/regions/{code}/descendants",
    summary="Every region below a region",
    response_model=RegionList,
    tags=["regions"],
)
def region_descendants(
    session: ReadSessionDep, code: RegionCodePath, geometry: bool = False, crs: CrsQuery = "wgs84"
) -> Response:
    """Every region below one region (not itself), in code order."""
    if repo.get_region(session=session, code=code) is None:
        raise NotFound(f"region {code} is not loaded")
    rows = repo.descendants(session=session, code=code, with_geometry=geometry)
    return FastJSONResponse({"items": [_region_out(r, crs, geometry) for r in rows]})


@router.post(
    "/regions/import",
    summary="Import region boundaries and population (admin; all or nothing)",
    response_model=RegionImportReport,
    tags=["regions", "bulk"],
    responses={422: {"description": "Features rejected (nothing written)", **PROBLEM}},
)
async def import_regions(
    request: Request,
    state: StateDep,
    settings: SettingsDep,
    identity: IdentityDep,
    dry_run: bool = False,
    crs: CrsQuery = "wgs84",
) -> Response:
    """Import regions from GeoJSON (or CSV without boundaries); upsert by code, all-or-nothing."""
    body = await request.body()
    fmt = bulk.format_from_content_type(request.headers.get("content-type", "")) or "geojson"
    actor = _actor(identity, settings)
    if actor.identity is not None and actor.identity.role != "admin":
        raise Forbidden("only admins can import regions", reason="role")

    def run() -> dict[str, Any]:
        with state.write_sessions() as session:
            report = bulk_regions.import_regions(
                session, bulk.decode(body), fmt, dry_run=dry_run, crs=crs
            )
            session.commit()
            return report

    return FastJSONResponse(await run_in_threadpool(run))
