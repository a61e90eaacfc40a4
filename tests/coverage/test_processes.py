"""The coverage service as a real process: it stops when told, and drops work nobody waits for."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.coverage.factories import grid_network, queued_run
from tests.servers import free_port_block, running_process, wait_until_up

WALK = "/api/v1/coverage/walk-times"
JSON = {"Content-Type": "application/json"}


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metric(base: str, outcome: str) -> float:
    text = httpx.get(base + "/metrics").text
    for line in text.splitlines():
        if line.startswith(f'coverage_walk_times_total{{outcome="{outcome}"}}'):
            return float(line.split()[-1])
    raise AssertionError(f"no coverage_walk_times_total for {outcome}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], str]]:
    """``carecircle serve coverage`` on a 600 x 600 grid (360,000 nodes), one search at a time."""
    lon0, lat0, lon1, lat1 = grid_network(tmp_path / "grid.npz", 600)
    env = {
        "COVERAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'coverage.sqlite3'}",
        "COVERAGE_IMPORT_DIR": str(tmp_path),
        "COVERAGE_WALK_TIMES_CONCURRENCY": "1",
        "COVERAGE_WALK_TIMES_BUDGET_S": "60",
        "CARECIRCLE_LOG_LEVEL": "WARNING",
    }
    with running_process("coverage", env) as (base, proc):
        r = httpx.post(base + "/api/v1/coverage/networks", json={"path": "grid.npz"}, timeout=60)
        assert r.status_code == 201, r.text
        body = (
            f'{{"lon": {lon0}, "lat": {lat0}, '
            f'"stations": [{{"id": "far", "lon": {lon1}, "lat": {lat1}}}]}}'
        )
        yield base, proc, body


def post_and_hang_up(base: str, body: str) -> socket.socket:
    """Send a walk-times request on a raw connection, to be closed before the answer."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        (
            "POST /api/v1/coverage/walk-times HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
    )
    return sock


@pytest.mark.slow
def test_a_disconnected_callers_search_stops(
    served: tuple[str, subprocess.Popen[bytes], str],
) -> None:
    """Twenty callers hang up while queued behind one search: their searches never run.

    Before, each went on to a full search (and a database read of the whole network) after
    its caller had gone; work is counted in the server's CPU seconds, not wall time.
    """
    base, proc, body = served
    one = httpx.post(base + WALK, content=body, headers=JSON, timeout=60)
    assert one.status_code == 200 and one.json()["items"][0]["walk_minutes"] > 0
    before = cpu_s(proc.pid)
    for _ in range(3):
        httpx.post(base + WALK, content=body, headers=JSON, timeout=60)
    per_search = (cpu_s(proc.pid) - before) / 3
    socks = [post_and_hang_up(base, body) for _ in range(20)]
    time.sleep(0.1)  # all twenty have arrived; one is searching, the rest wait
    start = cpu_s(proc.pid)
    for sock in socks:
        sock.close()
    quiet_since, last = time.monotonic(), cpu_s(proc.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() - quiet_since < 1.0 and time.monotonic() < deadline:
        time.sleep(0.2)
        now = cpu_s(proc.pid)
        if now - last > 0.02:
            quiet_since = time.monotonic()
        last = now
    after_hang_up = last - start
    print(f"CPU after the hang-ups {after_hang_up:.3f} s; one search {per_search:.3f} s")
    assert after_hang_up < 3 * per_search + 0.3, (after_hang_up, per_search)
    gone, computed = metric(base, "caller_gone"), metric(base, "computed")
    assert gone + computed == 4 + 20  # every request accounted for
    assert gone >= 10, (gone, computed)  # the rest were searched before their callers hung up


@pytest.mark.slow
def test_sigterm_stops_the_process_with_a_job_running(tmp_path: Path) -> None:
    """A job blocked in its first write (another process holds SQLite's write lock) must not
    keep a SIGTERMed process alive: it exits within seconds, and the run is done next start."""
    db = tmp_path / "coverage.sqlite3"
    url = f"sqlite:///{db}"
    run_id = queued_run(url)
    env = {
        **os.environ,
        "COVERAGE_DATABASE_URL": url,
        "COVERAGE_JOB_STOP_S": "1",
        "CARECIRCLE_LOG_LEVEL": "WARNING",
    }
    port = free_port_block(1)
    holder = sqlite3.connect(db, isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")  # every writer now waits (busy timeout 10 s)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "coverage", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
            time.sleep(0.5)  # the job has started and waits for the lock
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            took = time.monotonic() - started
        finally:
            if proc.poll() is None:
                proc.kill()
    finally:
        holder.rollback()
        holder.close()
    assert took < 5.0, f"exit took {took:.1f} s after SIGTERM"
    # Not failed, not half-done: still waiting, so the next start runs it
    # (test_api.py::test_runs_left_queued_by_a_stopped_process_run_at_startup).
    with sqlite3.connect(db) as check:
        status = check.execute(
            "SELECT status FROM coverage_runs WHERE id = ?", (run_id,)
        ).fetchone()
    assert status[0] in ("queued", "running")


def raw_post(base: str, head: str, body_chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request on a raw socket; stop sending once an answer arrives.

    Returns (the answer's first bytes, body bytes sent before it came).
    """
    host, port = base.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        answer = b""
        for chunk in body_chunks:
            with contextlib.suppress(BlockingIOError):  # nothing to read yet
                answer = sock.recv(65536)
            if answer:
                break
            try:
                sock.setblocking(True)
                sock.settimeout(5)
                sock.sendall(chunk)
                sent += len(chunk)
            except OSError:  # the server closed the connection after its answer
                break
            finally:
                sock.setblocking(False)
        sock.setblocking(True)
        sock.settimeout(10)
        while not answer:
            answer = sock.recv(65536)
    return answer, sent


def test_an_oversized_upload_is_refused_before_it_is_read(coverage_db_url: str) -> None:
    """300 MB announced: 413 at once. Chunked without a length: 413 once 1 MB has arrived,
    not after the multipart parser has spooled all of it."""
    from services.coverage.app import create_app
    from services.coverage.settings import CoverageSettings
    from tests.servers import running_app

    settings = CoverageSettings(database_url=coverage_db_url, max_upload_mb=1)
    with running_app(create_app(settings)) as base:
        head = (
            "POST /api/v1/coverage/demand/upload HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: multipart/form-data; boundary=B\r\n"
        )
        answer, sent = raw_post(base, head + "Content-Length: 300000000\r\n\r\n", iter([]))
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"application/problem+json" in answer and sent == 0
        part = b'--B\r\nContent-Disposition: form-data; name="file"; filename="d.csv"\r\n\r\n'

        def chunked(total_mb: int) -> Iterator[bytes]:
            yield f"{len(part):x}\r\n".encode() + part + b"\r\n"
            block = b"x" * 65536
            for _ in range(total_mb * 16):
                yield f"{len(block):x}\r\n".encode() + block + b"\r\n"

        answer, sent = raw_post(base, head + "Transfer-Encoding: chunked\r\n\r\n", chunked(50))
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert sent < 10_000_000, f"{sent / 1e6:.0f} MB sent before the 413"
