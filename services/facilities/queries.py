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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import orjson
from sqlalchemy import JSON, Float, Integer, bindparam, column, text
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from services.common.geo import EARTH_RADIUS_M, haversine_m
from services.common.identity import region_prefix
from services.facilities import nearby as ranking
from services.facilities.models import Facility, Region
from services.facilities.normalize import normalize_name
from services.facilities.opening_hours import is_open
from services.facilities.schemas import FACILITY_TYPES

_F = Facility.__table__.c
# The columns of FacilityOut, in order (``geog``/``name_normalized``/``services_mask`` stay in the DB).
FACILITY_COLUMNS = (
    _F.id,
    _F.external_id,
    _F.source,
    _F.name,
    _F.type,
    _F.services,
    _F.operation_mode,
    _F.operator,
    _F.star_rating,
    _F.status,
    _F.capacity,
    _F.opening_hours,
    _F.phone,
    _F.address,
    _F.lon,
    _F.lat,
    _F.region_code,
    _F.center_id,
    _F.verified_on,
    _F.created_at,
    _F.updated_at,
    _F.version,
)
_SELECT_LIST = ", ".join(f"f.{c.name}" for c in FACILITY_COLUMNS)
_PG_POINT = "geography(ST_SetSRID(ST_MakePoint(:qlon, :qlat), 4326))"

# PostGIS ``<->`` on geography is the great-circle distance on a sphere (checked on
# PostGIS 3.3: it agrees with haversine_m to ~1e-8 relative). Candidates are taken as
# complete only below the last KNN distance minus this slack, so float differences
# between the two formulas can never drop or reorder a facility.
KNN_REL_SLACK = 1e-4
KNN_ABS_SLACK_M = 0.1
FIRST_BOX_M = 500.0
# KNN rows fetched beyond the page (+1): room for distance ties at the slack boundary.
KNN_EXTRA = 4


@dataclass(frozen=True)
class FacilityFilter:
    """Conditions every query here understands (all optional; WGS84 for ``bbox``)."""

    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    services_mask: int = 0
    min_stars: int | None = None
    region: str | None = None
    q: str | None = None
    external_id: str | None = None
    source: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat


@dataclass
class _Sql:
    where: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    expanding: list[str] = field(default_factory=list)


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _where(filters: FacilityFilter, pg: bool) -> _Sql:
    sql = _Sql()
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
    if filters.external_id is not None:
        sql.where.append("f.external_id = :external_id")
        sql.params["external_id"] = filters.external_id
    if filters.source is not None:
        sql.where.append("f.source = :source")
        sql.params["source"] = filters.source
    if filters.bbox is not None:
        _bbox_sql(sql, filters.bbox, pg)
    return sql


def _escape_like(text_: str) -> str:
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _bbox_sql(sql: _Sql, bbox: tuple[float, float, float, float], pg: bool) -> None:
    min_lon, min_lat, max_lon, max_lat = bbox
    sql.params.update(bx0=min_lon, by0=min_lat, bx1=max_lon, by1=max_lat)
    if pg:
        c_lon, c_lat, radius_m = ranking.max_corner_distance_m(min_lon, min_lat, max_lon, max_lat)
        if math.isfinite(radius_m):  # an index-backed circle around the box, then the exact box
            sql.where.append(
                "ST_DWithin(f.geog, geography(ST_SetSRID(ST_MakePoint(:bcx, :bcy), 4326)), :bcr, false)"
            )
            sql.params.update(bcx=c_lon, bcy=c_lat, bcr=radius_m)
    else:
        sql.where.append(
            "f.id IN (SELECT id FROM rtree_facilities WHERE min_x <= :bx1 AND max_x >= :bx0 "
            "AND min_y <= :by1 AND max_y >= :by0)"
        )
    sql.where.append("f.lon BETWEEN :bx0 AND :bx1 AND f.lat BETWEEN :by0 AND :by1")


def _statement(body: str, sql: _Sql, extra_columns: dict[str, Any] | None = None) -> TextClause:
    stmt = text(body)
    if sql.expanding:
        stmt = stmt.bindparams(*(bindparam(name, expanding=True) for name in sql.expanding))
    extra = extra_columns or {}
    return stmt.columns(*FACILITY_COLUMNS, **extra)  # type: ignore[return-value]


