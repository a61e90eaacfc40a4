"""The aggregated views: one region's dashboard and the mobile app's nearby list.

Each fetches its parts from the services in parallel (``asyncio.gather``) with
a per-part time budget; a part that fails is returned marked ``unavailable``
with the reason instead of failing the whole answer.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson

from gateway import ranking
from gateway.clients import UpstreamAnswer
from gateway.context import Gateway
from services.common.errors import (
    CareError,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    UpstreamError,
)
from services.common.identity import Identity, sign_identity

BEDS_CONCURRENCY = 10


def _identity_headers(gateway: Gateway, identity: Identity | None) -> dict[str, str]:
    if identity is None or not gateway.settings.identity_secret:
        return {}
    return sign_identity(identity, gateway.settings.identity_secret)


async def _part(call: Awaitable[UpstreamAnswer], timeout_s: float) -> tuple[str, Any]:
    """``("ok", json)``, ``("none", None)`` on 404, or ``("unavailable", reason)``."""
    try:
        answer = await asyncio.wait_for(call, timeout_s)
    except TimeoutError:
        return "unavailable", "timed out"
    except CareError as exc:
        return "unavailable", exc.detail
    if answer.status == 404:
        return "none", None
    if answer.status >= 400:
        return "unavailable", f"answered {answer.status}"
    try:
        return "ok", answer.json()
    except orjson.JSONDecodeError:
        return "unavailable", "answered with invalid JSON"


def relayed(answer: UpstreamAnswer, upstream: str) -> CareError:
    """A service's error answer to a part the view cannot do without, as the view's own error.

    A 4xx is the caller's mistake in a parameter the gateway passed on (the same name
    here): it keeps its status and the service's ``errors`` naming the field. Anything
    else is a 502 naming the service.
    """
    try:
        problem = answer.json()
    except orjson.JSONDecodeError:
        problem = None
    if not isinstance(problem, dict):
        problem = {}
    detail = str(problem.get("detail") or f"upstream {upstream} answered {answer.status}")
    if answer.status == 422:
        return InvalidInput(detail, errors=problem.get("errors") or [])
    if 400 <= answer.status < 500:
        error = CareError(detail, errors=problem.get("errors") or [])
        error.status, error.title = answer.status, HTTPStatus(answer.status).phrase
        error.slug = error.title.lower().replace(" ", "-")
        return error
    return UpstreamError(
        f"upstream {upstream} failed (it answered {answer.status})",
        upstream=upstream,
        upstream_status=answer.status,
    )


def _unavailable(name: str, reason: Any) -> dict[str, Any]:
    return {"status": "unavailable", "reason": f"{name}: {reason}"}


async def dashboard(
    gateway: Gateway, identity: Identity | None, code: str, period: str | None
) -> dict[str, Any]:
    """Facilities by type and status, bed indicators vs targets, latest coverage, for one region."""
    up = gateway.upstreams
    budget = gateway.settings.aggregate_timeout_s
    headers = _identity_headers(gateway, identity)
    beds_query = urlencode({"region": code, **({"period": period} if period else {})})
    (
        (region_s, region),
        (snap_s, snap),
        (ind_s, ind),
        (comp_s, comp),
        (cov_s, cov),
    ) = await asyncio.gather(
        _part(up["facilities"].get_json(f"/api/v1/regions/{code}", headers=headers), budget),
        _part(
            up["facilities"].get_json(
                f"/api/v1/facilities/snapshot?region={code}", headers=headers
            ),
            budget,
        ),
        _part(
            up["beds"].get_json(f"/api/v1/beds/indicators?{beds_query}", headers=headers), budget
        ),
        _part(
            up["beds"].get_json(f"/api/v1/beds/compliance?{beds_query}", headers=headers), budget
        ),
        _part(
            up["coverage"].get_json(f"/api/v1/coverage/regions/{code}/latest", headers=headers),
            budget,
        ),
    )
    if region_s == "none" and not (snap_s == "ok" and snap.get("items")):
        # Unknown to the registry and nothing registered under it: a typo, not an empty region.
        raise NotFound(f"region {code} does not exist", region_code=code)
    out: dict[str, Any] = {"region_code": code, "region": region if region_s == "ok" else None}
    if snap_s == "ok":
        items = snap.get("items", [])
        out["facilities"] = {
            "status": "ok",
            "registry_version": snap.get("registry_version"),
            "total": len(items),
            "by_type": dict(Counter(i.get("type") for i in items)),
            "by_status": dict(Counter(i.get("status") for i in items)),
            "capacity": sum(i.get("capacity") or 0 for i in items),
        }
    else:
        out["facilities"] = _unavailable("facilities", snap)
    if ind_s == "unavailable" or comp_s == "unavailable":
        out["beds"] = _unavailable("beds", ind if ind_s == "unavailable" else comp)
    else:
        out["beds"] = {
            "status": "ok" if ind_s == "ok" else "none",
            "indicators": ind,
            "compliance": (comp or {}).get("items", []) if comp_s == "ok" else [],
        }
    if cov_s == "unavailable":
        out["coverage"] = _unavailable("coverage", cov)
    else:
        out["coverage"] = {"status": cov_s, "latest": cov}
    out["unavailable"] = [
        part for part in ("facilities", "beds", "coverage") if out[part]["status"] == "unavailable"
    ]
    return out


async def nearby(
    gateway: Gateway,
    identity: Identity | None,
    *,
    lon: float,
    lat: float,
    k: int,
    radius_m: float,
    types: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The nearest stations by walking minutes, with free beds and open-now (see module doc)."""
    up = gateway.upstreams
    budget = gateway.settings.aggregate_timeout_s
    headers = _identity_headers(gateway, identity)
    candidates = min(max(2 * k, k + 5), 50)
    query = {
        "lon": lon,
        "lat": lat,
        "k": candidates,
        "radius_m": radius_m,
        **({"type": types} if types else {}),
    }
    try:
        found = await asyncio.wait_for(
            up["facilities"].get_json(
                f"/api/v1/facilities/nearby?{urlencode(query)}", headers=headers
            ),
            budget,
        )
    except TimeoutError as exc:
        raise ServiceUnavailable(
            "upstream facilities did not answer in time", upstream="facilities"
        ) from exc
    if found.status >= 400:
        raise relayed(found, "facilities")
    try:
        stations = found.json().get("items", [])
    except (orjson.JSONDecodeError, AttributeError) as exc:
        raise UpstreamError(
            "upstream facilities answered with invalid JSON", upstream="facilities"
        ) from exc
    walk_call = up["coverage"].post_json(
        "/api/v1/coverage/walk-times",
        {
            "lon": lon,
            "lat": lat,
            # Station ids go as strings: the coverage service's ids are opaque text.
            "stations": [{"id": str(s["id"]), "lon": s["lon"], "lat": s["lat"]} for s in stations],
        },
        headers=headers,
    )
    limit = asyncio.Semaphore(BEDS_CONCURRENCY)

    async def beds_of(facility_id: int) -> tuple[str, Any]:
        async with limit:
            return await _part(
                up["beds"].get_json(
                    f"/api/v1/beds/facilities/{facility_id}/current", headers=headers
                ),
                budget,
            )

    walk, *beds = (
        await asyncio.gather(_part(walk_call, budget), *(beds_of(int(s["id"])) for s in stations))
        if stations
        else (("ok", {"items": []}),)
    )
    degraded: list[str] = []
    if walk[0] == "ok":
        times = {int(row["id"]): row for row in walk[1].get("items", [])}
        ranked, how = ranking.rank_by_walk(stations, times, k), "walking"
    else:
        ranked, how = ranking.rank_by_distance(stations, k), "straight_line"
        degraded.append("coverage")
    beds_by_id = {int(s["id"]): b for s, b in zip(stations, beds, strict=True)}
    local = now or datetime.now(ZoneInfo(gateway.settings.timezone))
    beds_down = False
    for row in ranked:
        status, report = beds_by_id[int(row["id"])]
        beds_down = beds_down or status == "unavailable"
        row["free_beds"] = report.get("free_beds") if status == "ok" else None
        row["beds_period"] = report.get("period") if status == "ok" else None
        row["beds_status"] = status
        row["open_now"] = ranking.is_open(row.get("opening_hours"), local)
    if beds_down:
        degraded.append("beds")
    return {"items": ranked, "ranking": how, "degraded": degraded}
