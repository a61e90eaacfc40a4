"""A small upstream app for gateway tests: records what it received, answers what it is told.

Built on the real service factory (``create_service_app``) with the real
``IdentityDep``, so a forged identity is refused here exactly as in a service.
Tests steer it: canned answers per path, a delay, a number of failures to give
before answering normally (to make it flap), or a status to always fail with.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request, Response

from services.common.app import create_service_app
from services.common.deps import IdentityDep
from services.common.settings import ServiceSettings


@dataclass
class Behaviour:
    canned: dict[str, tuple[int, Any, dict[str, str]]] = field(default_factory=dict)
    repeated_headers: list[tuple[str, str]] = field(default_factory=list)  # sent on every answer
    delay_s: float = 0.0
    fail_next: int = 0
    fail_status: int = 500
    received: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.canned.clear()
        self.delay_s = 0.0
        self.fail_next = 0
        self.received.clear()
        self.repeated_headers.clear()

    def answer(
        self, method: str, path: str, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        self.canned[f"{method} {path}"] = (status, body, headers or {})

    def paths(self) -> list[str]:
        return [r["path"] for r in self.received]


def stub_app(name: str, database_url: str, identity_secret: str) -> tuple[FastAPI, Behaviour]:
    behaviour = Behaviour()
    router = APIRouter()

    async def record(request: Request, path: str, identity: IdentityDep) -> Response:
        body = await request.body()
        behaviour.received.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": body,
                "identity": identity,
            }
        )
        if behaviour.delay_s:
            await asyncio.sleep(behaviour.delay_s)
        if behaviour.fail_next:
            behaviour.fail_next -= 1
            return Response(
                b'{"detail":"stub failure"}',
                status_code=behaviour.fail_status,
                media_type="application/json",
            )
        method = "GET" if request.method == "HEAD" else request.method  # HEAD answers as GET would
        key = f"{method} {request.url.path}"
        if key in behaviour.canned:
            status, payload, headers = behaviour.canned[key]
            if payload is None:
                return Response(status_code=status, headers=headers)
            raw = payload if isinstance(payload, bytes) else orjson.dumps(payload)
            response = Response(
                raw, status_code=status, headers=headers, media_type="application/json"
            )
            for header, value in behaviour.repeated_headers:
                response.raw_headers.append((header.encode(), value.encode()))
            return response
        payload = {
            "service": name,
            "method": request.method,
            "path": request.url.path,
            "role": identity.role if identity else None,
        }
        return Response(orjson.dumps(payload), media_type="application/json")

    for prefix in ("/api", "/ogc"):
        router.add_api_route(
            prefix + "/{path:path}",
            record,
            methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            include_in_schema=False,
        )
    settings = ServiceSettings(
        service_name="gateway",
        database_url=database_url,
        identity_secret=identity_secret,
        log_level="WARNING",
    )
    app = create_service_app(
        settings, title=f"stub {name}", description="", version="0", routers=[router]
    )
    return app, behaviour
