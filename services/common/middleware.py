"""One pure-ASGI middleware for request ids, metrics and the access log.

Pure ASGI (not ``BaseHTTPMiddleware``) so it adds microseconds, not a task per
request, and leaves streaming bodies streaming.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.context import (
    REQUEST_ID_HEADER,
    accept_or_new_request_id,
    reset_request_id,
    set_request_id,
)
from services.common.metrics import RequestMetrics

access_log = logging.getLogger("carecircle.access")
_HEADER = REQUEST_ID_HEADER.lower().encode()
UNMATCHED_ROUTE = "<unmatched>"


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/api/v1/facilities/{id}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else UNMATCHED_ROUTE


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == _HEADER:
                incoming = value.decode("latin-1")
                break
        request_id = accept_or_new_request_id(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: list[Any] = list(message.get("headers", []))
                headers.append((_HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed_s = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe(route, scope["method"], status, elapsed_s)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed_s * 1000, 2),
                    },
                )
            reset_request_id(token)
