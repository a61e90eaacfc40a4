"""Turn a request's credentials into a verified :class:`Identity` (or None: anonymous).

API keys (``X-API-Key``) are looked up in the gateway database and cached for
``api_key_cache_s`` seconds (revoking through the admin endpoint clears the
cache at once; the CLI's revocations reach running gateways within that time).
Bearer tokens are JWTs, HS256 (shared secret) or RS256 (public key), with a
required issuer, ``sub`` and ``exp``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
from sqlalchemy.orm import Session, sessionmaker

from gateway import keys, repository
from gateway.settings import GatewaySettings
from services.common.errors import Unauthorized
from services.common.identity import ROLES, Identity

API_KEY_HEADER = "X-API-Key"  #: where callers send an API key (HTTP names are case-blind)
CLOCK_LEEWAY_S = 30
MAX_CACHED_KEYS = 10_000


@dataclass
class _CachedKey:
    identity: Identity | None  # None: unknown or revoked
    secret_sha256: str
    expires_at: float


@dataclass
class Authenticator:
    """Resolves credentials; one per gateway app."""

    settings: GatewaySettings
    sessions: sessionmaker[Session]
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, _CachedKey] = field(default_factory=dict)

    def forget(self, key_id: str) -> None:
        self._cache.pop(key_id, None)

    def is_cached(self, api_key: str) -> bool:
        parts = keys.split_key(api_key)
        cached = self._cache.get(parts[0]) if parts else None
        return parts is None or (cached is not None and cached.expires_at >= self.clock())

    def identify(self, api_key: str | None, authorization: str | None) -> Identity | None:
        """The caller, None when they sent no credentials; raises Unauthorized on bad ones."""
        if api_key:
            return self._from_api_key(api_key)
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("Authorization must be 'Bearer <token>'")
            return self._from_token(token.strip())
        return None

    def _from_api_key(self, api_key: str) -> Identity:
        parts = keys.split_key(api_key)
        if parts is None:
            raise Unauthorized("malformed API key")
        key_id, secret = parts
        now = self.clock()
        cached = self._cache.get(key_id)
        if cached is None or cached.expires_at < now:
            cached = self._load(key_id, now)
        if cached.identity is None or not keys.secret_matches(secret, cached.secret_sha256):
            raise Unauthorized("unknown or revoked API key")
        return cached.identity

    def _load(self, key_id: str, now: float) -> _CachedKey:
        with self.sessions() as session:
            row = repository.get_api_key(session, key_id=key_id)
            if row is None or row.revoked_at is not None:
                entry = _CachedKey(None, "", now + self.settings.api_key_cache_s)
            else:
                identity = Identity(
                    subject=f"key:{row.key_id}",
                    role=row.role,
                    region_code=row.region_code,
                    facility_ids=tuple(row.facility_ids or ()),
                )
                entry = _CachedKey(identity, row.secret_sha256, now + self.settings.api_key_cache_s)
        if len(self._cache) >= MAX_CACHED_KEYS:  # bounded: random key ids must not grow it forever
            self._cache.clear()
        self._cache[key_id] = entry
        return entry

    def _from_token(self, token: str) -> Identity:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"bearer token rejected: {exc}") from exc
        if algorithm == "HS256" and self.settings.jwt_secret:
            key: str = self.settings.jwt_secret
        elif algorithm == "RS256" and self.settings.jwt_public_key:
            key = self.settings.jwt_public_key
        else:
            raise Unauthorized(f"bearer tokens signed with {algorithm} are not accepted here")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.settings.jwt_issuer,
                audience=self.settings.jwt_audience or None,
                leeway=CLOCK_LEEWAY_S,
                options={
                    "require": ["exp", "sub", "iss"],
                    "verify_aud": bool(self.settings.jwt_audience),
                },
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"bearer token rejected: {exc}") from exc
        return identity_from_claims(claims)


def identity_from_claims(claims: dict[str, object]) -> Identity:
    """Map JWT claims (``sub``, ``role``, ``region_code``, ``facility_ids``) to an identity."""
    role = claims.get("role", "public")
    if role not in ROLES:
        raise Unauthorized(f"bearer token names unknown role {role!r}")
    region = claims.get("region_code")
    if region is not None and not (
        isinstance(region, str) and region.isdigit() and len(region) <= 12
    ):
        raise Unauthorized("bearer token's region_code must be a division code of up to 12 digits")
    raw_ids = claims.get("facility_ids") or []
    if not isinstance(raw_ids, list) or not all(isinstance(i, int) for i in raw_ids):
        raise Unauthorized("bearer token's facility_ids must be a list of integers")
    return Identity(
        subject=f"user:{claims['sub']}",
        role=str(role),
        region_code=region.ljust(12, "0") if isinstance(region, str) else None,
        facility_ids=tuple(raw_ids),
    )
