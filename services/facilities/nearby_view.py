"""The nearby view: a request's plan, its result set, and the page as JSON (no HTTP here).

Used by the documented FastAPI route (``api_queries.nearby_facilities``) and by the
fast path (``nearby_fastpath``) alike, so both answer byte for byte the same. The
result set is the ``k`` nearest matches within ``radius_m`` (in-memory index, ADR 0075,
or the database); a page is its part after the cursor's key in ``distance`` or
``rating`` order (``nearby.page_order``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from services.common.errors import InvalidInput
from services.common.geo import validate_lon_lat
from services.common.opening_hours import is_open, local_moment
from services.common.responses import ORJSON_OPTIONS
from services.common.state import ServiceState
from services.facilities import crs as crs_mod
from services.facilities import nearby as ranking
from services.facilities import (
    nearby_index,
    nearby_postgis,
    nearby_search,
    nearby_snapshots,
    queries,
)
from services.facilities.geojson import reproject_items
from services.facilities.nearby_params import DEFAULT_K, MAX_K, MAX_PAGE, NearbyParams
from services.facilities.schemas import FACILITY_TYPES, SERVICES, STATUSES, services_mask

JSON = "application/json"
_EXTRA = ',"distance_m":%r,"straight_line_minutes":%r,"open_now":%s}'
_JSON_BOOL = {True: "true", False: "false", None: "null"}


def split_list(values: list[str] | None) -> tuple[str, ...]:
    if not values:
        return ()
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def checked_list(
    values: list[str] | None, allowed: tuple[str, ...] | dict[str, str], field: str
) -> tuple[str, ...]:
    parts = split_list(values)
    for part in parts:
        if part not in allowed:
            raise InvalidInput(
                f"unknown {field} {part!r}; use one of {', '.join(allowed)}", field=field
            )
    return parts


def point_wgs84(lon: float, lat: float, crs: str, field: str = "lon") -> tuple[float, float]:
    try:
        validate_lon_lat(lon, lat)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="lat" if "lat" in str(exc)[:4] else field) from exc
    return crs_mod.point_to_wgs84(lon, lat, crs)


@dataclass(frozen=True)
class Plan:
    """One nearby request checked: the whole result set's query, the page and its order."""

    query: nearby_search.NearbyQuery  # want = the whole set (k), no cursor
    page_size: int
    sort: str
    after: ranking.Cursor | None
    tag_parts: tuple[Any, ...]  # what defines the result set; hashed only when a cursor needs it
    moment: tuple[str, str]  # (weekday, "HH:MM") of `at` in `tz`, for every item's open_now

    @property
    def tag(self) -> str:
        """The fingerprint a cursor carries (``nearby.query_tag``)."""
        return ranking.query_tag(*self.tag_parts)


@dataclass(frozen=True)
class Found:
    """A result set in (distance, id) order: ids, meters, stars (NaN unrated), and its items."""

    ids: NDArray[np.int64]
    distances_m: NDArray[np.float64]
    stars: NDArray[np.float64]
    #: positions in the set → their FacilityOut JSON objects
    item_jsons: Callable[[list[int]], list[bytes]]
    #: positions, (weekday, "HH:MM") → open now (None: hours unknown)
    opens: Callable[[list[int], tuple[str, str]], list[bool | None]]

    def items(self, positions: list[int]) -> list[dict[str, Any]]:
        """Fresh FacilityOut dicts of ``positions``."""
        return [orjson.loads(raw) for raw in self.item_jsons(positions)]


async def whole_set(state: ServiceState[Any], query: nearby_search.NearbyQuery) -> Found:
    """The request's result set from the in-memory index, or from the database when it is off."""
    if getattr(state.settings, "nearby_index", True):
        snapshot = await nearby_snapshots.for_state(state).current()
        rows, distances = nearby_index.search(snapshot, query, query.want)
        return Found(
            snapshot.ids[rows],
            distances,
            snapshot.stars[rows],
            lambda positions: [snapshot.items_json[r] for r in rows[positions].tolist()],
            lambda positions, moment: [
                snapshot.open_now(r, moment) for r in rows[positions].tolist()
            ],
        )
    if query.want <= 0:
        result = nearby_search.NearbyResult([], np.zeros(0))
    elif state.engine.dialect.name == "postgresql":
        result = await nearby_postgis.for_state(state).read(query)
    else:
        # SQLite answers from the local (memory-mapped) file: inline is cheaper than a
        # thread hop (ADR 0071).
        result = nearby_search.read_nearby_sqlite(state.engine, query)
    items = result.items
    return Found(
        np.array([item["id"] for item in items], dtype=np.int64),
        np.asarray(result.distances_m, dtype=np.float64),
        np.array(
            [math.nan if item["star_rating"] is None else item["star_rating"] for item in items],
            dtype=np.float64,
        ),
        lambda positions: [
            orjson.dumps(items[i], option=ORJSON_OPTIONS, default=str) for i in positions
        ],
        lambda positions, moment: [is_open(items[i]["opening_hours"], *moment) for i in positions],
    )


