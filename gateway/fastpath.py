"""A short ASGI path for proxied requests, past FastAPI's router and middleware stack.

Proxied prefixes are most of the gateway's traffic and need none of FastAPI's
machinery (no dependency injection, no body models). :class:`GatewayApp` sends
them straight to :func:`gateway.proxy.proxy`, wrapped only in what every answer
needs: the shared request-id/metrics/access-log middleware, gzip, CORS when
configured, and problem+json rendering of errors. It cuts the gateway's CPU per proxied
request (bench/gateway_overhead.py; docs/decisions/0300). Everything else —
the aggregated views, key administration, health, docs — goes through FastAPI
as usual.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from types import SimpleNamespace

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.proxy import ROUTES_TO, proxy
from services.common.app import GZIP_MIN_BYTES
from services.common.errors import CareError
from services.common.handlers import problem_response
from services.common.metrics import RequestMetrics
from services.common.middleware import ObservabilityMiddleware

log = logging.getLogger("carecircle.errors")
#: Gateway-owned routes under a proxied prefix, which FastAPI must answer.
_OWN = re.compile(r"^/api/v1/regions/[^/]+/dashboard/?$")
_PREFIXES = tuple(sorted(ROUTES_TO, key=len, reverse=True))
#: Route labels for the access log and metrics; each also carries the prefix it stands for.
_LABELS = {
    prefix: (
        SimpleNamespace(path=prefix, prefix=prefix),
        SimpleNamespace(path=prefix + "/{rest:path}", prefix=prefix),
    )
    for prefix in ROUTES_TO
}


def proxied_prefix(path: str) -> str | None:
    """The public prefix ``path`` falls under (``/api/v1/beds``), or None."""
    for prefix in _PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return None if _OWN.match(path) else prefix
    return None


class GatewayApp(FastAPI):
    """The gateway's FastAPI app, answering proxied prefixes before FastAPI's own stack runs.

    FastAPI's per-request work (its telemetry check, error, body-limit and
    exception middleware, the router) was about an eighth of a proxied
    request's CPU (0.39 → 0.34 ms); :class:`ProxyFastPath` replaces all of it
    for those paths.
    """

    fast_path: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fast_path is not None and scope["type"] == "http":
            prefix = proxied_prefix(scope["path"])
            if prefix is not None:
                exact, below = _LABELS[prefix]
                scope["route"] = exact if scope["path"] == prefix else below
                scope["app"] = self
                await self.fast_path(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


class ProxyFastPath:
    """Proxied requests through only the shared middleware (request id, metrics, access log),
    gzip, CORS when configured, and problem+json rendering of errors.

    Gzip wraps only answers that may be worth compressing (streamed, or at least
    ``GZIP_MIN_BYTES``): most proxied answers are small, and the middleware's
    per-message wrapping was a measurable share of the gateway's CPU for them.
    """

    def __init__(self, metrics: RequestMetrics, cors: Callable[[ASGIApp], ASGIApp] | None) -> None:
        inner: ASGIApp = self._proxy
        if cors is not None:
            inner = cors(inner)
        self.app = ObservabilityMiddleware(inner, metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def _proxy(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await proxy(request, scope["route"].prefix)  # set by GatewayApp
        except CareError as exc:
            if exc.status >= 500:
                log.error("request failed", extra={"error": exc.detail, "status": exc.status})
            response = problem_response(request, exc)
        except Exception as exc:  # never a bare 500 page
            log.exception("unhandled error", exc_info=exc)
            response = problem_response(
                request, CareError("An unexpected error occurred; it has been logged.")
            )
        if isinstance(response, StreamingResponse) or len(response.body) >= GZIP_MIN_BYTES:
            await GZipMiddleware(response, minimum_size=GZIP_MIN_BYTES)(scope, receive, send)
        else:
            await response(scope, receive, send)
