"""Nearby search: the query and result types, exact ranking of candidates, and the SQLite path.

The database proposes candidates; :func:`ranked` orders them by great-circle
distance, ties by id, only inside the distance up to which the candidates are
provably complete (ADR 0070). SQLite (R*Tree boxes) runs here on a raw pooled
``sqlite3`` connection (ADR 0071); PostGIS (KNN on GiST) in
:mod:`services.facilities.nearby_postgis` (ADR 0073).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import orjson
from sqlalchemy.engine import Engine

from services.common.geo import EARTH_RADIUS_M, haversine_m
from services.common.opening_hours import is_open
from services.facilities import nearby as ranking
from services.facilities import rtree_lanes
from services.facilities.queries import (
    FACILITY_COLUMNS,
    SELECT_LIST,
    FacilityFilter,
    SqlParts,
    where_sql,
)
from services.facilities.schemas import FACILITY_TYPES

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
    items: list[dict[str, Any]]  # the page's facilities as FacilityOut JSON objects, in order
    distances_m: np.ndarray


def read_nearby_sqlite(engine: Engine, query: NearbyQuery) -> NearbyResult:
    """The next ``query.want`` facilities by exact great-circle distance (ties by id), on SQLite.

    Phase 1 ranks light candidates (id, lon, lat; hours only for ``open_now``),
    widening the search until the set below some distance is provably complete
    and holds one more than asked (to know whether a next page exists). Phase 2
    reads the full rows of just the page. Both in one read transaction on a pooled
    ``sqlite3`` connection — a Session would cost more than the whole query (ADR 0071).
    PostGIS: :mod:`services.facilities.nearby_postgis`.
    """
    with sqlite_reader(engine) as raw:
        need = query.want + 1
        ids, distances = _sqlite_search(raw, query, need)
        items = _sqlite_items_by_id(raw, ids[: query.want].tolist())
    return NearbyResult(items, distances[: query.want])


def _candidate_select(query: NearbyQuery) -> str:
    if query.open_at is None:
        return "f.id, f.lon, f.lat"
    return "f.id, f.lon, f.lat, f.opening_hours"


def ranked(
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


def _sqlite_search(raw: Any, query: NearbyQuery, need: int) -> tuple[np.ndarray, np.ndarray]:
    """R*Tree boxes around a growing circle; candidates are complete up to the circle's radius.

    Runs on the raw ``sqlite3`` connection of :func:`sqlite_reader`'s transaction:
    this is the hot path of every mobile request, and SQLAlchemy's per-statement
    work would cost more than SQLite's.
    """
    select_list = _candidate_select(query)
    sql = where_sql(query.filters, pg=False)
    lanes = rtree_lanes.lanes_for(query.filters.types)
    # One box per type lane (ADR 0074). CROSS JOIN keeps the R*Tree as the outer loop.
    branches = [
        f"SELECT {select_list} FROM rtree_facilities r CROSS JOIN facilities f ON f.id = r.id "
        f"WHERE {' AND '.join([box, *sql.where])}"
        for box in rtree_lanes.box_conditions(lanes)
    ]
    body, params = _expand_in(" UNION ALL ".join(branches), sql)
    inner_m = query.after.distance_m if query.after else 0.0
    hint_key = (query.filters, query.open_at is not None)
    radius_m = min(query.radius_m, inner_m + _RADIUS_HINTS.get(hint_key, FIRST_BOX_M))
    while True:
        min_lon, max_lon, min_lat, max_lat = ranking.covering_box(query.lon, query.lat, radius_m)
        params.update(rtree_lanes.box_params(lanes, min_lon, max_lon, min_lat, max_lat))
        rows = raw.execute(body, params).fetchall()
        if query.open_at is not None:
            rows = [(r[0], r[1], r[2], orjson.loads(r[3]) if r[3] else None) for r in rows]
        ids, distances = ranked(query, rows, radius_m)
        whole_world = radius_m >= math.pi * EARTH_RADIUS_M
        if len(ids) >= need or radius_m >= query.radius_m or whole_world:
            if len(ids) >= need:
                _remember_radius(hint_key, float(distances[need - 1]) - inner_m)
            return ids[:need], distances[:need]
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


def _tune_for_reads(proxied: Any) -> None:
    if not proxied.info.get("carecircle_read_tuned"):
        raw = proxied.driver_connection
        raw.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        raw.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        proxied.info["carecircle_read_tuned"] = True


@contextmanager
def sqlite_reader(engine: Engine) -> Iterator[Any]:
    """A pooled ``sqlite3`` connection inside one read transaction (a consistent snapshot)."""
    proxied = engine.raw_connection()
    try:
        _tune_for_reads(proxied)
        raw: Any = proxied.driver_connection
        raw.execute("BEGIN")
        try:
            yield raw
        finally:
            raw.execute("ROLLBACK")
    finally:
        proxied.close()


def _expand_in(body: str, sql: SqlParts) -> tuple[str, dict[str, Any]]:
    """``IN :name`` → ``IN (:name_0, …)`` for the raw driver (named paramstyle)."""
    params = dict(sql.params)
    for name in sql.expanding:
        values = params.pop(name)
        placeholders = ", ".join(f":{name}_{i}" for i in range(len(values)))
        body = body.replace(f"IN :{name}", f"IN ({placeholders})")
        params.update({f"{name}_{i}": value for i, value in enumerate(values)})
    return body, params


_NAMES = tuple(column.name for column in FACILITY_COLUMNS)


def _sqlite_items_by_id(raw: Any, ids: list[int]) -> list[dict[str, Any]]:
    """The facilities ``ids`` as FacilityOut JSON objects, in that order (what ``facility_dict`` makes)."""
    if not ids:
        return []
    body, params = _expand_in(
        f"SELECT {SELECT_LIST} FROM facilities f WHERE f.id IN :ids",
        SqlParts(params={"ids": ids}, expanding=["ids"]),
    )
    by_id: dict[int, dict[str, Any]] = {}
    for values in raw.execute(body, params).fetchall():
        item = dict(zip(_NAMES, values, strict=True))
        # Decoded here in one pass: the hot path's rows skip the ORM's result processing.
        services, hours = item["services"], item["opening_hours"]
        item["services"] = orjson.loads(services) if services is not None else []
        item["opening_hours"] = orjson.loads(hours) if hours is not None else None
        for name in ("created_at", "updated_at"):
            if item[name] is not None:
                item[name] = datetime.fromisoformat(item[name])
        if item["verified_on"] is not None:
            item["verified_on"] = date.fromisoformat(item["verified_on"])
        item["type_label"] = FACILITY_TYPES.get(item["type"], item["type"])
        by_id[item["id"]] = item
    return [by_id[i] for i in ids]
