"""Settings of the gateway (env prefix ``GATEWAY_``; upstream URLs and ``REDIS_URL`` are unprefixed)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from gateway.forwarded import ForwardedFor, parse_networks
from gateway.ratelimit import parse_rates
from services.common.settings import ServiceSettings


def _unprefixed(default: Any, env: str, description: str = "") -> Any:
    return Field(
        default,
        validation_alias=AliasChoices(env, env.lower()),
        description=f"{description} (env {env})".strip(),
    )


class GatewaySettings(ServiceSettings):
    """Everything the public entry needs: upstreams, who may call, how often, how patiently."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = "gateway"
    facilities_url: str = _unprefixed(
        "http://127.0.0.1:8001", "FACILITIES_URL", "facilities service"
    )
    beds_url: str = _unprefixed("http://127.0.0.1:8002", "BEDS_URL", "beds service")
    coverage_url: str = _unprefixed("http://127.0.0.1:8003", "COVERAGE_URL", "coverage service")
    redis_url: str = _unprefixed("", "REDIS_URL", "shared rate-limit counters; empty: in memory")

    # Bearer tokens (people). HS256 with a shared secret and/or RS256 with a public key (PEM).
    jwt_secret: str = Field("", description="HS256 key for bearer tokens (env GATEWAY_JWT_SECRET)")
    jwt_public_key: str = Field(
        "", description="RS256 public key, PEM (env GATEWAY_JWT_PUBLIC_KEY)"
    )
    jwt_issuer: str = Field(
        "carecircle", description="required `iss` claim (env GATEWAY_JWT_ISSUER)"
    )
    jwt_audience: str = Field("", description="required `aud` claim when set")

    # Rate limits: token buckets per caller, "N/second|minute|hour|day", several joined by ';'.
    rate_limit_anonymous: str = Field(
        "60/minute", description="per client IP without a key (and per `public` key)"
    )
    rate_limit_key: str = Field("600/minute", description="per API key or bearer-token subject")
    rate_limit_heavy: str = Field(
        "10/minute", description="per caller, on top, for coverage writes (runs, walk times)"
    )
    rate_limit_auth_failures: str = Field(
        "20/minute",
        description="per client IP: requests with a bad API key or bearer token; once spent, "
        "that address gets 429s and no key lookups",
    )
    rate_limit_prefix: str = Field(
        "cc-gw",
        pattern=r"^[^:\s]([^\s]*[^:\s])?$",
        description="Redis key prefix of the rate-limit buckets (no spaces; not starting or ending with ':')",
    )
    rate_limit_memory_keys: int = Field(
        100_000,
        gt=0,
        description="without Redis: buckets kept in memory (caller × rate); the least recently "
        "seen are forgotten first",
    )
    trust_forwarded_for: bool = Field(
        False,
        description="read the client IP from X-Forwarded-For, as appended by the trusted "
        "proxies in front of the gateway (see forwarded_for_hops, trusted_proxies)",
    )
    forwarded_for_hops: int = Field(
        1,
        ge=1,
        le=10,
        description="how many proxies in front of the gateway append to X-Forwarded-For; the "
        "client IP is the address the outermost one appended (that many from the right)",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="IP networks of the proxies in front of the gateway (comma-separated or "
        "JSON list); when set, X-Forwarded-For is read only from them and the client IP is "
        "the rightmost address outside them (forwarded_for_hops is then not used)",
    )

    allow_without_identity_secret: bool = Field(
        False,
        description="let `carecircle serve gateway` bind a non-loopback address without "
        "CARECIRCLE_IDENTITY_SECRET (the services then cannot tell who is calling)",
    )

    # Resilience, per upstream.
    upstream_timeout_s: float = Field(10.0, gt=0, description="total time for one upstream call")
    upstream_timeouts_s: dict[str, float] = Field(
        default_factory=dict, description='per-upstream overrides, JSON, e.g. {"coverage": 30}'
    )
    upstream_connect_timeout_s: float = Field(
        1.0, gt=0, description="time to open a connection to an upstream"
    )
    retries: int = Field(2, ge=0, le=5, description="extra attempts for idempotent requests")
    retry_backoff_s: float = Field(0.05, ge=0, description="first backoff; doubles, with jitter")
    breaker_fail_max: int = Field(5, ge=1, description="consecutive failures that open a breaker")
    breaker_reset_s: float = Field(10.0, gt=0, description="seconds open before a half-open probe")
    pool_size: int = Field(100, ge=1, description="keep-alive connections per upstream")
    max_write_body_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024,
        description="largest write body accepted (413 above; bulk imports)",
    )
    inspect_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="write bodies up to this size are checked for region/facility; larger stream through",
    )

    # Aggregated views and the browser.
    aggregate_timeout_s: float = Field(3.0, gt=0, description="per-part budget of dashboard/nearby")
    timezone: str = Field("Asia/Shanghai", description="local time for opening hours (open_now)")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="JSON list or comma-separated"
    )
    api_key_cache_s: float = Field(30.0, ge=0, description="how long a looked-up key is trusted")

    @field_validator(
        "rate_limit_anonymous", "rate_limit_key", "rate_limit_heavy", "rate_limit_auth_failures"
    )
    @classmethod
    def _rates(cls, value: str) -> str:
        parse_rates(value)  # a ValueError here names the setting and the bad part
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)  # a ValueError here names the setting and the bad entry
        return value

    @model_validator(mode="after")
    def _proxies_need_trust(self) -> GatewaySettings:
        if self.trusted_proxies and not self.trust_forwarded_for:
            raise ValueError(
                "GATEWAY_TRUSTED_PROXIES is set but GATEWAY_TRUST_FORWARDED_FOR is not true: "
                "set both to read client addresses from X-Forwarded-For"
            )
        return self

    def forwarded_for(self) -> ForwardedFor | None:
        """How to read X-Forwarded-For, or None when the socket's peer is the client."""
        if not self.trust_forwarded_for:
            return None
        return ForwardedFor(self.forwarded_for_hops, parse_networks(self.trusted_proxies))

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.strip().startswith("["):
                import orjson

                return orjson.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def upstreams(self) -> dict[str, str]:
        """Upstream name → base URL (no trailing slash)."""
        return {
            "facilities": self.facilities_url.rstrip("/"),
            "beds": self.beds_url.rstrip("/"),
            "coverage": self.coverage_url.rstrip("/"),
        }


def worker_warnings(settings: GatewaySettings, workers: int) -> list[str]:
    """What to tell an operator starting ``workers`` gateway processes with these settings.

    Without Redis each process keeps its own buckets, so every limit silently multiplies.
    """
    if workers > 1 and not settings.redis_url:
        return [
            f"{workers} gateway workers without REDIS_URL: each counts rate limits alone, so "
            f"every limit is {workers}× as loose; set REDIS_URL to share them"
        ]
    return []