def facility_dict(row: RowMapping) -> dict[str, Any]:
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
    pg = _is_pg(session)
    sql = _where(filters, pg)
    if after_id is not None:
        sql.where.append("f.id > :after_id")
        sql.params["after_id"] = after_id
    where = " AND ".join(sql.where) or "1 = 1"
    body = f"SELECT {_SELECT_LIST} FROM facilities f WHERE {where} ORDER BY f.id LIMIT :lim"
    sql.params["lim"] = limit + 1
    return list(session.execute(_statement(body, sql), sql.params).mappings().all())


def page_of_facilities(
    session: Session, filters: FacilityFilter, *, offset: int, limit: int
) -> tuple[list[RowMapping], int]:
    """One offset page in id order and the number matched (OGC API items)."""
    pg = _is_pg(session)
    sql = _where(filters, pg)
    where = " AND ".join(sql.where) or "1 = 1"
    sql.params.update(lim=limit, off=offset)
    body = f"SELECT {_SELECT_LIST} FROM facilities f WHERE {where} ORDER BY f.id LIMIT :lim OFFSET :off"
    rows = list(session.execute(_statement(body, sql), sql.params).mappings().all())
    count_stmt = text(f"SELECT count(*) FROM facilities f WHERE {where}")
    if sql.expanding:
        count_stmt = count_stmt.bindparams(*(bindparam(n, expanding=True) for n in sql.expanding))
    matched = int(session.execute(count_stmt, sql.params).scalar_one())
    return rows, matched


def get_facility(session: Session, facility_id: int) -> RowMapping | None:
    sql = _Sql(where=["f.id = :fid"], params={"fid": facility_id})
    body = f"SELECT {_SELECT_LIST} FROM facilities f WHERE f.id = :fid"
    return session.execute(_statement(body, sql), sql.params).mappings().first()


def facilities_extent(session: Session) -> tuple[float, float, float, float] | None:
    row = session.execute(
        text("SELECT min(lon), min(lat), max(lon), max(lat) FROM facilities")
    ).first()
    if row is None or row[0] is None:
        return None
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


# --------------------------------------------------------------------------- nearby


@dataclass(frozen=True)
class NearbyQuery:
    """One nearby request in WGS84: the point, the limits and the filters."""

    lon: float
    lat: float
    want: int  # items on this page
    radius_m: float = math.inf
    filters: FacilityFilter = FacilityFilter()
    after: ranking.Cursor | None = None
    open_at: tuple[str, str] | None = None  # (weekday, "HH:MM") when open_now is asked


@dataclass(frozen=True)
class NearbyResult:
    rows: list[RowMapping]
    distances_m: np.ndarray
    has_more: bool


def nearby(session: Session, query: NearbyQuery) -> NearbyResult:
    """The next ``query.want`` facilities by exact great-circle distance (ties by id).

    Phase 1 ranks light candidates (id, lon, lat; hours only for ``open_now``),
    widening the search until the set below some distance is provably complete
    and holds one more than asked (to know whether a next page exists). Phase 2
    reads the full rows of just the page (on PostGIS the KNN query already
    carries them: a second round trip would cost more than ~25 wider rows).
    """
    need = query.want + 1
    search = _pg_search if _is_pg(session) else _sqlite_search
    ids, distances, fetched = search(session, query, need)
    page_ids = ids[: query.want].tolist()
    rows = [fetched[i] for i in page_ids] if fetched is not None else _rows_by_id(session, page_ids)
    return NearbyResult(rows, distances[: query.want], len(ids) > query.want)


_CANDIDATE_COLUMNS = (_F.id, _F.lon, _F.lat)
_CANDIDATE_COLUMNS_HOURS = (_F.id, _F.lon, _F.lat, _F.opening_hours)


def _candidate_select(query: NearbyQuery) -> tuple[str, tuple[Any, ...]]:
    if query.open_at is None:
        return "f.id, f.lon, f.lat", _CANDIDATE_COLUMNS
    return "f.id, f.lon, f.lat, f.opening_hours", _CANDIDATE_COLUMNS_HOURS


