"""What one gateway app holds for its life: upstreams, authenticator, rate limiter, quotas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from gateway.auth import Authenticator
from gateway.clients import Upstream
from gateway.forwarded import ForwardedFor
from gateway.ratelimit import Quota, RateLimiter
from gateway.settings import GatewaySettings


@dataclass
class Gateway:
    settings: GatewaySettings
    upstreams: dict[str, Upstream]
    authenticator: Authenticator
    limiter: RateLimiter
    quotas: dict[str, Quota]
    forwarded: ForwardedFor | None = None  # how to read X-Forwarded-For; None: not at all
    openapi_cache: dict[str, Any] = field(default_factory=dict)

    async def close(self) -> None:
        for upstream in self.upstreams.values():
            await upstream.close()


def gateway_of(request: Request) -> Gateway:
    return request.app.state.service.extras["gateway"]  # type: ignore[no-any-return]
