"""Signed identities for tests that call a service directly, as the gateway would.

A signature is bound to one request (method, path and query, body), so tests cannot
reuse a header dict across requests: :class:`SignedAs` is an ``httpx.Auth`` that
signs each request it is used for. ``SignedAs(identity, "wrong-secret")`` forges one.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

from services.common.identity import Binding, Identity, sign_identity


class SignedAs(httpx.Auth):
    requires_request_body = True

    def __init__(self, identity: Identity, secret: str) -> None:
        self.identity = identity
        self.secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        binding = Binding.of(request.method, request.url.raw_path.decode("ascii"), request.content)
        request.headers.update(sign_identity(self.identity, self.secret, binding))
        yield request
