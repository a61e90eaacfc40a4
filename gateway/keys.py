"""API key format: ``cc_<key_id>_<secret>``; pure functions, no storage.

The key id (12 hex digits) finds the row; the secret (32 random bytes,
base64url) is checked against its SHA-256. A 256-bit random secret cannot be
brute-forced, so a slow password hash (bcrypt, argon2) would only add
milliseconds to every request without adding safety.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_PREFIX = "cc"
_KEY_RE = re.compile(r"^cc_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: the full text (shown once) and what is stored."""

    key_id: str
    secret_sha256: str
    full_key: str


def new_key() -> NewKey:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewKey(
        key_id=key_id, secret_sha256=hash_secret(secret), full_key=f"{KEY_PREFIX}_{key_id}_{secret}"
    )


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(full_key: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None."""
    match = _KEY_RE.match(full_key.strip())
    return (match.group(1), match.group(2)) if match else None


def secret_matches(secret: str, secret_sha256: str) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(hash_secret(secret), secret_sha256)
