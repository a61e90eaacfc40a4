"""What one rate-limit check costs the gateway, by how many callers the limiter holds.

Baseline: the limiter the gateway used until 2026-12-05, ``limits``' sliding-window counter
on its async storages. Its in-memory storage starts a clean-up task whenever the last one
has finished, and that task walks every key it holds: with the event loop turning between
requests (as in a server), each check pays for every caller seen within the window.
Candidate: the gateway's :class:`gateway.ratelimit.RateLimiter` (token buckets in GCRA form
from ``throttled-py``), one timestamp per caller, O(1) per check.

For each number of callers, the storage is first filled with that many callers, then timed
over ``--hits`` checks spread across them, the loop yielding between checks as a server's
does. Memory and the real Redis (``REDIS_URL``, default the local one), same run. Each
row is the median and spread of ``--runs`` (≥ 3) such measurements, each on a fresh
storage; the last line is ``BENCH_JSON`` (bench/_report.py) with the gateway's ratio to
``limits`` for the same callers and storage.

    .venv/bin/python -m bench.gateway_ratelimit [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import emit, load_avg, row  # noqa: E402

from gateway.ratelimit import Quota, RateLimiter, make_store  # noqa: E402

QUOTA = "1000000/minute"  # never refuses: only the cost of counting is timed
Check = Callable[[str], Awaitable[object]]


def limits_baseline(redis_url: str, prefix: str) -> Check:
    """The former gateway limiter: ``limits`` sliding-window counter, memory or Redis."""
    from limits import parse_many
    from limits.aio.storage import MemoryStorage, RedisStorage
    from limits.aio.strategies import SlidingWindowCounterRateLimiter

    (item,) = parse_many(QUOTA)
    storage = (
        RedisStorage("async+" + redis_url, implementation="redispy", key_prefix=prefix)
        if redis_url
        else MemoryStorage()
    )
    strategy = SlidingWindowCounterRateLimiter(storage)

    async def check(caller: str) -> object:
        return await strategy.hit(item, prefix, "anonymous", caller)

    return check


def gateway_limiter(redis_url: str, prefix: str) -> Check:
    """The gateway's limiter as ``create_app`` builds it."""
    limiter = RateLimiter(make_store(redis_url, 1_000_000), prefix)
    quota = Quota.parse("anonymous", QUOTA)

    async def check(caller: str) -> object:
        return await limiter.hit(quota, caller)

    return check


async def per_check_us(check: Check, callers: int, hits: int) -> float:
    for i in range(callers):  # fill: every caller seen once within the window
        await check(f"ip:10.{i >> 16}.{(i >> 8) & 255}.{i & 255}")
    await asyncio.sleep(0)
    started = time.perf_counter()
    for n in range(hits):
        i = n * 7919 % callers
        await check(f"ip:10.{i >> 16}.{(i >> 8) & 255}.{i & 255}")
        await asyncio.sleep(0)  # the loop turns between requests, as in a server
    return (time.perf_counter() - started) / hits * 1e6


async def run(
    sizes: list[int], hits: int, redis_url: str, runs: int, redis_up_to: int
) -> list[dict[str, Any]]:
    """Print the table; return its BENCH_JSON rows (µs per check, lower is better)."""
    print(
        f"µs per rate-limit check (quota {QUOTA}; {hits} checks per run, spread over the callers; "
        f"median of {runs} runs, spread = max - min)"
    )
    print(
        f"{'callers':>8}  {'storage':<7} {'limits sliding window':>28} {'gateway (GCRA)':>22} {'ratio':>7}"
    )
    rows: list[dict[str, Any]] = []
    for callers in sizes:
        for storage, url in (("memory", ""), ("redis", redis_url)):
            if url and callers > redis_up_to:
                continue
            samples: dict[str, list[float]] = {"limits": [], "gateway": []}
            for _ in range(runs):
                for name, make in (("limits", limits_baseline), ("gateway", gateway_limiter)):
                    prefix = f"cc-bench-{uuid.uuid4().hex[:8]}"
                    samples[name].append(await per_check_us(make(url, prefix), callers, hits))
                    if url:
                        client = redis.Redis.from_url(url)
                        for key in client.scan_iter(f"{prefix}*", count=10_000):
                            client.delete(key)
                        client.close()
            base_name = f"{callers:,} callers, {storage}: limits sliding window"
            base = row(base_name, samples["limits"], unit="µs")
            ours = row(
                f"{callers:,} callers, {storage}: gateway GCRA",
                samples["gateway"],
                unit="µs",
                baseline=base_name,
            )
            rows += [base, ours]
            print(
                f"{callers:>8,}  {storage:<7} {base['median']:>16,.1f} ± {base['spread']:>8,.1f}"
                f" {ours['median']:>12,.1f} ± {ours['spread']:>6,.1f}"
                f" {base['median'] / ours['median']:>6.1f}×"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="up to 10,000 callers (Redis: 1,000), 500 checks"
    )
    parser.add_argument("--hits", type=int, default=0, help="checks timed per row")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median, spread)")
    args = parser.parse_args()
    start = load_avg()
    sizes = [1, 1_000, 10_000] if args.quick else [1, 1_000, 10_000, 50_000]
    hits = args.hits or (500 if args.quick else 2_000)
    import uvloop

    redis_up_to = 1_000 if args.quick else sizes[-1]  # filling Redis is most of the time
    rows = uvloop.run(run(sizes, hits, args.redis_url, max(3, args.runs), redis_up_to))
    print(f"load average at start {start[0]:.2f} / {start[1]:.2f}; the machine is shared")
    emit("gateway_ratelimit", rows, start)


if __name__ == "__main__":
    main()
