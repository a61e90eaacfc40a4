"""The aggregated views' shared parts, and one region's dashboard (the mobile app's nearby
list is gateway/nearby.py).

Each view fetches its parts from the services in parallel (``asyncio.gather``) with
a per-part time budget; a part that fails is returned marked ``unavailable``
with the reason instead of failing the whole answer.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import orjson

from gateway.clients import UpstreamAnswer
from gateway.context import Gateway
from services.common.errors import (
    CareError,
    InvalidInput,
    NotFound,
    UpstreamError,
)
from services.common.identity import Binding, Identity, sign_identity


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
