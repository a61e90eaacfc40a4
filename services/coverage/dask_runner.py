"""Where partition tasks run: a Dask distributed client, in-process or on a scheduler.

``COVERAGE_DASK_SCHEDULER`` empty (the embedded default): a ``LocalCluster`` with one
worker of threads *inside this process*, made the first time a run is split (nothing to
start, nothing to deploy; numpy, scipy's Dijkstra and the KD-tree release the GIL).
``tcp://host:8786``: the scheduler's workers run the tasks (deploy/k8s/base/dask.yaml).
The same tasks go through the same ``Client`` calls either way (ADR 0110).

Tasks are handed out a few at a time (twice the scheduler's threads), so the caller never
holds every piece of a large network at once, and ``on_done`` counts each one finished.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from services.coverage.cpu import cores

_LOCK = threading.Lock()
_CLIENTS: dict[str, Any] = {}


def client_for(address: str | None) -> Any:
    """The process's Dask client for ``address`` (None or "": the in-process cluster)."""
    key = address or ""
    with _LOCK:
        client = _CLIENTS.get(key)
        if client is not None and client.status in ("running", "connecting"):
            return client
        dist = _distributed()
        if key:
            client = dist.Client(key, timeout="20s", set_as_default=False)
        else:
            cluster = dist.LocalCluster(
                n_workers=1,
                threads_per_worker=cores(),
                processes=False,
                dashboard_address=":0",
                silence_logs=40,  # logging.ERROR: the service's own logs stay readable
            )
            client = dist.Client(cluster, set_as_default=False)
        _CLIENTS[key] = client
        return client


def close_all() -> None:
    """Close every client this process made (and the in-process cluster)."""
    with _LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        cluster = getattr(client, "cluster", None)
        try:
            client.close()
            if cluster is not None:
                cluster.close()
        except Exception:  # noqa: BLE001  # closing at exit must never raise
            pass


atexit.register(close_all)


class DaskRunner:
    """Runs ``fn(*args)`` for each task on the Dask client; results in the tasks' order."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address or None

    def map(
        self,
        fn: Callable[..., Any],
        tasks: Iterable[tuple[Any, ...]],
        on_done: Callable[[], None] | None = None,
    ) -> list[Any]:
        client = client_for(self.address)
        window = max(2, 2 * sum(client.nthreads().values()))
        todo: Iterator[tuple[int, tuple[Any, ...]]] = enumerate(tasks)
        results: dict[int, Any] = {}
        position: dict[str, int] = {}

        def submit_next() -> Any:
            item = next(todo, None)
            if item is None:
                return None
            i, args = item
            scattered = client.scatter(list(args), hash=False)
            future = client.submit(_call, fn, *scattered, pure=False)
            position[future.key] = i
            return future

        first = [f for f in (submit_next() for _ in range(window)) if f is not None]
        running = _distributed().as_completed(first, loop=client.loop)
        for future in running:
            results[position.pop(future.key)] = future.result()
            future.release()
            if on_done is not None:
                on_done()
            following = submit_next()
            if following is not None:
                running.add(following)
        return [results[i] for i in range(len(results))]


def _distributed() -> Any:
    """The ``distributed`` package, imported on first use (a second of start-up; untyped)."""
    import importlib

    return importlib.import_module("distributed")


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)
