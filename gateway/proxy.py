"""The reverse proxy: each path the route table (gateway/routing.py) gives a service, to it.

Per request: identify the caller, authorize, rate-limit, then forward with
hop-by-hop and client identity headers removed, the verified identity signed,
``X-Request-ID`` kept or made, and the answer streamed back. ``If-None-Match``
and ``ETag`` pass through untouched, so registry reads answer 304s end to end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway import policy
from gateway.auth import API_KEY_HEADER
from gateway.bodies import SpooledBody, WriteBody
from gateway.caller import admit, client_ip, identify, read_write_body
from gateway.clients import UpstreamAnswer
from gateway.context import gateway_of
from gateway.paths import forwardable_query
from gateway.routing import Route
from services.common.context import REQUEST_ID_HEADER
from services.common.errors import CareError
from services.common.identity import EMPTY_BODY_SHA256, Binding, sign_identity

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
#: Never forwarded upstream: hop-by-hop, recomputed, or credentials the services must not see.
#: (Accept-Encoding is dropped so services answer uncompressed on loopback; the gateway gzips once.)
_DROP_REQUEST = HOP_BY_HOP | {
    "host",
    "content-length",
    API_KEY_HEADER.lower(),
    "authorization",
    "accept-encoding",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-request-id",  # the middleware's accepted or new id is sent instead
}
#: Never copied back: hop-by-hop, or set again by our own server and middleware.
_DROP_RESPONSE = HOP_BY_HOP | {"content-length", "date", "server", "x-request-id"}
IDENTITY_PREFIX = "x-carecircle-"


def first_values(raw: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """Each request header's first value by name: one pass instead of a scan per lookup."""
    first: dict[bytes, bytes] = {}
    for name, value in raw:
        first.setdefault(name, value)
    return first


def _named_in_connection(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    return frozenset(token.strip().lower() for token in value.split(",") if token.strip())


def forward_headers(
    raw: list[tuple[bytes, bytes]], first: dict[bytes, bytes], scheme: str, peer: str
) -> list[tuple[str, str]]:
    """The request's headers minus hop-by-hop, credentials and any client-sent identity;
    ``X-Forwarded-For`` gets the address the gateway was connected from, as every proxy's."""
    connection = first.get(b"connection")
    connection_named = _named_in_connection(connection.decode("latin-1") if connection else None)
    out = []
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1")
        if name in _DROP_REQUEST or name in connection_named or name.startswith(IDENTITY_PREFIX):
            continue
        out.append((name, raw_value.decode("latin-1")))
    previous = first.get(b"x-forwarded-for")
    out.append(("x-forwarded-for", f"{previous.decode('latin-1')}, {peer}" if previous else peer))
    # The public address, so services build links (OGC next/prev, Location) that callers can follow.
    host = first.get(b"host")
    if host is not None:
        out.append(("x-forwarded-host", host.decode("latin-1")))
    out.append(("x-forwarded-proto", scheme))
    return out


_KEPT_ON_304 = frozenset(
    {b"etag", b"cache-control", b"content-location", b"date", b"expires", b"vary", b"last-modified"}
)


def etag_matches(if_none_match: str | None, etag: str | None) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` against a response's ``ETag``."""
    if not if_none_match or not etag:
        return False
    if if_none_match.strip() == "*":
        return True
    ours = etag.strip().removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in if_none_match.split(","))


def backward_headers(answer: UpstreamAnswer, base_url: str) -> list[tuple[bytes, bytes]]:
    """The answer's headers, encoded for ASGI, minus hop-by-hop ones; repeated headers stay repeated."""
    connection_named = _named_in_connection(answer.headers.get("connection"))
    out = []
    for name, value in answer.headers.items():
        lower = name.lower()
        if lower in _DROP_RESPONSE or lower in connection_named:
            continue
        if lower == "location" and value.startswith(base_url):
            value = value[len(base_url) :] or "/"
        out.append((lower.encode("latin-1"), value.encode("utf-8")))
    return out


class ProxiedAnswer(Response):
    """A whole upstream answer sent as is: a ``Response`` whose headers are already encoded."""

    def __init__(self, status: int, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        # Response.__init__ would render the body and re-encode a header mapping; both are done.
        self.status_code = status
        self.body = body
        self.raw_headers = raw_headers
        self.background = None


async def proxy(request: Request, route: Route) -> Response:
    """Forward one request to ``route``'s upstream; ``request``'s path passed gateway/paths.py."""
    gateway = gateway_of(request)
    upstream = gateway.upstreams[route.upstream]
    method = request.method
    path = request.scope["path"]  # read from the scope: Request.url builds a URL object each time
    query = forwardable_query(request.scope["query_string"])
    client = client_ip(request, gateway.forwarded)
    identity = await identify(gateway, request, client)
    # Role and quota first: a body is read (up to 1 MiB parsed) only for a caller who may send it.
    policy.check(identity, method, path, route)
    await admit(gateway, request, identity, heavy=policy.is_heavy(method, route), client=client)
    body: bytes | AsyncIterator[bytes] | None = None
    body_sha256 = EMPTY_BODY_SHA256
    written: WriteBody | None = None
    if method not in policy.READ_METHODS:
        written = await read_write_body(gateway, request)
        try:
            scope = policy.scope_of(path, request.query_params, written.parsed)
            policy.check(identity, method, path, route, scope)
        except CareError:
            if isinstance(written.content, SpooledBody):
                written.content.close()
            raise
        body, body_sha256 = written.for_upstream(), written.sha256

    raw = request.scope["headers"]
    first = first_values(raw)
    peer = request.scope.get("client") or ("unknown", 0)
    headers = forward_headers(raw, first, request.scope.get("scheme", "http"), peer[0])
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        headers.append((REQUEST_ID_HEADER, request_id))
    path_qs = path + ("?" + query if query else "")
    if identity is not None and gateway.settings.identity_secret:
        binding = Binding(method, path_qs, body_sha256)
        headers.extend(sign_identity(identity, gateway.settings.identity_secret, binding).items())
    try:
        answer = await upstream.request(method, path_qs, headers=headers, body=body, stream=True)
    finally:
        if written is not None and isinstance(written.content, SpooledBody):
            written.content.close()  # sent, or never to be: the temporary file goes

    out_headers = backward_headers(answer, upstream.base_url)
    if_none_match = first.get(b"if-none-match")
    if (
        if_none_match is not None
        and method in ("GET", "HEAD")
        and answer.status == 200
        and etag_matches(if_none_match.decode("latin-1"), answer.headers.get("etag"))
    ):
        # The service may not evaluate If-None-Match itself; the client still gets its 304.
        if answer.open_body is not None:
            await answer.open_body.close()
        return ProxiedAnswer(304, b"", [h for h in out_headers if h[0] in _KEPT_ON_304])
    if method == "HEAD":  # no body, but the size a GET would send
        if answer.open_body is not None:
            await answer.open_body.close()
        length = answer.headers.get("content-length")
        if length is not None:
            out_headers.append((b"content-length", length.encode("latin-1")))
        return ProxiedAnswer(answer.status, b"", out_headers)
    if answer.open_body is not None:
        streaming = StreamingResponse(
            answer.open_body.chunks(),
            status_code=answer.status,
            background=BackgroundTask(answer.open_body.close),
        )
        streaming.raw_headers = out_headers
        return streaming
    body = answer.body or b""
    if answer.status >= 200 and answer.status not in (204, 304):
        out_headers.append((b"content-length", str(len(body)).encode("latin-1")))
    return ProxiedAnswer(answer.status, body, out_headers)
