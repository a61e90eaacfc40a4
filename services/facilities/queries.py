"""Read-only SQL for list/search, bounding box and nearby, on SQLite and PostGIS.

Only reads live here (``repository.py`` owns every write). Statements are raw SQL
with typed result columns (``text().columns``) so each engine gets the plan it
needs — PostGIS: ``ORDER BY geog <-> point`` on the GiST index; SQLite: the
R*Tree ``rtree_facilities`` drives the join — while JSON and timestamps still
come back as Python values. Exact ordering and distances are decided in
:mod:`services.facilities.nearby`, never by the database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from services.common.identity import region_prefix
from services.facilities import nearby as ranking
from services.facilities import rtree_lanes
from services.facilities.models import Facility, Region
from services.facilities.normalize import normalize_name
from services.facilities.schemas import FACILITY_TYPES

FACILITY = Facility.__table__.c
# The columns of FacilityOut, in order (``geog``/``name_normalized``/``services_mask`` stay in the DB).
FACILITY_COLUMNS = (
    FACILITY.id,
    FACILITY.external_id,
    FACILITY.source,
    FACILITY.name,
    FACILITY.type,
    FACILITY.services,
    FACILITY.operation_mode,
    FACILITY.operator,
    FACILITY.star_rating,
    FACILITY.status,
    FACILITY.capacity,
    FACILITY.opening_hours,
    FACILITY.phone,
    FACILITY.address,
    FACILITY.lon,
    FACILITY.lat,
    FACILITY.region_code,
    FACILITY.center_id,
    FACILITY.verified_on,
    FACILITY.created_at,
    FACILITY.updated_at,
    FACILITY.version,
)
SELECT_LIST = ", ".join(f"f.{c.name}" for c in FACILITY_COLUMNS)


@dataclass(frozen=True)
class FacilityFilter:
    """Conditions every query here understands (all optional; WGS84 for ``bbox``)."""

    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    services_mask: int = 0
    min_stars: int | None = None
    region: str | None = None
    q: str | None = None
    external_ids: tuple[str, ...] = ()  # any of these (a batch lookup by the beds service)
    source: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat


@dataclass
class SqlParts:
    where: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    expanding: list[str] = field(default_factory=list)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def where_sql(filters: FacilityFilter, pg: bool) -> SqlParts:
    sql = SqlParts()
    if filters.types:
        sql.where.append("f.type IN :types")
        sql.params["types"] = list(filters.types)
        sql.expanding.append("types")
    if filters.statuses:
        sql.where.append("f.status IN :statuses")
        sql.params["statuses"] = list(filters.statuses)
        sql.expanding.append("statuses")
    if filters.services_mask:
        sql.where.append("(f.services_mask & :smask) = :smask")
        sql.params["smask"] = filters.services_mask
    if filters.min_stars is not None:
        sql.where.append("f.star_rating >= :min_stars")
        sql.params["min_stars"] = filters.min_stars
    if filters.region:
        prefix = region_prefix(filters.region)
        if len(prefix) == 12:
            sql.where.append("f.region_code = :region")
            sql.params["region"] = prefix
        else:
            sql.where.append("f.region_code LIKE :region")
            sql.params["region"] = prefix + "%"
    if filters.q:
        # The name as written, or its normalized key (full-width/half-width, spaces and
        # punctuation ignored), so "龙溪 (社区)" finds "龙溪（社区）".
        like = "ILIKE" if pg else "LIKE"
        key = normalize_name(filters.q)
        if key:
            sql.where.append(
                f"(f.name {like} :q ESCAPE '\\' OR f.name_normalized LIKE :qn ESCAPE '\\')"
            )
            sql.params["qn"] = f"%{_escape_like(key)}%"
        else:
            sql.where.append(f"f.name {like} :q ESCAPE '\\'")
        sql.params["q"] = f"%{_escape_like(filters.q)}%"
    if filters.external_ids:
        sql.where.append("f.external_id IN :external_ids")
        sql.params["external_ids"] = list(filters.external_ids)
        sql.expanding.append("external_ids")
    if filters.source is not None:
        sql.where.append("f.source = :source")
        sql.params["source"] = filters.source
    if filters.bbox is not None:
        _bbox_sql(sql, filters.bbox, filters.types, pg)
    return sql


def _escape_like(text_: str) -> str:
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _bbox_sql(
    sql: SqlParts, bbox: tuple[float, float, float, float], types: tuple[str, ...], pg: bool
) -> None:
    min_lon, min_lat, max_lon, max_lat = bbox
    sql.params.update(bx0=min_lon, by0=min_lat, bx1=max_lon, by1=max_lat)
    if pg:
        c_lon, c_lat, radius_m = ranking.max_corner_distance_m(min_lon, min_lat, max_lon, max_lat)
        if math.isfinite(radius_m):  # an index-backed circle around the box, then the exact box
            sql.where.append(
                "ST_DWithin(f.geog, geography(ST_SetSRID(ST_MakePoint(:bcx, :bcy), 4326)), :bcr, false)"
            )
            sql.params.update(bcx=c_lon, bcy=c_lat, bcr=radius_m)
    else:  # one R*Tree box per type lane (ADR 0074)
        lanes = rtree_lanes.lanes_for(types)
        boxes = " UNION ALL ".join(
            f"SELECT r.id FROM rtree_facilities r WHERE {box}"
            for box in rtree_lanes.box_conditions(lanes)
        )
        sql.where.append(f"f.id IN ({boxes})")
        sql.params.update(rtree_lanes.box_params(lanes, min_lon, max_lon, min_lat, max_lat))
    sql.where.append("f.lon BETWEEN :bx0 AND :bx1 AND f.lat BETWEEN :by0 AND :by1")


def typed_statement(
    body: str, sql: SqlParts, extra_columns: dict[str, Any] | None = None
) -> TextClause:
    stmt = text(body)
    if sql.expanding:
        stmt = stmt.bindparams(*(bindparam(name, expanding=True) for name in sql.expanding))
    extra = extra_columns or {}
    return stmt.columns(*FACILITY_COLUMNS, **extra)  # type: ignore[return-value]


def facility_dict(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row as the ``FacilityOut`` JSON object (WGS84)."""
    out = {column.name: row[column.name] for column in FACILITY_COLUMNS}
    out["type_label"] = FACILITY_TYPES.get(out["type"], out["type"])
    if out["services"] is None:
        out["services"] = []
    return out


