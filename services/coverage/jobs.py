"""Runs execute off the event loop in a worker thread pool (stdlib ``concurrent.futures``).

See docs/decisions/0100-coverage-jobs-in-a-worker-pool.md. The heavy parts (KD-tree
queries, csgraph Dijkstra) are compiled code; one worker by default keeps a run from
starving the API of the shared cores. Status and progress live in the database, so
any replica can answer a poll; runs left queued/running by a stopped process are
picked up again at startup.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class JobPool:
    """A small named thread pool; ``submit`` never blocks the caller."""

    def __init__(self, workers: int = 1) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coverage-run")
        self.futures: dict[int, Future[None]] = {}

    def submit(self, run_id: int, fn: Callable[[int], None]) -> None:
        if run_id in self.futures and not self.futures[run_id].done():
            return
        self.futures[run_id] = self.executor.submit(self._guard, fn, run_id)

    @staticmethod
    def _guard(fn: Callable[[int], None], run_id: int) -> None:
        try:
            fn(run_id)
        except Exception:  # the run row carries the error; never kill the worker
            log.exception("coverage run %s crashed", run_id)

    def wait(self, run_id: int, timeout_s: float | None = None) -> None:
        fut = self.futures.get(run_id)
        if fut is not None:
            fut.result(timeout=timeout_s)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
