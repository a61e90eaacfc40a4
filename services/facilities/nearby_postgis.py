"""Nearby search on PostGIS: KNN on GiST through asyncpg, in the event loop (ADR 0073).

The mobile apps' hot path. One statement per page (usually), prepared once per
connection by asyncpg, no thread hop, no ORM: the database proposes candidates
in ``<->`` order and :func:`services.facilities.nearby_search.ranked` decides the
exact order, only inside the distance up to which the candidates are provably
complete (ADR 0070). With a type filter the KNN runs once per type on the
``(type, geog)`` GiST index (btree_gist): it walks only facilities of that type
instead of filtering all of them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.engine import make_url
from sqlalchemy.types import NullType

from services.common.errors import ServiceUnavailable
from services.common.state import ServiceState
from services.facilities.nearby_search import (
    KNN_ABS_SLACK_M,
    KNN_EXTRA,
    KNN_REL_SLACK,
    NearbyQuery,
    NearbyResult,
    ranked,
)
from services.facilities.queries import SELECT_LIST, facility_dict, where_sql

_EXTRAS_KEY = "postgis_nearby"
# A database that does not answer is a 503 after this, not a request (or a startup) hanging for asyncpg's 60 s.
CONNECT_TIMEOUT_S = 5.0
# What a dropped or refused connection raises (asyncpg's own, or the socket's).
_CONNECTION_LOST = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
    OSError,
    TimeoutError,
)
POINT = "geography(ST_SetSRID(ST_MakePoint(:knn_lon, :knn_lat), 4326))"


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql://…`` (asyncpg knows no driver suffix)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # A backend loads PostGIS on its first geography value (~17 ms here): here, not in a request.
    await conn.execute("SELECT NULL::geography")
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            schema="pg_catalog",
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
        )


class PostgisNearby:
    """An asyncpg pool of the facilities database, opened in the serving loop.

    The app opens it at startup (or its first request does, when the database was
    not up yet) and closes it at shutdown; a pool belongs to one event loop, and a
    server has one for its life.
    """

    def __init__(self, database_url: str, max_connections: int = 10) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._max = max_connections
        self._pool: asyncpg.Pool | None = None
        self._lock: asyncio.Lock | None = None

    async def _get_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=1,
                        max_size=self._max,
                        init=_init_connection,
                        timeout=CONNECT_TIMEOUT_S,
                    )
        return self._pool

    async def open(self) -> None:
        await self._get_pool()

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def read(self, query: NearbyQuery) -> NearbyResult:
        """The next ``query.want`` facilities by exact great-circle distance (ties by id).

        A pooled connection the server closed (restart, failover, idle kill) shows up only
        when used: the read is retried once on a fresh one; a database still down is a 503.
        """
        need = query.want + 1
        for attempt in range(2):
            try:
                pool = await self._get_pool()
                async with pool.acquire() as conn:
                    ids, distances, fetched = await _search(conn, query, need)
                break
            except _CONNECTION_LOST as exc:
                if attempt == 1:
                    raise ServiceUnavailable(
                        "the facilities database is unreachable; retry shortly"
                    ) from exc
        items = [facility_dict(fetched[i]) for i in ids[: query.want].tolist()]
        return NearbyResult(items, distances[: query.want])


def for_state(state: ServiceState[Any]) -> PostgisNearby:
    """The service's PostgisNearby, made on first use and closed by the app's shutdown."""
    nearby: PostgisNearby | None = state.extras.get(_EXTRAS_KEY)
    if nearby is None:
        nearby = PostgisNearby(state.settings.resolved_database_url())
        state.extras[_EXTRAS_KEY] = nearby
        state.async_closers.append(nearby.close)
    return nearby


@dataclass(frozen=True, slots=True)
class Statement:
    """SQL with asyncpg's ``$n`` and, for each ``$n`` in order, where its value comes from.

    ``slots[n - 1]`` is ``(name, None)`` for a scalar parameter, ``(name, i)`` for element ``i``
    of a list one (``IN (...)``, as many ``$n`` as the list was long when compiled).
    """

    sql: str
    slots: tuple[tuple[str, int | None], ...]

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for ``values`` (named as in the statement's text)."""
        return [values[name] if i is None else values[name][i] for name, i in self.slots]


class _Slot:
    """A stand-in value while compiling: it says which parameter (and element) a ``$n`` is."""

    __slots__ = ("name", "index")

    def __init__(self, name: str, index: int | None) -> None:
        self.name, self.index = name, index


# PostgreSQL with asyncpg's placeholders; untyped binds, so no casts are added to the SQL.
_DIALECT = PGDialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]


