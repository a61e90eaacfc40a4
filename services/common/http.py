"""Outgoing HTTP between services: httpx, with the current request id forwarded."""

from __future__ import annotations

from typing import Any

import httpx

from services.common.context import REQUEST_ID_HEADER, current_request_id

DEFAULT_TIMEOUT_S = 5.0


async def _forward_request_id(request: httpx.Request) -> None:
    request_id = current_request_id()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def _forward_request_id_sync(request: httpx.Request) -> None:
    request_id = current_request_id()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def async_client(
    base_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, **kwargs: Any
) -> httpx.AsyncClient:
    """An ``AsyncClient`` that forwards ``X-Request-ID`` on every call."""
    hooks = kwargs.pop("event_hooks", {})
    hooks.setdefault("request", []).append(_forward_request_id)
    return httpx.AsyncClient(base_url=base_url, timeout=timeout_s, event_hooks=hooks, **kwargs)


def sync_client(
    base_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, **kwargs: Any
) -> httpx.Client:
    """A blocking ``Client`` that forwards ``X-Request-ID`` (for threadpool routes and CLIs)."""
    hooks = kwargs.pop("event_hooks", {})
    hooks.setdefault("request", []).append(_forward_request_id_sync)
    return httpx.Client(base_url=base_url, timeout=timeout_s, event_hooks=hooks, **kwargs)
