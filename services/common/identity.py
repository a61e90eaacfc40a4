"""The caller's identity as the gateway verified it, passed to services in a signed header.

The gateway strips any identity headers arriving from outside, then sends
``X-CareCircle-Identity`` (base64url JSON) and ``X-CareCircle-Signature``
(HMAC-SHA256 over the identity and a timestamp). A service reached directly
rejects a missing or forged signature, so it cannot be fooled by a client that
simply writes those headers itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import asdict, dataclass, field

import orjson

IDENTITY_HEADER = "X-CareCircle-Identity"
SIGNATURE_HEADER = "X-CareCircle-Signature"
MAX_CLOCK_SKEW_S = 300

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


def _mac(secret: str, payload: str, timestamp: str) -> str:
    message = f"{timestamp}.{payload}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_identity(identity: Identity, secret: str, now_s: float | None = None) -> dict[str, str]:
    """Headers carrying ``identity``, signed with the shared ``secret``."""
    payload = base64.urlsafe_b64encode(orjson.dumps(asdict(identity))).decode()
    timestamp = str(int(now_s if now_s is not None else time.time()))
    return {
        IDENTITY_HEADER: payload,
        SIGNATURE_HEADER: f"t={timestamp},v1={_mac(secret, payload, timestamp)}",
    }


def verify_identity(
    payload: str, signature: str, secret: str, now_s: float | None = None
) -> Identity:
    """Check the signature and freshness, then decode; raises :class:`IdentityError`."""
    try:
        parts = dict(part.split("=", 1) for part in signature.split(","))
        timestamp, mac = parts["t"], parts["v1"]
        age_s = abs((now_s if now_s is not None else time.time()) - int(timestamp))
    except (ValueError, KeyError) as exc:
        raise IdentityError("malformed identity signature") from exc
    if not hmac.compare_digest(mac, _mac(secret, payload, timestamp)):
        raise IdentityError("identity signature does not verify")
    if age_s > MAX_CLOCK_SKEW_S:
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
