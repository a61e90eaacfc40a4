"""``create_app(settings)``: the public gateway — auth, region-scoped rights, rate limits,
resilient proxying to the services and the aggregated views."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from gateway import operations, routes, routing, web
from gateway.auth import API_KEY_HEADER, Authenticator
from gateway.clients import Upstream, UpstreamMetrics
from gateway.context import Gateway
from gateway.fastpath import GatewayApp, ProxyFastPath
from gateway.ratelimit import Quota, RateLimiter, make_store
from gateway.settings import GatewaySettings
from services.common.app import create_service_app
from services.common.docs import router as docs_router
from services.common.health import router as health_router
from services.common.state import ServiceState

log = logging.getLogger("carecircle.gateway")
VERSION = "0.1.0"
DESCRIPTION = """
The one public entry of CareCircle. Registry reads (`/api/v1/facilities`, `/api/v1/regions`, `/ogc`) and
`/api/v1/nearby` are open to anyone; everything else needs an API key (`X-API-Key`) or a person's bearer
token (`Authorization: Bearer …`). Officials write inside their region subtree, operators report beds for
their own facilities, planners run coverage analyses. Errors are RFC 9457 problem+json; 429s and 503s
carry `Retry-After`.
"""
TAGS = [
    {"name": "aggregated views", "description": "One call, several services, fetched in parallel."},
    {"name": "administration", "description": "API keys (admin only)."},
    {"name": "operations", "description": "Health, readiness and metrics."},
]
_REPLACED = {"/openapi.json", "/readyz"}


def build_gateway(settings: GatewaySettings, state: ServiceState[Any]) -> Gateway:
    metrics = UpstreamMetrics(state.metrics.registry)
    return Gateway(
        settings=settings,
        upstreams={
            name: Upstream(name, url, settings, metrics)
            for name, url in settings.upstreams().items()
        },
        authenticator=Authenticator(settings, state.read_sessions),
        limiter=RateLimiter(
            make_store(settings.redis_url, settings.rate_limit_memory_keys),
            settings.rate_limit_prefix,
        ),
        quotas={
            "anonymous": Quota.parse("anonymous", settings.rate_limit_anonymous),
            "key": Quota.parse("key", settings.rate_limit_key),
            "heavy": Quota.parse("heavy", settings.rate_limit_heavy),
            "auth_failures": Quota.parse("bad-credentials", settings.rate_limit_auth_failures),
        },
        forwarded=settings.forwarded_for(),
    )


async def _shutdown(state: ServiceState[Any]) -> None:
    await state.extras["gateway"].close()


def cors_options(origins: list[str]) -> dict[str, Any]:
    """CORS for browsers on the configured origins (FastAPI's routes and the proxy fast path)."""
    return {
        "allow_origins": origins,
        "allow_methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": [
            API_KEY_HEADER,
            "Authorization",
            "Content-Type",
            "If-Match",
            "If-None-Match",
            "Idempotency-Key",
            "X-Request-ID",
        ],
        "expose_headers": [
            "ETag",
            "Location",
            "Retry-After",
            "X-Request-ID",
            "Idempotent-Replayed",
            "X-Degraded",
        ],
        "max_age": 600,
    }


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    if not settings.identity_secret:
        log.warning(
            "CARECIRCLE_IDENTITY_SECRET is empty: callers' identities are not passed to the services, "
            "so services that require one will refuse every write"
        )
    app = create_service_app(
        settings,
        startup_warnings=False,  # the gateway's own warnings are above
        title="CareCircle gateway",
        description=DESCRIPTION,
        version=VERSION,
        routers=[routes.router, web.router],
        on_shutdown=_shutdown,
        openapi_tags=TAGS,
        app_class=GatewayApp,
    )
    assert isinstance(app, GatewayApp)
    state: ServiceState[Any] = app.state.service
    state.extras["gateway"] = build_gateway(settings, state)
    # Our /readyz and /openapi.json (merged) replace the generic ones.
    app.router.routes[:] = [
        r for r in app.router.routes if getattr(r, "path", None) not in _REPLACED
    ]
    app.router.routes[:0] = operations.router.routes
    # Every path FastAPI answers must be the gateway's in the route table: one that the table
    # sent to a service would never be reached, one with no entry would have no rule.
    undeclared = routing.undeclared_gateway_paths(
        [
            str(getattr(r, "path", ""))
            for router in (operations.router, routes.router, web.router, health_router, docs_router)
            for r in router.routes
        ]
    )
    if undeclared:
        raise RuntimeError(f"gateway routes missing from gateway/routing.py: {undeclared}")
    cors = None
    if settings.cors_origins:
        options = cors_options(settings.cors_origins)
        app.add_middleware(CORSMiddleware, **options)
        cors = partial(CORSMiddleware, **options)
    app.fast_path = ProxyFastPath(state.metrics, cors)
    return app
