"""The nearby fast path: ``GET /api/v1/facilities/nearby`` answered in plain ASGI (ADR 0075).

Every mobile app calls nearby; with the in-memory index its own work is a few tens of
microseconds, less than FastAPI's routing, dependency solving, response classes and the
gzip and body-digest middleware around it. This outermost middleware answers it
directly with the same code as the documented route (:mod:`services.facilities.nearby_view`,
the same JSON byte for byte), still inside the request-id, metrics and access-log
middleware (the route's template labels the metrics), and with errors rendered by the
app's own problem+json handlers. GeoJSON and HEAD requests, and every other path, go
through the app as usual.
"""

from __future__ import annotations

import gzip
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.app import GZIP_MIN_BYTES
from services.common.middleware import ObservabilityMiddleware
from services.common.state import ServiceState
from services.common.validation import check_query_text
from services.facilities import nearby_view
from services.facilities.geojson import wants_geojson
from services.facilities.nearby_params import parse_nearby_params

PATH = "/api/v1/facilities/nearby"
#: As Starlette's GZipMiddleware (the app's, for every other answer).
GZIP_LEVEL = 9


@dataclass(frozen=True)
class _RouteLabel:
    """What the metrics read of ``scope["route"]``: the route's path template."""

    path: str


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class NearbyFastPath:
    """ASGI middleware: the nearby route's JSON answers without the framework's layers."""

    def __init__(self, app: ASGIApp, service_app: FastAPI) -> None:
        self.app = app
        self.service_app = service_app
        self.state: ServiceState[Any] = service_app.state.service
        self.route = _RouteLabel(PATH)
        self.observed = ObservabilityMiddleware(self._nearby, metrics=self.state.metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == PATH
            and scope["method"] == "GET"
            and not wants_geojson(_header(scope, b"accept"))
        ):
            await self.observed(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _nearby(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.route
        scope["app"] = self.service_app
        try:
            query = QueryParams(scope["query_string"])
            check_query_text(query)  # the app's own check (services/common/validation.py)
            params = parse_nearby_params(query)
            plan = nearby_view.plan(params)
            found = await nearby_view.whole_set(self.state, plan.query)
            body = nearby_view.page_json(found, plan, params.crs)
        except Exception as exc:
            response = await self._problem(Request(scope, receive), exc)
            await response(scope, receive, send)
            return
        headers = [(b"content-type", nearby_view.JSON.encode())]
        accept_encoding = _header(scope, b"accept-encoding") or ""
        if "gzip" in accept_encoding and len(body) >= GZIP_MIN_BYTES:
            body = gzip.compress(body, compresslevel=GZIP_LEVEL)
            headers += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _problem(self, request: Request, exc: Exception) -> Any:
        """The app's own answer to ``exc`` (problem+json); re-raised when it has none."""
        for cls in type(exc).__mro__:
            handler = self.service_app.exception_handlers.get(cls)
            if handler is not None:
                response = handler(request, exc)
                return await response if isinstance(response, Awaitable) else response
        raise exc