def _page_positions(found: Found, plan: Plan) -> tuple[NDArray[np.intp], str | None]:
    """Positions of the page's items in the set, and the next page's cursor (None: last page)."""
    if plan.after is None and plan.sort == "distance":  # the set is in this order already
        order = np.arange(len(found.ids))
    else:
        order = ranking.page_order(
            found.ids, found.distances_m, found.stars, sort=plan.sort, after=plan.after
        )
    page = order[: plan.page_size]
    if len(order) <= len(page):
        return page, None
    last = int(page[-1])
    served = (plan.after.served if plan.after else 0) + len(page)
    key = float(ranking.rating_key(found.stars[last : last + 1])[0])
    cursor = ranking.Cursor(
        float(found.distances_m[last]), int(found.ids[last]), served, plan.tag, key
    )
    return page, ranking.encode_cursor(cursor)


def page_items(found: Found, plan: Plan) -> tuple[list[dict[str, Any]], str | None]:
    """The page's items (WGS84 dicts) with distance, straight-line minutes and open-now, and the
    next page's cursor."""
    positions, next_cursor = _page_positions(found, plan)
    distances = found.distances_m[positions]
    minutes = ranking.straight_line_minutes(distances).tolist()
    page = positions.tolist()
    items = found.items(page)
    opens = found.opens(page, plan.moment)
    for item, distance_m, walk, open_now in zip(
        items, distances.tolist(), minutes, opens, strict=True
    ):
        item["distance_m"] = distance_m
        item["straight_line_minutes"] = walk
        item["open_now"] = open_now
    return items, next_cursor


def plan(params: NearbyParams) -> Plan:
    """The WGS84 query of the whole result set, this page's size, order and cursor, the query's tag."""
    q_lon, q_lat = point_wgs84(params.lon, params.lat, params.crs)
    k, radius_m = params.k, params.radius_m
    total = k if k is not None else (MAX_K if radius_m is not None else DEFAULT_K)
    after = None
    if params.cursor:
        try:
            after = ranking.decode_cursor(params.cursor)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="cursor") from exc
    try:
        moment = local_moment(params.at, params.tz)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="tz") from exc
    services = checked_list(
        [*(params.services or ()), *(params.service or ())], SERVICES, "services"
    )
    filters = queries.FacilityFilter(
        types=checked_list(params.type, FACILITY_TYPES, "type"),
        statuses=checked_list(params.status, STATUSES, "status") or ("active",),
        services_mask=services_mask(services),
        min_stars=params.min_stars,
        q=params.q,
    )
    query = nearby_search.NearbyQuery(
        lon=q_lon,
        lat=q_lat,
        want=total,
        radius_m=radius_m if radius_m is not None else math.inf,
        filters=filters,
        open_at=moment if params.open_now else None,
    )
    tag_parts = (
        q_lon,
        q_lat,
        total,
        query.radius_m,
        filters,
        params.open_now,
        params.tz,
        params.sort,
    )
    if after is not None and after.query_tag != ranking.query_tag(*tag_parts):
        raise InvalidInput(
            "cursor belongs to a different query (point, k, radius, filters or sort changed); "
            "start again without it",
            field="cursor",
        )
    page_size = params.limit or min(total, MAX_PAGE)
    return Plan(query, page_size, params.sort, after, tag_parts, moment)


def page_json(found: Found, plan: Plan, crs: str) -> bytes:
    """The page as the JSON body ``{"items", "total", "next_cursor"}``.

    In WGS84 each item is its pre-rendered FacilityOut JSON with the three page fields
    spliced in before its closing brace (no decode, no re-encode); other CRSs rewrite
    the coordinates of decoded items.
    """
    if crs != "wgs84":
        items, next_cursor = page_items(found, plan)
        reproject_items(items, crs)
        page = {"items": items, "total": len(found.ids), "next_cursor": next_cursor}
        return orjson.dumps(page, option=ORJSON_OPTIONS, default=str)
    positions, next_cursor = _page_positions(found, plan)
    distances = found.distances_m[positions]
    minutes = ranking.straight_line_minutes(distances).tolist()
    page = positions.tolist()
    parts = []
    for raw, distance_m, walk, open_now in zip(
        found.item_jsons(page),
        distances.tolist(),
        minutes,
        found.opens(page, plan.moment),
        strict=True,
    ):
        # repr of a finite float is its shortest round-trip form: valid JSON, as orjson writes.
        extra = _EXTRA % (distance_m, walk, _JSON_BOOL[open_now])
        parts.append(raw[:-1] + extra.encode())
    return b"".join(
        (
            b'{"items":[',
            b",".join(parts),
            b'],"total":',
            str(len(found.ids)).encode(),
            b',"next_cursor":',
            orjson.dumps(next_cursor),
            b"}",
        )
    )
