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
from services.common.identity import Binding, Identity, sign_identity

BEDS_CONCURRENCY = 10
#: Fields of a nearby answer that a failing part leaves null, in the order ``degraded`` lists them.
DEGRADABLE = ("walk_minutes", "free_beds")


def signed(
    gateway: Gateway, identity: Identity | None, method: str, path_qs: str, body: bytes = b""
) -> dict[str, str]:
    """The caller's identity for one upstream request (bound to its method, path and body)."""
    if identity is None or not gateway.settings.identity_secret:
        return {}
    binding = Binding.of(method, path_qs, body)
    return sign_identity(identity, gateway.settings.identity_secret, binding)


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
    """Facilities by type and status, bed indicators vs targets, plan indicators, latest coverage."""
    budget = gateway.settings.aggregate_timeout_s
    beds_query = urlencode({"region": code, **({"period": period} if period else {})})

    def get(upstream: str, path_qs: str) -> Awaitable[tuple[str, Any]]:
        return _part(_get(gateway, identity, upstream, path_qs), budget)

    (
        (region_s, region),
        (snap_s, snap),
        (ind_s, ind),
        (comp_s, comp),
        (cov_s, cov),
        (plan_s, plan),
    ) = await asyncio.gather(
        get("facilities", f"/api/v1/regions/{code}"),
        get("facilities", f"/api/v1/facilities/snapshot?region={code}"),
        get("beds", f"/api/v1/beds/indicators?{beds_query}"),
        get("beds", f"/api/v1/beds/compliance?{beds_query}"),
        get("coverage", f"/api/v1/coverage/regions/{code}/latest"),
        get("beds", f"/api/v1/plans/indicators?{beds_query}"),
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
    # Every plan indicator with the region's own targets (ADR 0201; served by the beds service).
    out["plans"] = (
        _unavailable("plans", plan)
        if plan_s == "unavailable"
        else {"status": plan_s, "indicators": plan or []}
    )
    out["unavailable"] = [
        part
        for part in ("facilities", "beds", "plans", "coverage")
        if out[part]["status"] == "unavailable"
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
    """The nearest stations by walking minutes, with free beds and open-now.

    Candidates come from the facilities service (2k, at least k+5, at most 50), walking
    minutes for all of them from the coverage service, then free beds for the ``k`` kept
    (not for every candidate: under load that was most of the upstream calls). A part that
    fails or runs past ``aggregate_timeout_s`` leaves its fields null and is named in
    ``degraded`` (``walk_minutes``: straight-line order instead; ``free_beds``), with the
    reason in ``degraded_reasons``: the answer is still a 200, but never silently partial.
    """
    budget = gateway.settings.aggregate_timeout_s
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
            _get(gateway, identity, "facilities", f"/api/v1/facilities/nearby?{urlencode(query)}"),
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
    reasons: dict[str, str] = {}
    walk_status: str = "ok"
    walk: Any = {"items": []}
    if stations:
        payload = {
            "lon": lon,
            "lat": lat,
            # Station ids go as strings: the coverage service's ids are opaque text.
            "stations": [{"id": str(s["id"]), "lon": s["lon"], "lat": s["lat"]} for s in stations],
        }
        walk_status, walk = await _part(
            _post(gateway, identity, "coverage", "/api/v1/coverage/walk-times", payload), budget
        )
    if walk_status == "ok":
        times = {int(row["id"]): row for row in walk.get("items", [])}
        ranked, how = ranking.rank_by_walk(stations, times, k), "walking"
    else:
        ranked, how = ranking.rank_by_distance(stations, k), "straight_line"
        reasons["walk_minutes"] = f"coverage: {walk}"
    limit = asyncio.Semaphore(BEDS_CONCURRENCY)

    async def beds_of(facility_id: int) -> tuple[str, Any]:
        async with limit:
            path = f"/api/v1/beds/facilities/{facility_id}/current"
            return await _part(_get(gateway, identity, "beds", path), budget)

    beds = await asyncio.gather(*(beds_of(int(row["id"])) for row in ranked))
    local = now or datetime.now(ZoneInfo(gateway.settings.timezone))
    for row, (status, report) in zip(ranked, beds, strict=True):
        if status == "unavailable":
            reasons.setdefault("free_beds", f"beds: {report}")
        row["free_beds"] = report.get("free_beds") if status == "ok" else None
        row["beds_period"] = report.get("period") if status == "ok" else None
        row["beds_status"] = status
        row["open_now"] = ranking.is_open(row.get("opening_hours"), local)
    return {
        "items": ranked,
        "ranking": how,
        "degraded": [field for field in DEGRADABLE if field in reasons],
        "degraded_reasons": reasons,
    }


def _get(
    gateway: Gateway, identity: Identity | None, upstream: str, path_qs: str
) -> Awaitable[UpstreamAnswer]:
    headers = signed(gateway, identity, "GET", path_qs)
    return gateway.upstreams[upstream].get_json(path_qs, headers=headers)


def _post(
    gateway: Gateway, identity: Identity | None, upstream: str, path: str, payload: Any
) -> Awaitable[UpstreamAnswer]:
    body = orjson.dumps(payload)
    headers = signed(gateway, identity, "POST", path, body)
    return gateway.upstreams[upstream].post_json(path, body, headers=headers)