@functools.lru_cache(maxsize=512)
def compiled(text_sql: str, lists: tuple[tuple[str, int], ...]) -> Statement:
    """``text_sql`` with ``:name`` parameters compiled once into a :class:`Statement`.

    ``lists`` names the list parameters with their lengths (the statement's shape). SQLAlchemy's
    compiler numbers the parameters; nothing here reads or rewrites SQL text.
    """
    list_names = {name for name, _ in lists}
    stmt = text(text_sql).bindparams(
        *(bindparam(name, expanding=True, type_=NullType()) for name in sorted(list_names))
    )
    stand_ins: dict[str, Any] = {
        name: [_Slot(name, i) for i in range(length)] for name, length in lists
    }
    for name in stmt.compile(dialect=_DIALECT).positiontup or ():
        if name not in list_names:
            stand_ins[name] = _Slot(name, None)
    done = stmt.bindparams(
        *(
            bindparam(name, value, type_=NullType(), expanding=name in list_names)
            for name, value in stand_ins.items()
        )
    ).compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    values = done.construct_params()
    slots = tuple((values[key].name, values[key].index) for key in done.positiontup or ())
    return Statement(done.string, slots)


def knn_sql(query: NearbyQuery) -> tuple[Statement, dict[str, Any]]:
    """The KNN statement and its named values (``knn_limit``, the LIMIT, is the caller's to set).

    Candidates carry the full rows (one round trip: ~25 wider rows cost less than
    a second query). Several types: one KNN branch per type, merged by distance —
    the union of each type's nearest ``LIMIT`` holds the overall nearest ``LIMIT``.
    The SQL is written with ``:name`` parameters (the shared filters' own, from
    :func:`where_sql`) and compiled once per shape.
    """
    filters = dataclasses.replace(query.filters, types=())
    shared = where_sql(filters, pg=True)
    values: dict[str, Any] = {**shared.params, "knn_lon": query.lon, "knn_lat": query.lat}
    where = list(shared.where)
    if math.isfinite(query.radius_m):
        # The index test ST_DWithin makes (the point's geocentric box grown by the radius),
        # then the sphere distance; spelled out so the planner keeps the KNN index scan.
        values["knn_radius_m"] = query.radius_m * (1 + KNN_REL_SLACK) + KNN_ABS_SLACK_M
        where.append(
            f"f.geog && _ST_Expand({POINT}, :knn_radius_m) AND (f.geog <-> {POINT}) <= :knn_radius_m"
        )
    if query.after is not None and query.after.distance_m > 0:
        values["knn_after_m"] = query.after.distance_m * (1 - KNN_REL_SLACK) - KNN_ABS_SLACK_M
        where.append(f"(f.geog <-> {POINT}) >= :knn_after_m")
    hours = "f.opening_hours" if query.open_at is not None else "NULL"
    columns = (
        f"f.id AS c_id, f.lon AS c_lon, f.lat AS c_lat, {hours} AS c_hours, {SELECT_LIST}, "
        f"(f.geog <-> {POINT}) AS knn_m"
    )
    branches = []
    for n, type_ in enumerate(query.filters.types or (None,)):
        conditions = list(where)
        if type_ is not None:
            values[f"knn_type_{n}"] = type_
            conditions.append(f"f.type = :knn_type_{n}")
        branches.append(
            f"SELECT {columns} FROM facilities f WHERE {' AND '.join(conditions) or 'true'} "
            f"ORDER BY f.geog <-> {POINT} LIMIT :knn_limit"
        )
    if len(branches) == 1:
        sql = branches[0]
    else:
        union = " UNION ALL ".join(f"({branch})" for branch in branches)
        sql = f"SELECT * FROM ({union}) AS candidates ORDER BY knn_m LIMIT :knn_limit"
    lists = tuple((name, len(values[name])) for name in shared.expanding)
    return compiled(sql, lists), values


async def _search(
    conn: asyncpg.Connection, query: NearbyQuery, need: int
) -> tuple[Any, Any, dict[int, Any]]:
    """KNN candidates in ``<->`` order, complete below the last one's distance; widened until enough."""
    statement, values = knn_sql(query)
    limit = need + KNN_EXTRA
    while True:
        rows = await conn.fetch(statement.sql, *statement.args({**values, "knn_limit": limit}))
        if len(rows) < limit:  # every match is here
            ids, distances = ranked(query, rows, query.radius_m)
            return ids, distances, {r[0]: r for r in rows}
        complete_m = float(rows[-1]["knn_m"]) * (1 - KNN_REL_SLACK) - KNN_ABS_SLACK_M
        ids, distances = ranked(query, rows, min(query.radius_m, complete_m))
        if len(ids) >= need:
            return ids[:need], distances[:need], {r[0]: r for r in rows}
        limit *= 4
