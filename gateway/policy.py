"""Who may do what: pure rules over (identity, method, path, what the request names).

The rules themselves live in the route table (gateway/routing.py). The gateway
refuses the obvious cases early (wrong role, a region or facility named in the
path, query or JSON body that lies outside the caller's scope);
the services make the authoritative check, because only they know which region
an existing facility sits in. Both read the same signed identity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway import routing
from gateway.routing import ANONYMOUS, Route, Rule
from services.common.errors import Forbidden, Unauthorized
from services.common.identity import Identity

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_REGION_IN_PATH = re.compile(r"^/api/v1/regions/(\d{6,12})(?:/|$)")
_FACILITY_IN_BEDS_PATH = re.compile(r"^/api/v1/beds/(?:facilities|reports)/(\d+)(?:/|$)")


@dataclass(frozen=True)
class Scope:
    """What a request names, as far as the gateway can see without asking a service."""

    region_codes: tuple[str, ...] = ()
    facility_ids: tuple[int, ...] = ()


def is_heavy(method: str, route: Route | None) -> bool:
    """Coverage computations (runs, walk times, siting) cost seconds of CPU each."""
    return route is not None and route.heavy and method not in READ_METHODS


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
    check(identity, method, path, routing.resolve(path), scope)


def check(
    identity: Identity | None, method: str, path: str, route: Route | None, scope: Scope = Scope()
) -> None:
    """:func:`authorize` for a request whose route the caller already looked up.

    A path with no entry in the route table has no rule, so only admins pass.
    """
    role = identity.role if identity is not None else ANONYMOUS
    if role == "admin":
        return
    reading = method in READ_METHODS
    rule = _NO_RULE if route is None else route.read if reading else route.write
    if role not in rule.roles:
        what = f"reading {path}" if reading else f"{method} {path}"
        if role == ANONYMOUS:
            raise Unauthorized(f"{what} needs an API key (X-API-Key) or a bearer token")
        needed = ", ".join(sorted(rule.roles - {ANONYMOUS} | {"admin"}))
        raise Forbidden(f"role {role} may not do {what}; needs one of: {needed}", role=role)
    if rule.scoped and not reading:
        assert identity is not None  # anonymous callers are never in a scoped rule's roles
        if role == "operator":
            _require_facilities(identity, scope)
        elif role == "official":
            _require_regions(identity, scope)


_NO_RULE = Rule(frozenset())


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
