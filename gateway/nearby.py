"""The mobile app's one call: stations near a person, in walking order, with free beds.

The result set is the facilities service's nearby search with the caller's filters
(the ``k`` nearest matches within ``radius_m``; only ``active`` stations unless
``status=`` asks for others). ``sort=walk`` (the default) orders it by minutes
walked along the street network (coverage service), exactly and page by page:
candidates come nearest first, and a page is final once its last station walks
in fewer minutes than any station not yet fetched could (gateway/ranking.py,
``walk_page``). ``sort=distance`` and ``sort=rating`` are the facilities service's
own order and pages, with walking minutes added. Free beds (beds service) are
looked up for the page's stations only.

A part that fails or runs past ``aggregate_timeout_s`` leaves its fields null and
is named in ``degraded`` with the reason in ``degraded_reasons``: without walking
times the page is in straight-line order (``ranking: straight_line``) and its
cursor continues in that order.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import orjson

from gateway import ranking
from gateway.aggregate import _get, _part, _post, relayed
from gateway.context import Gateway
from services.common.errors import InvalidInput, ServiceUnavailable, UpstreamError
from services.common.identity import Identity
from services.facilities import crs as crs_mod

Sort = Literal["walk", "distance", "rating"]
BEDS_CONCURRENCY = 10
#: The facilities service's page size limit, and its largest k.
FACILITIES_PAGE = 100
MAX_K = 1000
#: Fields of a nearby answer that a failing part leaves null, in the order ``degraded`` lists them.
DEGRADABLE = ("walk_minutes", "free_beds")
CURSOR_VERSION = 1


@dataclass(frozen=True)
class NearbyQuery:
    """One nearby request, as the route checked it (coordinates already WGS84)."""

    lon: float
    lat: float
    crs: str
    radius_m: float
    k: int
    limit: int
    sort: Sort
    cursor: str | None
    #: The facilities service's filters, as sent (type, status, services, q, min_stars, open_now).
    filters: tuple[tuple[str, str], ...]

    def digest(self) -> str:
        """What a cursor must have been made for: the same point, set and order."""
        text = json.dumps([self.lon, self.lat, self.radius_m, self.k, self.sort, self.filters])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def facilities_params(self, sort: str) -> list[tuple[str, str]]:
        params = [
            ("lon", repr(self.lon)),
            ("lat", repr(self.lat)),
            ("radius_m", repr(self.radius_m)),
            ("k", str(self.k)),
            ("sort", sort),
        ]
        return params + list(self.filters)


@dataclass
class _Parts:
    """What the view gathered, and what it had to leave out."""

    reasons: dict[str, str]
    total: int | None = None


async def nearby(gateway: Gateway, identity: Identity | None, query: NearbyQuery) -> dict[str, Any]:
    """One page of the nearby view (see the module docstring)."""
    state = _cursor_state(query)
    parts = _Parts(reasons={})
    mode = state.get("m", "walk" if query.sort == "walk" else query.sort)
    if mode == "walk":
        page, next_state, how = await _walking_page(gateway, identity, query, state, parts)
    elif mode == "straight":
        page, next_state, how = await _straight_page(gateway, identity, query, state, parts)
    else:
        page, next_state, how = await _facilities_order_page(gateway, identity, query, state, parts)
    await _add_beds(gateway, identity, page, parts)
    for row in page:
        # The facilities service answers open_now (services/common/opening_hours.py, one rule).
        row.setdefault("open_now", None)
    _to_crs(page, query.crs)
    next_cursor = None
    if next_state is not None:
        next_cursor = ranking.encode_cursor(
            {"v": CURSOR_VERSION, "q": query.digest(), **next_state}
        )
    return {
        "items": page,
        "total": parts.total,
        "next_cursor": next_cursor,
        "ranking": how,
        "degraded": [field for field in DEGRADABLE if field in parts.reasons],
        "degraded_reasons": parts.reasons,
    }


def _cursor_state(query: NearbyQuery) -> dict[str, Any]:
    if query.cursor is None:
        return {}
    try:
        state = ranking.decode_cursor(query.cursor)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="cursor") from exc
    if state.get("v") != CURSOR_VERSION or state.get("q") != query.digest():
        raise InvalidInput(
            "cursor belongs to a different query (point, k, radius, filters or sort changed); "
            "start again without it",
            field="cursor",
        )
    return state


async def _walking_page(
    gateway: Gateway,
    identity: Identity | None,
    query: NearbyQuery,
    state: dict[str, Any],
    parts: _Parts,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, str]:
    """The next page in walking order, proven final before it is returned (module docstring)."""
    after: ranking.WalkKey | None = None
    if "k" in state:
        minutes, distance_m, last_id = state["k"]
        after = (
            float("inf") if minutes is None else float(minutes),
            float(distance_m),
            int(last_id),
        )
    served = int(state.get("n", 0))
    want = min(query.k, max(4 * (served + query.limit), served + query.limit + 20))
    fetched = _Fetched()
    times: dict[int, dict[str, Any]] = {}
    while True:
        await fetched.up_to(want, gateway, identity, query, "distance", parts)
        unknown = [s for s in fetched.items if int(s["id"]) not in times]
        if unknown:
            status, walk = await _walk_times(gateway, identity, query, unknown)
            if status != "ok":
                parts.reasons["walk_minutes"] = f"coverage: {walk}"
                return await _straight_page(gateway, identity, query, {"n": served}, parts, fetched)
            times.update({int(row["id"]): row for row in walk.get("items", [])})
        rows = [_with_walk(s, times.get(int(s["id"]))) for s in fetched.items]
        farthest = None if fetched.exhausted else float(fetched.items[-1]["distance_m"])
        page, final = ranking.walk_page(rows, after, query.limit, farthest)
        if final or want >= query.k:
            break
        want = min(query.k, 2 * want)
    more = len(page) == query.limit and (
        not fetched.exhausted or served + len(page) < len(fetched.items)
    )
    if not more:
        return page, None, "walking"
    last = ranking.walk_key(page[-1])
    minutes = None if last[0] == float("inf") else last[0]
    return page, {"m": "walk", "n": served + len(page), "k": [minutes, last[1], last[2]]}, "walking"


async def _straight_page(
    gateway: Gateway,
    identity: Identity | None,
    query: NearbyQuery,
    state: dict[str, Any],
    parts: _Parts,
    fetched: _Fetched | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, str]:
    """Straight-line order by position: a walking page the coverage service could not rank,
    and every page after it."""
    served = int(state.get("n", 0))
    fetched = fetched or _Fetched()
    await fetched.up_to(served + query.limit + 1, gateway, identity, query, "distance", parts)
    page = [dict(s) for s in fetched.items[served : served + query.limit]]
    await _annotate_walk(gateway, identity, query, page, parts)
    more = len(fetched.items) > served + len(page)
    return page, ({"m": "straight", "n": served + len(page)} if more else None), "straight_line"


async def _facilities_order_page(
    gateway: Gateway,
    identity: Identity | None,
    query: NearbyQuery,
    state: dict[str, Any],
    parts: _Parts,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, str]:
    """``sort=distance`` or ``sort=rating``: the facilities service's own page and cursor."""
    params = query.facilities_params(query.sort) + [("limit", str(query.limit))]
    if state.get("f"):
        params.append(("cursor", str(state["f"])))
    answer = await _facilities(gateway, identity, params)
    parts.total = answer.get("total")
    page = [dict(s) for s in answer.get("items", [])]
    await _annotate_walk(gateway, identity, query, page, parts)
    following = answer.get("next_cursor")
    how = "rating" if query.sort == "rating" else "straight_line"
    return page, ({"m": query.sort, "f": following} if following else None), how


