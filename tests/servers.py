"""Real HTTP servers for tests that cross a service boundary (no mocks for what users run).

``running_app(app)`` serves an ASGI app with uvicorn in a background thread on a
free loopback port; ``running_process(...)`` starts ``carecircle serve`` as a
real process, which a test can stop, to see what a caller does when a service dies.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port_block(count: int, rng: random.Random | None = None) -> int:
    """The first of ``count`` consecutive free ports, all below the ephemeral range.

    A port from :func:`free_port` is ephemeral: between the check and a server's bind,
    any outgoing connection on the machine may be given it (or its neighbours) as its
    local port. Ports below the range are never handed out that way.
    """
    rng = rng or random.Random()
    low, _ = _ephemeral_range()
    for _ in range(200):
        base = rng.randrange(10_000, max(10_001, low - count))
        if all(_bindable(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports below {low}")


def wait_until_up(url: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up in {timeout_s} s: {last}")


@contextmanager
def running_app(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread; yields its base URL."""
    port = port or free_port_block(1)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz")
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running_process(
    service: str, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``carecircle serve SERVICE`` as a real process; yields (base URL, process)."""
    port = port or free_port_block(1)
    proc_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", service, "--port", str(port)],
        env=proc_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz")
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
