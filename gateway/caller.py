"""Per request: who is calling (verified), may they, and are they within their rate limits."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Request

from gateway import policy
from gateway.auth import API_KEY_HEADER
from gateway.bodies import WriteBody, read_body
from gateway.context import Gateway, gateway_of
from gateway.forwarded import ForwardedFor
from services.common.errors import Unauthorized
from services.common.identity import Identity


def client_ip(request: Request, forwarded: ForwardedFor | None) -> str:
    """The caller's address: the socket's peer, or what trusted proxies say (gateway/forwarded.py)."""
    client = request.scope.get("client")
    peer = client[0] if client else "unknown"
    if forwarded is None:
        return peer
    values = [v.decode("latin-1") for k, v in request.scope["headers"] if k == b"x-forwarded-for"]
    return forwarded.client(peer, ", ".join(values) if values else None)


async def identify(gateway: Gateway, request: Request, client: str) -> Identity | None:
    """The verified caller, None without credentials; raises 401, or 429 for an address that
    keeps sending bad credentials.

    Failed attempts count against the ``auth_failures`` quota of the client address
    (``client``): otherwise bad keys would be neither limited (the caller's quotas are only
    known once identified) nor cheap (an unknown key costs a database read, which runs off
    the event loop). An address whose failure budget is spent gets a 429 instead of a key
    lookup.
    """
    headers = request.headers
    api_key = headers.get(API_KEY_HEADER)
    authorization = headers.get("authorization")
    if not api_key and not authorization:
        return None
    auth = gateway.authenticator
    failures, address = gateway.quotas["auth_failures"], "ip:" + client
    try:
        if api_key and not auth.is_cached(api_key):
            await gateway.limiter.refuse_if_empty(failures, address)
            return await anyio.to_thread.run_sync(auth.identify, api_key, authorization)
        return auth.identify(api_key, authorization)
    except Unauthorized:
        await gateway.limiter.hit(failures, address)
        raise


async def admit(
    gateway: Gateway,
    request: Request,
    identity: Identity | None,
    *,
    heavy: bool = False,
    client: str | None = None,
) -> None:
    """Count the request against the caller's quotas (raises 429 with Retry-After).

    ``client`` is the caller's address when the caller already worked it out.
    """
    if identity is None:
        caller = "ip:" + (client or client_ip(request, gateway.forwarded))
        await gateway.limiter.hit(gateway.quotas["anonymous"], caller)
    else:
        caller = identity.subject
        quota = gateway.quotas["anonymous"] if identity.role == "public" else gateway.quotas["key"]
        await gateway.limiter.hit(quota, caller)
    if heavy:
        await gateway.limiter.hit(gateway.quotas["heavy"], caller)


async def read_write_body(gateway: Gateway, request: Request) -> WriteBody:
    """A write's whole body, its digest and, when it is small JSON, its parsed value (for the
    region/facility checks); 413 above ``max_write_body_bytes`` (gateway/bodies.py)."""
    settings = gateway.settings
    return await read_body(
        request.stream(),
        declared_length=request.headers.get("content-length"),
        content_type=request.headers.get("content-type", ""),
        cap_bytes=settings.max_write_body_bytes,
        window_bytes=settings.inspect_body_bytes,
    )


async def caller_for_route(request: Request) -> Identity | None:
    """Dependency for the gateway's own routes: identify, authorize (by path), rate-limit."""
    gateway = gateway_of(request)
    client = client_ip(request, gateway.forwarded)
    identity = await identify(gateway, request, client)
    policy.authorize(identity, request.method, request.url.path)
    await admit(gateway, request, identity, client=client)
    return identity


CallerDep = Annotated[Identity | None, Depends(caller_for_route)]
