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
from collections.abc import Callable
from types import SimpleNamespace

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.paths import path_problem
from gateway.proxy import proxy
from gateway.routing import ROUTES, resolve
from services.common.app import GZIP_MIN_BYTES, stop_once_answered
from services.common.errors import BadRequest, CareError
from services.common.handlers import problem_response
from services.common.metrics import RequestMetrics
from services.common.middleware import ObservabilityMiddleware

log = logging.getLogger("carecircle.errors")
#: Route labels for the access log and metrics; each also carries its route table entry.
_LABELS = {
    route.template: (
        SimpleNamespace(path=route.label_exact, entry=route),
        SimpleNamespace(path=route.label_below, entry=route),
    )
    for route in ROUTES
    if route.proxied
}
#: The label of a request refused for its path (answered 400 here, never routed).
REFUSED = SimpleNamespace(path="<refused path>", entry=None)
PATH_PROBLEM = "carecircle.path_problem"


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
            path = scope["path"]
            problem = path_problem(scope.get("raw_path") or path.encode(), path)
            if problem is not None:  # refused before anything routes or reads it
                scope["route"], scope[PATH_PROBLEM] = REFUSED, problem
                scope["app"] = self
                await self.fast_path(scope, receive, send)
                return
            route = resolve(path)
            if route is not None and route.proxied:
                exact, below = _LABELS[route.template]
                scope["route"] = exact if path == route.template else below
                scope["app"] = self
                await self.fast_path(scope, receive, send)
                return
            await self._own_route(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _own_route(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's stack, minus one habit: Starlette's outermost error middleware sends the
        500 answer and then re-raises, and uvicorn closes the connection of any request whose
        app raised, so the client's next request on it got no answer. The error has been
        rendered and logged by then; once the whole answer is out, it stops here."""
        await stop_once_answered(super().__call__, scope, receive, send)


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
            route = scope["route"].entry  # set by GatewayApp
            if route is None:
                raise BadRequest(
                    f"path {scope['path']!r} has {scope[PATH_PROBLEM]}; send it without",
                    field="path",
                )
            response = await proxy(request, route)
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
