"""The caller's identity as the gateway verified it, passed to services in a signed header.

The gateway strips any identity headers arriving from outside, then sends
``X-CareCircle-Identity`` (base64url JSON) and ``X-CareCircle-Signature``
(``t=<unix seconds>,v2=<HMAC-SHA256>``). The HMAC covers the timestamp, the
request's method, its exact path and query as sent on the wire, the SHA-256 of
its body and the identity, so a captured pair of headers works only for that
same request, and only for ``MAX_AGE_S`` seconds: not for another body, path or
method. A service reached directly rejects a missing, forged, stale or
re-used-elsewhere signature (``services/common/deps.py``), so it cannot be fooled
by a client that simply writes those headers itself. ``BodyDigest`` hashes the
body as the service receives it, whoever reads it (FastAPI's body or form
parsing, or the route itself), so checking costs no second read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

IDENTITY_HEADER = "X-CareCircle-Identity"
SIGNATURE_HEADER = "X-CareCircle-Signature"
#: Seconds a signature is good for, either way of the service's clock (so also the largest
#: clock difference between gateway and services it tolerates).
MAX_AGE_S = 30
#: The SHA-256 of an empty body, in hex.
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
#: Where :class:`BodyDigest` leaves the body's SHA-256 in the ASGI scope once all is received.
BODY_SHA256_SCOPE_KEY = "carecircle.body_sha256"

ROLES = ("public", "operator", "official", "planner", "admin")


@dataclass(frozen=True)
class Identity:
    """Who is calling: a role, an optional region subtree and, for operators, their facilities."""

    subject: str
    role: str
    region_code: str | None = None
    facility_ids: tuple[int, ...] = field(default_factory=tuple)

    def covers_region(self, region_code: str | None) -> bool:
        """True when ``region_code`` lies inside this identity's region subtree (admins: always)."""
        if self.role == "admin":
            return True
        if self.region_code is None or region_code is None:
            return False
        return region_code.startswith(region_prefix(self.region_code))


def region_prefix(code: str) -> str:
    """The prefix every descendant of a 12-digit division code shares.

    Statistical division codes nest as 2+2+2+3+3 digits (province, city,
    district, street, community); a region's descendants share its code up to
    its last non-zero group.
    """
    code = code.ljust(12, "0")
    for width in (2, 4, 6, 9):
        if code[width:] == "0" * (12 - width):
            return code[:width]
    return code


class IdentityError(ValueError):
    """The identity headers are missing, malformed, stale or not signed by our gateway."""


@dataclass(frozen=True)
class Binding:
    """What a signature is good for: one request's method, path and query as sent
    (``/api/v1/facilities/7?crs=EPSG:4490``, still percent-encoded), and its body's SHA-256."""

    method: str
    path_qs: str
    body_sha256: str = EMPTY_BODY_SHA256

    @classmethod
    def of(cls, method: str, path_qs: str, body: bytes = b"") -> Binding:
        return cls(method, path_qs, hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256)


def _mac(secret: str, payload: str, timestamp: str, binding: Binding) -> str:
    message = "\n".join(
        (timestamp, binding.method.upper(), binding.path_qs, binding.body_sha256, payload)
    ).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_identity(
    identity: Identity, secret: str, binding: Binding, now_s: float | None = None
) -> dict[str, str]:
    """Headers carrying ``identity`` for the one request ``binding`` names, signed with ``secret``."""
    payload = base64.urlsafe_b64encode(orjson.dumps(asdict(identity))).decode()
    timestamp = str(int(now_s if now_s is not None else time.time()))
    return {
        IDENTITY_HEADER: payload,
        SIGNATURE_HEADER: f"t={timestamp},v2={_mac(secret, payload, timestamp, binding)}",
    }


def verify_identity(
    payload: str, signature: str, secret: str, binding: Binding, now_s: float | None = None
) -> Identity:
    """Check the signature for this request and its freshness, then decode; raises
    :class:`IdentityError`."""
    try:
        parts = dict(part.split("=", 1) for part in signature.split(","))
        timestamp, mac = parts["t"], parts["v2"]
        age_s = abs((now_s if now_s is not None else time.time()) - int(timestamp))
    except (ValueError, KeyError) as exc:
        raise IdentityError("malformed identity signature") from exc
    if not hmac.compare_digest(mac, _mac(secret, payload, timestamp, binding)):
        raise IdentityError(
            "identity signature does not verify for this method, path, query and body"
        )
    if age_s > MAX_AGE_S:
        raise IdentityError("identity signature is stale")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(payload.encode()))
        data["facility_ids"] = tuple(data.get("facility_ids") or ())
        identity = Identity(**data)
    except (ValueError, TypeError) as exc:
        raise IdentityError("malformed identity payload") from exc
    if identity.role not in ROLES:
        raise IdentityError(f"unknown role {identity.role!r}")
    return identity


def request_path_qs(scope: MutableMapping[str, Any]) -> str:
    """The path and query of an ASGI request as they came on the wire (what a binding names)."""
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


_SIGNATURE = SIGNATURE_HEADER.lower().encode()
Message = MutableMapping[str, Any]


class BodyDigest:
    """ASGI middleware: the SHA-256 of a request body that comes with a signed identity,
    computed as the body is received and left in the scope when its last part has arrived.

    Requests without an identity signature pass untouched (one scan of the header names).
    """

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http" or not any(name == _SIGNATURE for name, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        digest = hashlib.sha256()

        async def hashing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                digest.update(message.get("body", b""))
                if not message.get("more_body", False):
                    scope[BODY_SHA256_SCOPE_KEY] = digest.hexdigest()
            return message

        await self.app(scope, hashing_receive, send)
