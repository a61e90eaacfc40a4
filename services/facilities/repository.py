"""All SQL of the registry's writes (and the reads they need), on SQLite and PostGIS.

Functions take a ``Session`` keyword-only and never commit: the caller owns the
transaction, so a facility change, its audit row and the registry-version bump land
together or not at all. Rows come back as plain dicts (``_row``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from services.common.idempotency import IDEMPOTENCY_TTL_S as IDEMPOTENCY_TTL_S
from services.common.identity import region_prefix
from services.common.locks import advisory_lock as advisory_lock
from services.facilities.models import (
    Facility,
    FacilityAudit,
    IdempotencyRecord,
    Region,
    RegistryState,
)

FACILITIES = cast(Table, Facility.__table__)
REGIONS = cast(Table, Region.__table__)
AUDIT = cast(Table, FacilityAudit.__table__)
# Answers to POSTs with an Idempotency-Key, read and written by services.common.idempotency.
# IDEMPOTENCY_TTL_S and advisory_lock (services.common.locks) are imported above for our callers.
IDEMPOTENCY = cast(Table, IdempotencyRecord.__table__)
STATE = cast(Table, RegistryState.__table__)

# Columns a facility dict carries (geog and name_normalized are derived, not exposed).
FACILITY_COLUMNS = [c for c in FACILITIES.c if c.name != "geog"]
REGION_COLUMNS = [c for c in REGIONS.c if c.name not in ("geom",)]
METERS_PER_DEGREE_LAT = 111_320.0


def now_utc() -> datetime:
    return datetime.now(UTC)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _row(mapping: Any) -> dict[str, Any]:
    return dict(mapping._mapping) if hasattr(mapping, "_mapping") else dict(mapping)


# --- registry version -------------------------------------------------------------------------


def registry_version(*, session: Session) -> int:
    value = session.execute(select(STATE.c.version).where(STATE.c.id == 1)).scalar_one_or_none()
    return int(value or 0)


#: Set in a session's ``info`` by a registry write; its commit refreshes the nearby index.
REGISTRY_BUMPED = "carecircle_registry_bumped"


def bump_registry_version(*, session: Session) -> int:
    """Increment the one registry counter in the caller's transaction; returns the new value.

    On PostgreSQL the UPDATE takes the row lock, so concurrent writers serialise here
    and every committed write sees a distinct version. The session is marked so that
    its commit tells this process's nearby index (``nearby_snapshots``) at once.
    """
    session.info[REGISTRY_BUMPED] = True
    result = session.execute(
        update(STATE)
        .where(STATE.c.id == 1)
        .values(version=STATE.c.version + 1)
        .returning(STATE.c.version)
    ).scalar_one_or_none()
    if result is None:  # the migration seeds the row; recreate it if someone deleted it
        session.execute(insert(STATE).values(id=1, version=1))
        return 1
    return int(result)


# --- facilities -------------------------------------------------------------------------------


def get_facility(
    *, session: Session, facility_id: int, for_update: bool = False
) -> dict[str, Any] | None:
    stmt = select(*FACILITY_COLUMNS).where(FACILITIES.c.id == facility_id)
    if for_update and is_postgres(session):
        stmt = stmt.with_for_update()
    row = session.execute(stmt).first()
    return _row(row) if row else None


def get_by_external_id(*, session: Session, source: str, external_id: str) -> dict[str, Any] | None:
    row = session.execute(
        select(*FACILITY_COLUMNS).where(
            FACILITIES.c.source == source, FACILITIES.c.external_id == external_id
        )
    ).first()
    return _row(row) if row else None


def facility_exists(*, session: Session, facility_id: int) -> bool:
    return (
        session.execute(select(FACILITIES.c.id).where(FACILITIES.c.id == facility_id)).first()
        is not None
    )


def count_stations_of(*, session: Session, center_id: int) -> int:
    return int(
        session.execute(
            select(func.count()).where(FACILITIES.c.center_id == center_id)
        ).scalar_one()
    )


def same_name_near(
    *,
    session: Session,
    name_normalized: str,
    lon: float,
    lat: float,
    radius_m: float,
    exclude_id: int | None = None,
) -> list[dict[str, Any]]:
    """Facilities with this normalized name inside a degree box around the point (exact check is the caller's).

    The box is a few meters wider than ``radius_m`` in both directions, so the exact
    great-circle test afterwards can only remove candidates, never miss one.
    """
    dlat = (radius_m + 10) / METERS_PER_DEGREE_LAT
    dlon = dlat / max(math.cos(math.radians(min(abs(lat), 89.0))), 1e-6)
    stmt = select(*FACILITY_COLUMNS).where(
        FACILITIES.c.name_normalized == name_normalized,
        FACILITIES.c.lon.between(lon - dlon, lon + dlon),
        FACILITIES.c.lat.between(lat - dlat, lat + dlat),
    )
    if exclude_id is not None:
        stmt = stmt.where(FACILITIES.c.id != exclude_id)
    return [_row(r) for r in session.execute(stmt)]


def insert_facility(*, session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Insert one facility (``values`` already validated and normalized); returns the stored row."""
    stamp = now_utc()
    row = {
        **values,
        "geog": shapely.Point(values["lon"], values["lat"]),
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
    }
    new_id = session.execute(
        insert(FACILITIES).values(**row).returning(FACILITIES.c.id)
    ).scalar_one()
    stored = get_facility(session=session, facility_id=int(new_id))
    assert stored is not None
    return stored


def update_facility(
    *, session: Session, facility_id: int, expected_version: int, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Compare-and-set: change the row only if it is still at ``expected_version``.

    Returns the new row, or None when another writer got there first (the caller answers 412).
    On PostgreSQL a concurrent UPDATE of the same row waits for the first to commit and then
    re-checks ``version``, so exactly one of two racing writers succeeds.
    """
    changes = dict(values)
    if "lon" in changes or "lat" in changes:
        changes["geog"] = shapely.Point(changes["lon"], changes["lat"])
    changes["updated_at"] = now_utc()
    changes["version"] = FACILITIES.c.version + 1
    result = cast(
        CursorResult[Any],
        session.execute(
            update(FACILITIES)
            .where(FACILITIES.c.id == facility_id, FACILITIES.c.version == expected_version)
            .values(**changes)
        ),
    )
    if result.rowcount != 1:
        return None
    return get_facility(session=session, facility_id=facility_id)


def delete_facility(*, session: Session, facility_id: int, expected_version: int) -> bool:
    result = cast(
        CursorResult[Any],
        session.execute(
            delete(FACILITIES).where(
                FACILITIES.c.id == facility_id, FACILITIES.c.version == expected_version
            )
        ),
    )
    return bool(result.rowcount == 1)


def snapshot_rows(
    *,
    session: Session,
    types: Sequence[str] = (),
    statuses: Sequence[str] = (),
    region: str | None = None,
) -> list[dict[str, Any]]:
    """The compact facility list the beds and coverage services cache (one query, ordered by id)."""
    cols = [
        FACILITIES.c[name]
        for name in (
            "id",
            "external_id",
            "name",
            "type",
            "status",
            "lon",
            "lat",
            "capacity",
            "region_code",
            "operation_mode",
            "star_rating",
            "center_id",
        )
    ]
    stmt = select(*cols).order_by(FACILITIES.c.id)
    if types:
        stmt = stmt.where(FACILITIES.c.type.in_(list(types)))
    if statuses:
        stmt = stmt.where(FACILITIES.c.status.in_(list(statuses)))
    if region:
        stmt = stmt.where(FACILITIES.c.region_code.like(region_prefix(region) + "%"))
    return [_row(r) for r in session.execute(stmt)]


def iter_facilities(
    *,
    session: Session,
    types: Sequence[str] = (),
    statuses: Sequence[str] = (),
    region: str | None = None,
    batch: int = 2000,
) -> Iterator[list[dict[str, Any]]]:
    """Every matching facility in id order, ``batch`` rows at a time (keyset paging, for streaming export)."""
    last_id = 0
    while True:
        stmt = (
            select(*FACILITY_COLUMNS)
            .where(FACILITIES.c.id > last_id)
            .order_by(FACILITIES.c.id)
            .limit(batch)
        )
        if types:
            stmt = stmt.where(FACILITIES.c.type.in_(list(types)))
        if statuses:
            stmt = stmt.where(FACILITIES.c.status.in_(list(statuses)))
        if region:
            stmt = stmt.where(FACILITIES.c.region_code.like(region_prefix(region) + "%"))
        rows = [_row(r) for r in session.execute(stmt)]
        if not rows:
            return
        yield rows
        last_id = rows[-1]["id"]


def external_ids(
    *, session: Session, source_keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Existing rows for ``(source, external_id)`` pairs (the upsert key of bulk imports)."""
    keys = list(source_keys)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    by_source: dict[str, list[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, []).append(external_id)
    for source, ids in by_source.items():
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            stmt = select(*FACILITY_COLUMNS).where(
                FACILITIES.c.source == source, FACILITIES.c.external_id.in_(chunk)
            )
            for row in session.execute(stmt):
                r = _row(row)
                out[(source, r["external_id"])] = r
    return out


def ids_for_keys(
    *, session: Session, source_keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """``{(source, external_id): id}`` for the given keys (only the three narrow columns are read)."""
    by_source: dict[str, list[str]] = {}
    for source, external_id in source_keys:
        by_source.setdefault(source, []).append(external_id)
    out: dict[tuple[str, str], int] = {}
    for source, ids in by_source.items():
        for start in range(0, len(ids), 5000):
            stmt = select(FACILITIES.c.external_id, FACILITIES.c.id).where(
                FACILITIES.c.source == source,
                FACILITIES.c.external_id.in_(ids[start : start + 5000]),
            )
            out.update({(source, r.external_id): r.id for r in session.execute(stmt)})
    return out


def existing_ids(*, session: Session, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    found: set[int] = set()
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        found.update(
            session.execute(select(FACILITIES.c.id).where(FACILITIES.c.id.in_(chunk))).scalars()
        )
    return found


def bulk_insert_facilities(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many facilities by executemany (psycopg pipelines it; no RETURNING, which is 3x slower there).

    Callers that need the new ids read them back by their (source, external_id) key.
    """
    if not rows:
        return
    stamp = now_utc()
    payload = [
        {
            **r,
            "geog": shapely.Point(r["lon"], r["lat"]),
            "created_at": stamp,
            "updated_at": stamp,
            "version": 1,
        }
        for r in rows
    ]
    for start in range(0, len(payload), 10_000):
        session.execute(insert(FACILITIES), payload[start : start + 10_000])


def bulk_update_facilities(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Update many facilities by id in one executemany (each row: ``id`` plus new values); bumps versions."""
    if not rows:
        return
    stamp = now_utc()
    columns = [k for k in rows[0] if k != "id"]
    values: dict[str, Any] = {c: bindparam(f"b_{c}", type_=FACILITIES.c[c].type) for c in columns}
    values |= {
        "geog": bindparam("b_geog", type_=FACILITIES.c.geog.type),
        "updated_at": stamp,
        "version": FACILITIES.c.version + 1,
    }
    stmt = update(FACILITIES).where(FACILITIES.c.id == bindparam("b_id")).values(values)
    params = [
        {
            "b_id": r["id"],
            "b_geog": shapely.Point(r["lon"], r["lat"]),
            **{f"b_{c}": r[c] for c in columns},
        }
        for r in rows
    ]
    for start in range(0, len(params), 10_000):
        session.execute(stmt, params[start : start + 10_000])


# --- audit ------------------------------------------------------------------------------------


def add_audit(
    *,
    session: Session,
    facility_id: int,
    action: str,
    actor: str,
    request_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.execute(
        insert(AUDIT).values(
            facility_id=facility_id,
            action=action,
            actor=actor,
            request_id=request_id,
            at=now_utc(),
            before=before,
            after=after,
        )
    )


def add_audits(*, session: Session, entries: Sequence[dict[str, Any]]) -> None:
    if entries:
        stamp = now_utc()
        session.execute(insert(AUDIT), [{**e, "at": stamp} for e in entries])


def audit_for(*, session: Session, facility_id: int, limit: int = 1000) -> list[dict[str, Any]]:
    stmt = select(AUDIT).where(AUDIT.c.facility_id == facility_id).order_by(AUDIT.c.id).limit(limit)
    return [_row(r) for r in session.execute(stmt)]


# --- regions ----------------------------------------------------------------------------------


def get_region(
    *, session: Session, code: str, with_geometry: bool = False
) -> dict[str, Any] | None:
    cols = list(REGION_COLUMNS) + ([REGIONS.c.geom] if with_geometry else [])
    row = session.execute(select(*cols).where(REGIONS.c.code == code)).first()
    return _row(row) if row else None


def list_regions(
    *,
    session: Session,
    level: str | None = None,
    parent: str | None = None,
    within: str | None = None,
    after_code: str | None = None,
    limit: int = 100,
    with_geometry: bool = False,
) -> list[dict[str, Any]]:
    cols = list(REGION_COLUMNS) + ([REGIONS.c.geom] if with_geometry else [])
    stmt = select(*cols).order_by(REGIONS.c.code).limit(limit)
    if level:
        stmt = stmt.where(REGIONS.c.level == level)
    if parent:
        stmt = stmt.where(REGIONS.c.parent_code == parent)
    if within:
        codes = descendant_codes(session=session, code=within)
        stmt = stmt.where(REGIONS.c.code.in_(codes or [""]))
    if after_code:
        stmt = stmt.where(REGIONS.c.code > after_code)
    return [_row(r) for r in session.execute(stmt)]


def children(*, session: Session, code: str, with_geometry: bool = False) -> list[dict[str, Any]]:
    cols = list(REGION_COLUMNS) + ([REGIONS.c.geom] if with_geometry else [])
    stmt = select(*cols).where(REGIONS.c.parent_code == code).order_by(REGIONS.c.code)
    return [_row(r) for r in session.execute(stmt)]


def descendant_codes(*, session: Session, code: str) -> list[str]:
    """Every region below ``code`` by the stored parent links (recursive CTE; ``code`` excluded)."""
    tree = select(REGIONS.c.code).where(REGIONS.c.parent_code == code).cte("tree", recursive=True)
    tree = tree.union_all(select(REGIONS.c.code).join(tree, REGIONS.c.parent_code == tree.c.code))
    return list(session.execute(select(tree.c.code).order_by(tree.c.code)).scalars())


def descendants(
    *, session: Session, code: str, with_geometry: bool = False
) -> list[dict[str, Any]]:
    codes = descendant_codes(session=session, code=code)
    cols = list(REGION_COLUMNS) + ([REGIONS.c.geom] if with_geometry else [])
    out: list[dict[str, Any]] = []
    for start in range(0, len(codes), 5000):
        stmt = (
            select(*cols)
            .where(REGIONS.c.code.in_(codes[start : start + 5000]))
            .order_by(REGIONS.c.code)
        )
        out.extend(_row(r) for r in session.execute(stmt))
    return out


def regions_at_point(
    *, session: Session, lon: float, lat: float
) -> list[tuple[str, str, BaseGeometry | None]]:
    """Regions whose polygon covers the point, as ``(code, level, geometry-or-None)``.

    PostGIS answers with ``ST_Covers`` on the GiST-indexed column (geometry None: already exact).
    SQLite returns R*Tree bounding-box candidates with their polygons, for an exact shapely test.
    """
    if is_postgres(session):
        rows = session.execute(
            text(
                "SELECT code, level FROM regions WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
            ),
            {"lon": lon, "lat": lat},
        )
        return [(r.code, r.level, None) for r in rows]
    rows = session.execute(
        select(REGIONS.c.code, REGIONS.c.level, REGIONS.c.geom).where(
            REGIONS.c.code_int.in_(
                text(
                    "SELECT id FROM rtree_regions WHERE min_x <= :lon AND max_x >= :lon "
                    "AND min_y <= :lat AND max_y >= :lat"
                ).bindparams(lon=lon, lat=lat)
            )
        )
    )
    return [(r.code, r.level, r.geom) for r in rows]


def has_region_geometry(*, session: Session, prefix: str = "") -> bool:
    stmt = select(REGIONS.c.code).where(REGIONS.c.geom.is_not(None))
    if prefix:
        stmt = stmt.where(REGIONS.c.code.like(prefix + "%"))
    return session.execute(stmt.limit(1)).first() is not None


def regions_with_geometry(*, session: Session) -> list[tuple[str, str, BaseGeometry]]:
    rows = session.execute(
        select(REGIONS.c.code, REGIONS.c.level, REGIONS.c.geom).where(REGIONS.c.geom.is_not(None))
    )
    return [(r.code, r.level, r.geom) for r in rows]


def existing_region_codes(*, session: Session, codes: Iterable[str]) -> set[str]:
    wanted = sorted(set(codes))
    found: set[str] = set()
    for start in range(0, len(wanted), 5000):
        found.update(
            session.execute(
                select(REGIONS.c.code).where(REGIONS.c.code.in_(wanted[start : start + 5000]))
            ).scalars()
        )
    return found


def upsert_regions(*, session: Session, rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """Insert or replace regions by code; returns (created, updated).

    Each row: the RegionIn fields plus ``geom`` (shapely MultiPolygon or None). The bbox
    columns feed SQLite's R*Tree through the triggers of the migration.
    """
    existing = existing_region_codes(session=session, codes=[r["code"] for r in rows])
    stamp = now_utc()
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for r in rows:
        geom = r.get("geom")
        bounds = geom.bounds if geom is not None else (None, None, None, None)
        full = {
            **r,
            "code_int": int(r["code"]),
            "min_lon": bounds[0],
            "min_lat": bounds[1],
            "max_lon": bounds[2],
            "max_lat": bounds[3],
            "updated_at": stamp,
        }
        (changed if r["code"] in existing else new_rows).append(full)
    if new_rows:
        session.execute(insert(REGIONS), new_rows)
    for row in changed:
        values = {k: v for k, v in row.items() if k != "code"}
        session.execute(update(REGIONS).where(REGIONS.c.code == row["code"]).values(**values))
    return len(new_rows), len(changed)


def set_region_figures(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Set population figures (and their source) of existing regions; other columns stay."""
    stamp = now_utc()
    for row in rows:
        values = {k: v for k, v in row.items() if k != "code"}
        session.execute(
            update(REGIONS).where(REGIONS.c.code == row["code"]).values(**values, updated_at=stamp)
        )


def region_levels(*, session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 5000):
        stmt = select(REGIONS.c.code, REGIONS.c.level).where(
            REGIONS.c.code.in_(wanted[start : start + 5000])
        )
        out.update({r.code: r.level for r in session.execute(stmt)})
    return out
