"""Runs execute off the event loop in a few daemon worker threads that stop when told.

See docs/decisions/0100-coverage-jobs-in-a-worker-pool.md. The heavy parts (KD-tree
queries, csgraph Dijkstra) are compiled code; one worker by default keeps a run from
starving the API of the shared cores. Status and progress live in the database, so
any replica can answer a poll; runs left queued or running by a stopped process are
picked up again at startup.

Why not ``concurrent.futures``: its threads are joined when the interpreter exits, so a
long run kept a SIGTERMed process alive until it finished. Here ``shutdown`` sets a stop
flag (a run checks it at every stage boundary and goes back to the queue), waits a few
seconds, and daemon threads never hold the process beyond that.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Job = Callable[[int, threading.Event], None]


class JobPool:
    """``workers`` daemon threads running ``job(run_id, stop)``; ``submit`` never blocks."""

    def __init__(self, job: Job, workers: int = 1) -> None:
        self.job = job
        self.stop = threading.Event()
        self.queue: queue.Queue[int | None] = queue.Queue()
        self.pending: set[int] = set()  # queued or running
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._work, name=f"coverage-run-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, run_id: int) -> None:
        """Queue a run unless it is already queued or running (or the pool is stopping)."""
        with self.lock:
            if run_id in self.pending or self.stop.is_set():
                return
            self.pending.add(run_id)
        self.queue.put(run_id)

    def _work(self) -> None:
        while True:
            run_id = self.queue.get()
            if run_id is None or self.stop.is_set():
                return
            try:
                self.job(run_id, self.stop)
            except Exception:  # the run row carries the error; never kill the worker
                log.exception("coverage run %s crashed", run_id)
            finally:
                with self.lock:
                    self.pending.discard(run_id)

    def busy(self) -> bool:
        """Whether a run is queued or running."""
        with self.lock:
            return bool(self.pending)

    def shutdown(self, timeout_s: float = 3.0) -> None:
        """Stop taking runs, ask the running ones to stop, wait up to ``timeout_s`` for them."""
        self.stop.set()
        for _ in self.threads:
            self.queue.put(None)
        deadline = time.monotonic() + timeout_s
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in self.threads if t.is_alive()]
        if stuck:
            log.warning(
                "coverage jobs still running at shutdown; left to the process exit",
                extra={"threads": stuck},
            )