def _ranked(
    query: NearbyQuery, rows: Sequence[Any], within_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, distances) of candidate rows that pass ``open_now``, in final order, after the cursor."""
    if query.open_at is not None:
        weekday, hhmm = query.open_at
        rows = [r for r in rows if is_open(r[3], weekday, hhmm)]
    count = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=count)
    lons = np.fromiter((r[1] for r in rows), dtype=np.float64, count=count)
    lats = np.fromiter((r[2] for r in rows), dtype=np.float64, count=count)
    distances = haversine_m(query.lon, query.lat, lons, lats) if count else np.zeros(0)
    order = ranking.rank(ids, distances, after=query.after, within_m=within_m)
    return ids[order], distances[order]


def _rows_by_id(session: Session, ids: list[int]) -> list[Any]:
    """Full rows of ``ids``, in that order (mappings on PostGIS, dicts on SQLite)."""
    if not ids:
        return []
    if not _is_pg(session):
        return _sqlite_rows_by_id(session, ids)
    sql = _Sql(params={"ids": ids}, expanding=["ids"])
    body = f"SELECT {_SELECT_LIST} FROM facilities f WHERE f.id IN :ids"
    by_id = {
        row["id"]: row for row in session.execute(_statement(body, sql), sql.params).mappings()
    }
    return [by_id[i] for i in ids]


# Positional result columns of the KNN query: the candidate fields first (as
# ``_ranked`` reads them), then the full facility, then the KNN distance.
_PG_KNN_COLUMNS = (
    column("c_id", Integer),
    column("c_lon", Float),
    column("c_lat", Float),
    column("c_hours", JSON),
    *FACILITY_COLUMNS,
    column("knn_m", Float),
)


def _pg_search(
    session: Session, query: NearbyQuery, need: int
) -> tuple[np.ndarray, np.ndarray, dict[int, Any]]:
    """KNN on the GiST index: candidates in ``<->`` order, complete below the last one's distance."""
    sql = _where(query.filters, pg=True)
    sql.params.update(qlon=query.lon, qlat=query.lat)
    if math.isfinite(query.radius_m):
        sql.where.append(f"ST_DWithin(f.geog, {_PG_POINT}, :radius, false)")
        sql.params["radius"] = query.radius_m * (1 + KNN_REL_SLACK) + KNN_ABS_SLACK_M
    if query.after is not None and query.after.distance_m > 0:
        sql.where.append(f"(f.geog <-> {_PG_POINT}) >= :after_d")
        sql.params["after_d"] = query.after.distance_m * (1 - KNN_REL_SLACK) - KNN_ABS_SLACK_M
    where = " AND ".join(sql.where) or "1 = 1"
    body = (
        f"SELECT f.id AS c_id, f.lon AS c_lon, f.lat AS c_lat, f.opening_hours AS c_hours, "
        f"{_SELECT_LIST}, (f.geog <-> {_PG_POINT}) AS knn_m FROM facilities f "
        f"WHERE {where} ORDER BY f.geog <-> {_PG_POINT} LIMIT :lim"
    )
    stmt = text(body)
    if sql.expanding:
        stmt = stmt.bindparams(*(bindparam(name, expanding=True) for name in sql.expanding))
    typed = stmt.columns(*_PG_KNN_COLUMNS)
    limit = need + KNN_EXTRA
    while True:
        sql.params["lim"] = limit
        rows = session.execute(typed, sql.params).all()
        if len(rows) < limit:  # every match is here
            return (*_ranked(query, rows, query.radius_m), {r[0]: r._mapping for r in rows})
        complete_m = float(rows[-1][-1]) * (1 - KNN_REL_SLACK) - KNN_ABS_SLACK_M
        ids, distances = _ranked(query, rows, min(query.radius_m, complete_m))
        if len(ids) >= need:
            return ids[:need], distances[:need], {r[0]: r._mapping for r in rows}
        limit *= 4