class _Fetched:
    """Candidates from the facilities service, nearest first, fetched as far as needed."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.cursor: str | None = None
        self.exhausted = False

    async def up_to(
        self,
        count: int,
        gateway: Gateway,
        identity: Identity | None,
        query: NearbyQuery,
        sort: str,
        parts: _Parts,
    ) -> None:
        while len(self.items) < count and not self.exhausted:
            params = query.facilities_params(sort)
            params.append(("limit", str(min(FACILITIES_PAGE, max(1, count - len(self.items))))))
            if self.cursor:
                params.append(("cursor", self.cursor))
            answer = await _facilities(gateway, identity, params)
            if parts.total is None:
                parts.total = answer.get("total")
            self.items += answer.get("items", [])
            self.cursor = answer.get("next_cursor")
            self.exhausted = not self.cursor


async def _facilities(
    gateway: Gateway, identity: Identity | None, params: list[tuple[str, str]]
) -> dict[str, Any]:
    budget = gateway.settings.aggregate_timeout_s
    path = f"/api/v1/facilities/nearby?{urlencode(params)}"
    try:
        found = await asyncio.wait_for(_get(gateway, identity, "facilities", path), budget)
    except TimeoutError as exc:
        raise ServiceUnavailable(
            "upstream facilities did not answer in time", upstream="facilities"
        ) from exc
    if found.status >= 400:
        raise relayed(found, "facilities")
    try:
        body = found.json()
    except orjson.JSONDecodeError as exc:
        raise UpstreamError(
            "upstream facilities answered with invalid JSON", upstream="facilities"
        ) from exc
    if not isinstance(body, dict):
        raise UpstreamError("upstream facilities answered with no page", upstream="facilities")
    return body


def _walk_times(
    gateway: Gateway, identity: Identity | None, query: NearbyQuery, stations: list[dict[str, Any]]
) -> Awaitable[tuple[str, Any]]:
    payload = {
        "lon": query.lon,
        "lat": query.lat,
        # Station ids go as strings: the coverage service's ids are opaque text.
        "stations": [{"id": str(s["id"]), "lon": s["lon"], "lat": s["lat"]} for s in stations],
        "speed_mps": ranking.WALK_SPEED_MPS,
    }
    call = _post(gateway, identity, "coverage", "/api/v1/coverage/walk-times", payload)
    return _part(call, gateway.settings.aggregate_timeout_s)


def _with_walk(station: dict[str, Any], times: dict[str, Any] | None) -> dict[str, Any]:
    """The station with the street network's ``walk_minutes`` and ``network_distance_m``
    (None: unreachable, or not known)."""
    times = times or {}
    return {
        **station,
        "walk_minutes": times.get("walk_minutes"),
        "network_distance_m": times.get("network_distance_m"),
    }


async def _annotate_walk(
    gateway: Gateway,
    identity: Identity | None,
    query: NearbyQuery,
    page: list[dict[str, Any]],
    parts: _Parts,
) -> None:
    """Walking minutes for a page whose order is already decided (in place)."""
    times: dict[int, dict[str, Any]] = {}
    if page:
        status, walk = await _walk_times(gateway, identity, query, page)
        if status == "ok":
            times = {int(row["id"]): row for row in walk.get("items", [])}
        else:
            parts.reasons["walk_minutes"] = f"coverage: {walk}"
    page[:] = [_with_walk(s, times.get(int(s["id"]))) for s in page]


async def _add_beds(
    gateway: Gateway, identity: Identity | None, page: list[dict[str, Any]], parts: _Parts
) -> None:
    """Free beds of the page's stations (in place)."""
    limit = asyncio.Semaphore(BEDS_CONCURRENCY)
    budget = gateway.settings.aggregate_timeout_s

    async def beds_of(facility_id: int) -> tuple[str, Any]:
        async with limit:
            path = f"/api/v1/beds/facilities/{facility_id}/current"
            return await _part(_get(gateway, identity, "beds", path), budget)

    beds = await asyncio.gather(*(beds_of(int(row["id"])) for row in page))
    for row, (status, report) in zip(page, beds, strict=True):
        if status == "unavailable":
            parts.reasons.setdefault("free_beds", f"beds: {report}")
        row["free_beds"] = report.get("free_beds") if status == "ok" else None
        row["beds_period"] = report.get("period") if status == "ok" else None
        row["beds_status"] = status


def _to_crs(page: list[dict[str, Any]], crs: str) -> None:
    """The page's coordinates in the caller's CRS (in place; the services answer WGS84)."""
    if crs == "wgs84" or not page:
        return
    lons, lats = crs_mod.from_wgs84([r["lon"] for r in page], [r["lat"] for r in page], crs)
    for row, lon, lat in zip(page, lons.tolist(), lats.tolist(), strict=True):
        row["lon"], row["lat"] = lon, lat
