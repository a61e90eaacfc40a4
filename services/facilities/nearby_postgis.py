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
import math
import re
from typing import Any

import asyncpg
import orjson
from sqlalchemy.engine import make_url

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
POINT = "geography(ST_SetSRID(ST_MakePoint($1, $2), 4326))"
_NAMED = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


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
        return NearbyResult(items, distances[: query.want], len(ids) > query.want)


def for_state(state: ServiceState[Any]) -> PostgisNearby:
    """The service's PostgisNearby, made on first use and closed by the app's shutdown."""
    nearby: PostgisNearby | None = state.extras.get(_EXTRAS_KEY)
    if nearby is None:
        nearby = PostgisNearby(state.settings.resolved_database_url())
        state.extras[_EXTRAS_KEY] = nearby
        state.async_closers.append(nearby.close)
    return nearby


def knn_sql(query: NearbyQuery) -> tuple[str, list[Any]]:
    """The KNN statement (``$1``/``$2`` the point, the last parameter the LIMIT) and its arguments.

    Candidates carry the full rows (one round trip: ~25 wider rows cost less than
    a second query). Several types: one KNN branch per type, merged by distance —
    the union of each type's nearest ``LIMIT`` holds the overall nearest ``LIMIT``.
    """
    args: list[Any] = [query.lon, query.lat]
    filters = dataclasses.replace(query.filters, types=())
    shared = _positional(where_sql(filters, pg=True), args)
    if math.isfinite(query.radius_m):
        # The index test ST_DWithin makes (the point's geocentric box grown by the radius),
        # then the sphere distance; spelled out so the planner keeps the KNN index scan.
        args.append(query.radius_m * (1 + KNN_REL_SLACK) + KNN_ABS_SLACK_M)
        n = len(args)
        shared.append(f"f.geog && _ST_Expand({POINT}, ${n}) AND (f.geog <-> {POINT}) <= ${n}")
    if query.after is not None and query.after.distance_m > 0:
        args.append(query.after.distance_m * (1 - KNN_REL_SLACK) - KNN_ABS_SLACK_M)
        shared.append(f"(f.geog <-> {POINT}) >= ${len(args)}")
    hours = "f.opening_hours" if query.open_at is not None else "NULL"
    columns = (
        f"f.id AS c_id, f.lon AS c_lon, f.lat AS c_lat, {hours} AS c_hours, {SELECT_LIST}, "
        f"(f.geog <-> {POINT}) AS knn_m"
    )
    limit = f"${len(args) + len(query.filters.types) + 1}"
    branches = []
    for type_ in query.filters.types or (None,):
        where = list(shared)
        if type_ is not None:
            args.append(type_)
            where.append(f"f.type = ${len(args)}")
        branches.append(
            f"SELECT {columns} FROM facilities f WHERE {' AND '.join(where) or 'true'} "
            f"ORDER BY f.geog <-> {POINT} LIMIT {limit}"
        )
    if len(branches) == 1:
        return branches[0], args
    union = " UNION ALL ".join(f"({branch})" for branch in branches)
    return f"SELECT * FROM ({union}) AS candidates ORDER BY knn_m LIMIT {limit}", args


def _positional(sql: Any, args: list[Any]) -> list[str]:
    """``where_sql``'s ``:name`` conditions with asyncpg's ``$n`` (lists as ``= ANY($n)``)."""
    numbers: dict[str, int] = {}
    for name, value in sql.params.items():
        args.append(list(value) if name in sql.expanding else value)
        numbers[name] = len(args)
    conditions = []
    for condition in sql.where:
        for name in sql.expanding:
            condition = condition.replace(f"IN :{name}", f"= ANY(:{name})")
        conditions.append(_NAMED.sub(lambda m: f"${numbers[m.group(1)]}", condition))
    return conditions


async def _search(
    conn: asyncpg.Connection, query: NearbyQuery, need: int
) -> tuple[Any, Any, dict[int, Any]]:
    """KNN candidates in ``<->`` order, complete below the last one's distance; widened until enough."""
    sql, args = knn_sql(query)
    limit = need + KNN_EXTRA
    while True:
        rows = await conn.fetch(sql, *args, limit)
        if len(rows) < limit:  # every match is here
            ids, distances = ranked(query, rows, query.radius_m)
            return ids, distances, {r[0]: r for r in rows}
        complete_m = float(rows[-1]["knn_m"]) * (1 - KNN_REL_SLACK) - KNN_ABS_SLACK_M
        ids, distances = ranked(query, rows, min(query.radius_m, complete_m))
        if len(ids) >= need:
            return ids[:need], distances[:need], {r[0]: r for r in rows}
        limit *= 4
