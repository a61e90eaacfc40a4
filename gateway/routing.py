"""The gateway's one route table: path → who answers it, who may read, who may write, how heavy.

Every public path the gateway answers is named here once. The proxy picks the
upstream from it, the fast path (gateway/fastpath.py) tells proxied paths from the
gateway's own routes by it, the policy (gateway/policy.py) reads its rules, and the
merged OpenAPI document (gateway/openapi.py) takes each service's public paths and
the gateway's own answers from it. A path no entry matches is answered by FastAPI,
i.e. 404 unless it is one of the gateway's operational routes, which have entries too.

Each template matches its own path and everything below it, segment-wise
(``/ogc`` matches ``/ogc/collections`` but not ``/ogcx``); ``{name}`` matches one
segment. When several match, the one with more segments wins (a literal segment
before a ``{name}`` at the same place), so ``/api/v1/regions/{code}/dashboard``
(the gateway's) wins over ``/api/v1/regions`` (the facilities service's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from services.common.identity import ROLES

#: Who answers: one of the services, or the gateway itself (its FastAPI routes).
Upstream = Literal["facilities", "beds", "coverage", "gateway"]
GATEWAY: Final = "gateway"
SERVICES: tuple[Upstream, ...] = ("facilities", "beds", "coverage")
ANONYMOUS: Final = "anonymous"

#: Everyone, with or without a key.
ANYONE = frozenset({ANONYMOUS, *ROLES})
#: Every key role except ``public``: people and systems of the bureaus.
MEMBERS = frozenset(ROLES) - {"public"}
ADMIN = frozenset({"admin"})


@dataclass(frozen=True)
class Rule:
    """Who may send a request of one kind (read or write) to a route.

    ``roles`` may include ``"anonymous"`` (no credentials). With ``scoped``, an
    official may name only regions inside its own subtree and an operator only its
    own facilities (gateway/policy.py, ``scope_of``). Admins may always.
    """

    roles: frozenset[str]
    scoped: bool = False


@dataclass(frozen=True)
class Route:
    """One entry of the table.

    Parameters
    ----------
    template
        Public path template, e.g. ``/api/v1/beds`` or ``/api/v1/regions/{code}/dashboard``.
    upstream
        The service the gateway forwards to, or ``"gateway"``: answered by the gateway.
    read, write
        Rules for GET/HEAD/OPTIONS and for every other method.
    heavy
        Writes cost seconds of CPU upstream: a tighter per-caller quota applies on top.
    aggregates
        A gateway route that calls services (an aggregated view), so may answer 502/503/504.
    """

    template: str
    upstream: Upstream
    read: Rule
    write: Rule
    heavy: bool = False
    aggregates: bool = False

    @property
    def proxied(self) -> bool:
        return self.upstream != GATEWAY

    @property
    def label_exact(self) -> str:
        """The route label of the path itself (access log, metrics)."""
        return self.template

    @property
    def label_below(self) -> str:
        """The route label of a path below the template (never the raw path: bounded labels)."""
        return self.template + "/{rest:path}"


_PUBLIC = Rule(ANYONE)
_MEMBERS = Rule(MEMBERS)
_ADMIN = Rule(ADMIN)

ROUTES: tuple[Route, ...] = (
    # The registry: public reads; officials write inside their region subtree.
    Route("/api/v1/facilities", "facilities", _PUBLIC, Rule(frozenset({"official"}), scoped=True)),
    Route("/api/v1/regions", "facilities", _PUBLIC, _ADMIN),  # region reference data
    Route("/ogc", "facilities", _PUBLIC, Rule(frozenset({"official"}), scoped=True)),
    # Bed reports: operators for their facilities, officials inside their region; plan targets.
    Route("/api/v1/beds", "beds", _MEMBERS, Rule(frozenset({"official", "operator"}), scoped=True)),
    Route("/api/v1/beds/targets", "beds", _MEMBERS, Rule(frozenset({"planner"}))),
    # Plan monitoring, served by the beds service (ADR 0201): officials report figures for
    # their region, planners for any.
    Route("/api/v1/plans", "beds", _MEMBERS, Rule(frozenset({"official", "planner"}), scoped=True)),
    # Coverage: planners run analyses (the service does not check roles itself).
    Route("/api/v1/coverage", "coverage", _MEMBERS, Rule(frozenset({"planner"})), heavy=True),
    Route("/api/v1/coverage/walk-times", "coverage", _MEMBERS, _MEMBERS, heavy=True),
    # The gateway's own routes.
    Route("/api/v1/nearby", GATEWAY, _PUBLIC, _ADMIN, aggregates=True),
    Route("/api/v1/regions/{code}/dashboard", GATEWAY, _MEMBERS, _ADMIN, aggregates=True),
    Route("/api/v1/gateway", GATEWAY, _ADMIN, _ADMIN),  # API keys
    Route("/healthz", GATEWAY, _PUBLIC, _ADMIN),
    Route("/readyz", GATEWAY, _PUBLIC, _ADMIN),  # details for admins only (operations.py)
    Route("/metrics", GATEWAY, _PUBLIC, _ADMIN),
    Route("/openapi.json", GATEWAY, _PUBLIC, _ADMIN),
    Route("/docs", GATEWAY, _PUBLIC, _ADMIN),  # Swagger UI and its files (services/common/docs.py)
    Route("/redoc", GATEWAY, _PUBLIC, _ADMIN),
    # The map page (gateway/web.py) and its files; "/" leads to it.
    Route("/", GATEWAY, _PUBLIC, _ADMIN),
    Route("/map", GATEWAY, _PUBLIC, _ADMIN),
    Route("/favicon.ico", GATEWAY, _PUBLIC, _ADMIN),
    # The map's base layer: the walking network's streets (OpenStreetMap data; no write).
    Route("/api/v1/coverage/streets", "coverage", _PUBLIC, _ADMIN),
)

#: Service routes the gateway never exposes: services call them on each other directly
#: (docs/contracts.md). Listed so that every service route has a home here.
INTERNAL: dict[str, Upstream] = {"/api/v1/registry": "facilities"}

_PARAM = re.compile(r"^\{[A-Za-z_][A-Za-z0-9_]*\}$")
_ANY_PARAM = re.compile(r"\{[^}]+\}")


def _specificity(route: Route) -> tuple[int, tuple[bool, ...]]:
    segments = route.template.split("/")[1:]
    return len(segments), tuple(not _PARAM.match(s) for s in segments)


def _pattern(template: str) -> str:
    parts = ["[^/]+" if _PARAM.match(s) else re.escape(s) for s in template.split("/")[1:]]
    return "/" + "/".join(parts)


def _compile(routes: tuple[Route, ...]) -> tuple[re.Pattern[str], dict[str, Route]]:
    """One regex for the whole table: alternatives ordered most specific first, one group each."""
    ordered = sorted(routes, key=_specificity, reverse=True)
    names = {f"r{i}": route for i, route in enumerate(ordered)}
    alternatives = "|".join(
        f"(?P<{name}>{_pattern(route.template)})(?=/|$)" for name, route in names.items()
    )
    return re.compile(f"^(?:{alternatives})"), names


_TABLE, _BY_GROUP = _compile(ROUTES)


def resolve(path: str) -> Route | None:
    """The entry that governs ``path`` (a decoded, already checked path), or None."""
    found = _TABLE.match(path)
    return _BY_GROUP[found.lastgroup] if found is not None and found.lastgroup else None


def concrete_path(template: str) -> str:
    """A path ``template`` stands for (each ``{name}`` replaced by one segment)."""
    return _ANY_PARAM.sub("x", template)


def undeclared_gateway_paths(paths: list[str]) -> list[str]:
    """Those of the gateway's own route paths that the table does not give to the gateway.

    A FastAPI route whose path the table sends to a service would never be reached
    (the fast path forwards it), and one with no entry would have no rule.
    """
    out = []
    for path in paths:
        route = resolve(concrete_path(path))
        if route is None or route.proxied:
            out.append(path)
    return out