def _sqlite_search(
    session: Session, query: NearbyQuery, need: int
) -> tuple[np.ndarray, np.ndarray, None]:
    """R*Tree boxes around a growing circle; candidates are complete up to the circle's radius.

    Runs on the raw ``sqlite3`` connection (same transaction as the session):
    this is the hot path of every mobile request, and SQLAlchemy's per-statement
    work would cost more than SQLite's.
    """
    select_list, _ = _candidate_select(query)
    sql = _where(query.filters, pg=False)
    where = " AND ".join(
        ["r.min_x <= :x1", "r.max_x >= :x0", "r.min_y <= :y1", "r.max_y >= :y0", *sql.where]
    )
    # CROSS JOIN keeps the R*Tree as the outer loop (SQLite never reorders it).
    body, params = _expand_in(
        f"SELECT {select_list} FROM rtree_facilities r CROSS JOIN facilities f ON f.id = r.id "
        f"WHERE {where}",
        sql,
    )
    raw = _sqlite_connection(session)
    inner_m = query.after.distance_m if query.after else 0.0
    hint_key = (query.filters, query.open_at is not None)
    radius_m = min(query.radius_m, inner_m + _RADIUS_HINTS.get(hint_key, FIRST_BOX_M))
    while True:
        min_lon, max_lon, min_lat, max_lat = ranking.covering_box(query.lon, query.lat, radius_m)
        params.update(x0=min_lon, x1=max_lon, y0=min_lat, y1=max_lat)
        rows = raw.execute(body, params).fetchall()
        if query.open_at is not None:
            rows = [(r[0], r[1], r[2], orjson.loads(r[3]) if r[3] else None) for r in rows]
        ids, distances = _ranked(query, rows, radius_m)
        whole_world = radius_m >= math.pi * EARTH_RADIUS_M
        if len(ids) >= need or radius_m >= query.radius_m or whole_world:
            if len(ids) >= need:
                _remember_radius(hint_key, float(distances[need - 1]) - inner_m)
            return ids[:need], distances[:need], None
        # grow by the density seen so far (≥ 1.5x, ≤ 4x): usually one more box suffices
        factor = 4.0 if len(ids) == 0 else min(4.0, max(1.5, 1.25 * math.sqrt(need / len(ids))))
        radius_m = min(query.radius_m, radius_m * factor)


# The ring width (meters) that last held a full page, per filter set: the next
# search starts there instead of probing from FIRST_BOX_M (only a starting guess;
# completeness is still checked). Bounded, and harmless if threads race on it.
_RADIUS_HINTS: dict[tuple[FacilityFilter, bool], float] = {}
_MAX_HINTS = 256


def _remember_radius(key: tuple[FacilityFilter, bool], ring_m: float) -> None:
    if len(_RADIUS_HINTS) >= _MAX_HINTS:
        _RADIUS_HINTS.clear()
    _RADIUS_HINTS[key] = max(ring_m * 1.15, 50.0)


# Read connections map the file and keep a larger page cache: nearby reads hit
# random rows of the table, and the default 2 MB cache makes each one a syscall.
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
SQLITE_CACHE_KIB = 64 * 1024


def _sqlite_connection(session: Session) -> Any:
    """The session's ``sqlite3`` connection (transaction begun), tuned once for reads."""
    proxied = session.connection().connection
    raw = proxied.driver_connection
    assert raw is not None, "a checked-out connection always has its driver connection"
    if not proxied.info.get("carecircle_read_tuned"):
        raw.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        raw.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        proxied.info["carecircle_read_tuned"] = True
    return raw


def _expand_in(body: str, sql: _Sql) -> tuple[str, dict[str, Any]]:
    """``IN :name`` → ``IN (:name_0, …)`` for the raw driver (named paramstyle)."""
    params = dict(sql.params)
    for name in sql.expanding:
        values = params.pop(name)
        placeholders = ", ".join(f":{name}_{i}" for i in range(len(values)))
        body = body.replace(f"IN :{name}", f"IN ({placeholders})")
        params.update({f"{name}_{i}": value for i, value in enumerate(values)})
    return body, params


_JSON_COLUMNS = ("services", "opening_hours")
_DATETIME_COLUMNS = ("created_at", "updated_at")


def _sqlite_rows_by_id(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    raw = _sqlite_connection(session)
    body, params = _expand_in(
        f"SELECT {_SELECT_LIST} FROM facilities f WHERE f.id IN :ids",
        _Sql(params={"ids": ids}, expanding=["ids"]),
    )
    names = [c.name for c in FACILITY_COLUMNS]
    by_id: dict[int, dict[str, Any]] = {}
    for values in raw.execute(body, params).fetchall():
        row = dict(zip(names, values, strict=True))
        for name in _JSON_COLUMNS:
            if row[name] is not None:
                row[name] = orjson.loads(row[name])
        for name in _DATETIME_COLUMNS:
            if row[name] is not None:
                row[name] = datetime.fromisoformat(row[name])
        if row["verified_on"] is not None:
            row["verified_on"] = date.fromisoformat(row["verified_on"])
        by_id[row["id"]] = row
    return [by_id[i] for i in ids]


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
