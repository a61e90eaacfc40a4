"""Rate limits per API key / bearer subject and per client IP, with the ``limits`` package.

Strategy: the sliding-window counter (see docs/decisions/0301). It keeps two
counters per key (this window and the last), weighs the last by how much of it
still overlaps, and so smooths bursts at window edges like a token bucket does,
at O(1) memory per key and one atomic Lua call per hit on Redis. Counts live in
Redis when ``REDIS_URL`` is set, so several gateway replicas share them; in
process memory otherwise. If Redis fails the gateway fails open (serves, logs,
counts ``ratelimit_storage_errors``) rather than turning a cache outage into an
API outage.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from services.common.errors import TooManyRequests

log = logging.getLogger("carecircle.gateway.ratelimit")


_WHO = {"ip": "client IP", "key": "API key", "user": "bearer token subject"}


def make_storage(redis_url: str, prefix: str) -> Storage:
    """Redis (shared between replicas) when a URL is given, else process memory."""
    if not redis_url:
        return MemoryStorage()
    uri = redis_url if redis_url.startswith("async+") else "async+" + redis_url
    return RedisStorage(uri, implementation="redispy", key_prefix=prefix, wrap_exceptions=True)


@dataclass
class Quota:
    """One named limit (``anonymous``, ``key``, ``heavy``) parsed from ``"N/minute;M/second"``."""

    name: str
    items: list[RateLimitItem]

    @classmethod
    def parse(cls, name: str, text: str) -> Quota:
        return cls(name, parse_many(text))


class RateLimiter:
    """Checks and counts one request against a quota for one caller key."""

    def __init__(self, storage: Storage, prefix: str) -> None:
        self.storage = storage
        self.prefix = prefix
        self.strategy = SlidingWindowCounterRateLimiter(storage)
        self.storage_errors = 0

    async def hit(self, quota: Quota, caller: str) -> None:
        """Count one request; raise :class:`TooManyRequests` with ``Retry-After`` when over."""
        for item in quota.items:
            try:
                allowed = await self.strategy.hit(item, self.prefix, quota.name, caller)
            except Exception as exc:  # storage down: fail open, loudly
                self.storage_errors += 1
                log.warning("rate-limit storage failed; allowing", extra={"error": repr(exc)})
                return
            if not allowed:
                retry_after_s = await self._retry_after_s(item, quota.name, caller)
                raise TooManyRequests(
                    f"{quota.name} rate limit of {item} exceeded for this {_WHO.get(caller.split(':', 1)[0], 'caller')}",
                    headers={"Retry-After": str(retry_after_s)},
                    limit=str(item),
                    retry_after_s=retry_after_s,
                )

    async def _retry_after_s(self, item: RateLimitItem, name: str, caller: str) -> int:
        try:
            stats = await self.strategy.get_window_stats(item, self.prefix, name, caller)
            return max(1, math.ceil(stats.reset_time - time.time()))
        except Exception:
            return max(1, item.get_expiry())

    async def check_storage(self) -> bool:
        try:
            return bool(await self.storage.check())
        except Exception:
            return False