# --------------------------------------------------------------------------- list / search


def list_facilities(
    session: Session, filters: FacilityFilter, *, after_id: int | None, limit: int
) -> list[RowMapping]:
    """Facilities matching ``filters`` in id order after ``after_id``; at most ``limit`` + 1 rows."""
    pg = is_postgres(session)
    sql = where_sql(filters, pg)
    if after_id is not None:
        sql.where.append("f.id > :after_id")
        sql.params["after_id"] = after_id
    where = " AND ".join(sql.where) or "1 = 1"
    body = f"SELECT {SELECT_LIST} FROM facilities f WHERE {where} ORDER BY f.id LIMIT :lim"
    sql.params["lim"] = limit + 1
    return list(session.execute(typed_statement(body, sql), sql.params).mappings().all())


def page_of_facilities(
    session: Session, filters: FacilityFilter, *, offset: int, limit: int
) -> tuple[list[RowMapping], int]:
    """One offset page in id order and the number matched (OGC API items)."""
    pg = is_postgres(session)
    sql = where_sql(filters, pg)
    where = " AND ".join(sql.where) or "1 = 1"
    sql.params.update(lim=limit, off=offset)
    body = (
        f"SELECT {SELECT_LIST} FROM facilities f WHERE {where} ORDER BY f.id LIMIT :lim OFFSET :off"
    )
    rows = list(session.execute(typed_statement(body, sql), sql.params).mappings().all())
    count_stmt = text(f"SELECT count(*) FROM facilities f WHERE {where}")
    if sql.expanding:
        count_stmt = count_stmt.bindparams(*(bindparam(n, expanding=True) for n in sql.expanding))
    matched = int(session.execute(count_stmt, sql.params).scalar_one())
    return rows, matched


def get_facility(session: Session, facility_id: int) -> RowMapping | None:
    sql = SqlParts(where=["f.id = :fid"], params={"fid": facility_id})
    body = f"SELECT {SELECT_LIST} FROM facilities f WHERE f.id = :fid"
    return session.execute(typed_statement(body, sql), sql.params).mappings().first()


def facilities_extent(session: Session) -> tuple[float, float, float, float] | None:
    row = session.execute(
        text("SELECT min(lon), min(lat), max(lon), max(lat) FROM facilities")
    ).first()
    if row is None or row[0] is None:
        return None
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


# --------------------------------------------------------------------------- regions (OGC)

REGION_COLUMNS = (
    Region.__table__.c.code,
    Region.__table__.c.name,
    Region.__table__.c.level,
    Region.__table__.c.parent_code,
    Region.__table__.c.population,
    Region.__table__.c.elderly_60plus,
    Region.__table__.c.elderly_65plus,
    Region.__table__.c.households,
    Region.__table__.c.year,
    Region.__table__.c.geom,
)


def page_of_regions(
    session: Session,
    *,
    bbox: tuple[float, float, float, float] | None,
    offset: int,
    limit: int,
    code: str | None = None,
) -> tuple[list[RowMapping], int]:
    """Regions (with geometry) in code order and the number matched; ``bbox`` tests their extents."""
    where: list[str] = []
    params: dict[str, Any] = {"lim": limit, "off": offset}
    if bbox is not None:
        where.append(
            "r.max_lon >= :bx0 AND r.min_lon <= :bx1 AND r.max_lat >= :by0 AND r.min_lat <= :by1"
        )
        params.update(bx0=bbox[0], by0=bbox[1], bx1=bbox[2], by1=bbox[3])
    if code is not None:
        where.append("r.code = :code")
        params["code"] = code
    clause = " AND ".join(where) or "1 = 1"
    select_list = ", ".join(f"r.{c.name}" for c in REGION_COLUMNS)
    body = (
        f"SELECT {select_list} FROM regions r WHERE {clause} ORDER BY r.code LIMIT :lim OFFSET :off"
    )
    rows = list(session.execute(text(body).columns(*REGION_COLUMNS), params).mappings().all())
    matched = int(
        session.execute(text(f"SELECT count(*) FROM regions r WHERE {clause}"), params).scalar_one()
    )
    return rows, matched


def regions_extent(session: Session) -> tuple[float, float, float, float] | None:
    row = session.execute(
        text("SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM regions")
    ).first()
    if row is None or row[0] is None:
        return None
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])
