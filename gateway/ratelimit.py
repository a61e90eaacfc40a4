"""Rate limits per API key / bearer subject and per client IP: token buckets, with ``throttled-py``.

Each quota rate ("60/minute") is a token bucket per caller — ``limit`` tokens, refilled
at ``limit`` per period — kept in its GCRA form: one timestamp per caller (the time the
bucket would be full again), so a hit is O(1) whatever the number of callers, on Redis
one atomic Lua call. Counts live in Redis when ``REDIS_URL`` is set, so several gateway
replicas share them; in process memory otherwise, as a bounded LRU table (the least
recently seen callers are forgotten first, i.e. start again with a full bucket). If Redis
fails the gateway fails open (serves, logs, counts ``storage_errors``) rather than turning
a cache outage into an API outage. Why not ``limits``' sliding window any more:
docs/decisions/0301.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import timedelta

from throttled.asyncio import BaseStore, MemoryStore, RedisStore, per_duration
from throttled.asyncio.rate_limiter.gcra import GCRARateLimiter

from services.common.errors import TooManyRequests

log = logging.getLogger("carecircle.gateway.ratelimit")

_WHO = {"ip": "client IP", "key": "API key", "user": "bearer token subject"}
_PERIOD_S = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(
    r"^(?P<limit>\d+)\s*(?:/|\s+per\s+)\s*(?P<count>\d+)?\s*(?P<unit>second|minute|hour|day)s?$",
    re.IGNORECASE,
)
#: Seconds a Redis call may take before the limiter gives up on it (and fails open).
REDIS_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``period_s`` seconds, with bursts of up to ``limit``."""

    limit: int
    period_s: int
    text: str

    def __str__(self) -> str:
        return self.text


def parse_rates(text: str) -> list[Rate]:
    """``"60/minute"``, ``"600 per minute; 20/second"``, ``"100/2 hours"`` → rates.

    Raises ValueError naming the part that is not a rate.
    """
    rates = []
    for part in re.split(r"[;,]", text):
        part = part.strip()
        if not part:
            continue
        found = _RATE.match(part)
        if found is None or int(found["limit"]) < 1 or found["count"] == "0":
            raise ValueError(
                f"{part!r} is not a rate; write N/second, N/minute, N/hour or N/day "
                "(several joined by ';')"
            )
        period_s = int(found["count"] or 1) * _PERIOD_S[found["unit"].lower()]
        rates.append(Rate(int(found["limit"]), period_s, part))
    if not rates:
        raise ValueError("no rate given; write e.g. 60/minute")
    return rates


@dataclass
class Quota:
    """One named limit (``anonymous``, ``key``, ``heavy``, ``bad-credentials``): every rate applies."""

    name: str
    rates: list[Rate]

    @classmethod
    def parse(cls, name: str, text: str) -> Quota:
        return cls(name, parse_rates(text))


def make_store(redis_url: str, memory_keys: int) -> BaseStore:
    """Redis (shared between replicas) when a URL is given, else a bounded table in memory."""
    if not redis_url:
        return MemoryStore(options={"MAX_SIZE": memory_keys})
    return RedisStore(
        server=redis_url,
        options={"SOCKET_TIMEOUT": REDIS_TIMEOUT_S, "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT_S},
    )


def _refusal(quota: Quota, rate: Rate, caller: str, retry_after: float) -> TooManyRequests:
    retry_after_s = max(1, math.ceil(retry_after))
    who = _WHO.get(caller.split(":", 1)[0], "caller")
    return TooManyRequests(
        f"{quota.name} rate limit of {rate} exceeded for this {who}",
        headers={"Retry-After": str(retry_after_s)},
        limit=str(rate),
        retry_after_s=retry_after_s,
    )


class RateLimiter:
    """Checks and counts one request against a quota for one caller key."""

    def __init__(self, store: BaseStore, prefix: str) -> None:
        self.store = store
        self.prefix = prefix
        self.storage_errors = 0
        self._buckets: dict[tuple[str, Rate], GCRARateLimiter] = {}

    @property
    def storage_kind(self) -> str:
        return "redis" if isinstance(self.store, RedisStore) else "memory"

    def _buckets_for(self, quota_name: str, rate: Rate) -> GCRARateLimiter:
        buckets = self._buckets.get((quota_name, rate))
        if buckets is None:
            buckets = GCRARateLimiter(
                per_duration(timedelta(seconds=rate.period_s), rate.limit),
                self.store,
                key_prefix=f"{self.prefix}:{quota_name}:{rate.limit}per{rate.period_s}s",
            )
            self._buckets[(quota_name, rate)] = buckets
        return buckets

    async def hit(self, quota: Quota, caller: str) -> None:
        """Take one token from each of the quota's buckets for ``caller``; raise
        :class:`TooManyRequests` with ``Retry-After`` (seconds until a token is back) when one
        is empty."""
        for rate in quota.rates:
            try:
                result = await self._buckets_for(quota.name, rate).limit(caller)
            except Exception as exc:  # storage down: fail open, loudly
                self._storage_failed(exc)
                return
            if result.limited:
                raise _refusal(quota, rate, caller, result.state.retry_after)

    async def refuse_if_empty(self, quota: Quota, caller: str) -> None:
        """Raise :class:`TooManyRequests` if one of the quota's buckets for ``caller`` is empty,
        without taking a token (to refuse work before doing it)."""
        for rate in quota.rates:
            try:
                state = await self._buckets_for(quota.name, rate).peek(caller)
            except Exception as exc:
                self._storage_failed(exc)
                return
            if state.remaining < 1:
                raise _refusal(quota, rate, caller, state.retry_after)

    def _storage_failed(self, exc: Exception) -> None:
        """Storage down: fail open, loudly."""
        self.storage_errors += 1
        log.warning("rate-limit storage failed; allowing", extra={"error": repr(exc)})

    async def check_storage(self) -> bool:
        try:
            await self.store.exists(f"{self.prefix}:ready")
            return True
        except Exception:
            return False
