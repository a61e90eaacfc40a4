"""Who may do what: pure rules over (identity, method, path, what the request names).

The gateway refuses the obvious cases early (wrong role, a region or facility
named in the path, query or JSON body that lies outside the caller's scope);
the services make the authoritative check, because only they know which region
an existing facility sits in. Both read the same signed identity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.common.errors import Forbidden, Unauthorized
from services.common.identity import Identity

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
AUTHENTICATED_ROLES = frozenset({"operator", "official", "planner", "admin"})

#: Path prefixes anyone (no key, or a ``public`` key) may read.
PUBLIC_READ_PREFIXES = ("/api/v1/facilities", "/api/v1/regions", "/ogc", "/api/v1/nearby")
#: Heavy endpoints get their own, tighter, rate limit.
HEAVY_PREFIXES = ("/api/v1/coverage",)

_REGION_IN_PATH = re.compile(r"^/api/v1/regions/(\d{6,12})(?:/|$)")
_FACILITY_IN_BEDS_PATH = re.compile(r"^/api/v1/beds/(?:facilities|reports)/(\d+)(?:/|$)")
_WALK_TIMES = "/api/v1/coverage/walk-times"


@dataclass(frozen=True)
class Scope:
    """What a request names, as far as the gateway can see without asking a service."""

    region_codes: tuple[str, ...] = ()
    facility_ids: tuple[int, ...] = ()


def area(path: str) -> str:
    """The service area a path belongs to: facilities, beds, coverage, gateway or other."""
    if path.startswith(("/api/v1/facilities", "/api/v1/regions", "/ogc")):
        return "facilities"
    if path.startswith(("/api/v1/beds", "/api/v1/plans")):
        return "beds"
    if path.startswith("/api/v1/coverage"):
        return "coverage"
    if path.startswith("/api/v1/gateway"):
        return "gateway"
    return "other"


def is_heavy(method: str, path: str) -> bool:
    """Coverage computations (runs, walk times, siting) cost seconds of CPU each."""
    return method not in READ_METHODS and path.startswith(HEAVY_PREFIXES)


def scope_of(path: str, query: Mapping[str, str], body: Any) -> Scope:
    """Region codes and facility ids named by the path, the ``region`` query and a JSON body."""
    regions: list[str] = []
    facilities: list[int] = []
    if match := _REGION_IN_PATH.match(path):
        regions.append(match.group(1).ljust(12, "0"))
    if match := _FACILITY_IN_BEDS_PATH.match(path):
        facilities.append(int(match.group(1)))
    if region := query.get("region"):
        regions.append(region.ljust(12, "0"))
    items = body if isinstance(body, list) else [body]
    for item in items:
        if not isinstance(item, dict):
            continue
        code = item.get("region_code")
        if isinstance(code, str) and code.isdigit():
            regions.append(code.ljust(12, "0"))
        fid = item.get("facility_id")
        if isinstance(fid, int) and not isinstance(fid, bool):
            facilities.append(fid)
    return Scope(tuple(regions), tuple(facilities))


def authorize(identity: Identity | None, method: str, path: str, scope: Scope = Scope()) -> None:
    """Raise :class:`Unauthorized` (no usable credentials) or :class:`Forbidden` (naming why)."""
    role = identity.role if identity is not None else "anonymous"
    if role == "admin":
        return
    where = area(path)
    if method in READ_METHODS:
        if path.endswith("/dashboard") or where in ("beds", "coverage"):
            _require_authenticated(role, f"reading {path}")
            return
        if path.startswith(PUBLIC_READ_PREFIXES):
            return
        _require_role(role, set(), f"reading {path}")
        return
    # Writes.
    if where == "coverage":
        if path == _WALK_TIMES:
            _require_authenticated(role, "walk-time queries")
            return
        _require_role(role, {"planner"}, f"{method} {path} (coverage runs, scenarios and siting)")
        return
    if path.startswith("/api/v1/regions"):
        _require_role(role, set(), f"{method} {path} (region reference data)")
        return
    if path.startswith("/api/v1/beds/targets"):
        _require_role(role, {"planner"}, f"{method} {path} (plan targets)")
        return
    if path.startswith("/api/v1/plans"):
        _require_role(role, {"official", "planner"}, f"{method} {path} (reported plan figures)")
        assert identity is not None
        if role == "official":
            _require_regions(identity, scope)
        return
    if where == "facilities":
        _require_role(role, {"official"}, f"{method} {path} (registry writes)")
        assert identity is not None
        _require_regions(identity, scope)
        return
    if where == "beds":
        _require_role(role, {"official", "operator"}, f"{method} {path} (bed reports)")
        assert identity is not None
        if role == "operator":
            _require_facilities(identity, scope)
        else:
            _require_regions(identity, scope)
        return
    _require_role(role, set(), f"{method} {path}")


def _require_authenticated(role: str, what: str) -> None:
    if role == "anonymous":
        raise Unauthorized(f"{what} needs an API key (X-API-Key) or a bearer token")
    if role not in AUTHENTICATED_ROLES:
        raise Forbidden(f"role {role} may not do {what}", role=role)


def _require_role(role: str, allowed: set[str], what: str) -> None:
    if role == "anonymous":
        raise Unauthorized(f"{what} needs an API key (X-API-Key) or a bearer token")
    if role not in allowed:
        needed = ", ".join(sorted(allowed | {"admin"}))
        raise Forbidden(f"role {role} may not do {what}; needs one of: {needed}", role=role)


def _require_regions(identity: Identity, scope: Scope) -> None:
    if identity.region_code is None:
        raise Forbidden(
            f"{identity.role} {identity.subject} has no region, so may write nowhere",
            role=identity.role,
        )
    for code in scope.region_codes:
        if not identity.covers_region(code):
            raise Forbidden(
                f"region {code} lies outside {identity.role} {identity.subject}'s region {identity.region_code}",
                role=identity.role,
                region_code=code,
            )


def _require_facilities(identity: Identity, scope: Scope) -> None:
    for fid in scope.facility_ids:
        if fid not in identity.facility_ids:
            raise Forbidden(
                f"facility {fid} is not one of operator {identity.subject}'s facilities",
                role=identity.role,
                facility_id=fid,
            )
