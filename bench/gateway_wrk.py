"""Helpers of the gateway benchmarks: serve an app in a uvicorn process, drive it with wrk.

Not a benchmark itself. Every server runs as its own process with uvloop and
httptools (as ``carecircle serve`` does), on loopback.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import row  # noqa: E402

from tests.servers import free_port_block  # noqa: E402


@dataclass
class WrkResult:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: list[float] | None = None

    def row(self, baseline: WrkResult | None = None) -> str:
        ratio = f"{self.rps / baseline.rps:6.1%}" if baseline else "   —  "
        added = f"{(self.p50_ms / baseline.p50_ms - 1):+7.0%}" if baseline else "    —  "
        return (
            f"{self.label:<34} {self.rps:9.0f} req/s  p50 {self.p50_ms:7.2f} ms  p99 {self.p99_ms:7.2f} ms"
            f"  throughput {ratio} of baseline, p50 {added}  errors {self.errors}"
            + (
                f"  CPU/request {' + '.join(f'{c:.3f}' for c in self.cpu_ms)} ms"
                if self.cpu_ms
                else ""
            )
        )


def median_run(results: list[WrkResult]) -> WrkResult:
    """The run with the median throughput (what the human-readable lines print)."""
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]


def wrk_figures(
    name: str, results: list[WrkResult], baseline: str | None = None
) -> list[dict[str, Any]]:
    """BENCH_JSON rows of repeated wrk runs: req/s (higher is better) and p50 ms (lower).

    ``baseline`` names the req/s row of the baseline; its p50 row is ``baseline + " p50"``.
    """
    return [
        row(name, [r.rps for r in results], "req/s", baseline, better="higher"),
        row(
            f"{name} p50",
            [r.p50_ms for r in results],
            "ms",
            f"{baseline} p50" if baseline else None,
        ),
    ]


def _ms(text: str) -> float:
    value, unit = float(re.match(r"([\d.]+)", text).group(1)), re.sub(r"[\d.]", "", text)  # type: ignore[union-attr]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


#: wrk script: request n comes from client address n mod CALLERS (10.x.y.z).
_CALLERS_LUA = """
local n = 0
request = function()
  n = n + 1
  local i = n % CALLERS
  local ip = "10." .. math.floor(i / 65536) .. "." .. math.floor(i / 256) % 256 .. "." .. i % 256
  return wrk.format(nil, nil, {["X-Forwarded-For"] = ip})
end
"""


def run_wrk(
    label: str,
    url: str,
    *,
    seconds: int,
    connections: int = 32,
    headers: dict[str, str] | None = None,
    callers: int = 1,
) -> WrkResult:
    """One wrk run (1 thread: the servers need the other core).

    ``callers`` > 1: each request carries one of that many client addresses in
    ``X-Forwarded-For``, in turn (a gateway trusting the header sees that many callers).
    """
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if callers > 1:
            script.write(_CALLERS_LUA.replace("CALLERS", str(callers)))
            script.flush()
            cmd += ["-s", script.name]
        out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors_match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(errors_match.group(1)) if errors_match else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return WrkResult(label, rps, p50, p99, errors)


class Served(str):
    """A server's base URL that also knows its process id (for CPU accounting)."""

    pid: int

    def cpu_s(self) -> float:
        """User + system CPU seconds the server and its worker processes have used so far (Linux /proc)."""
        return sum(_cpu_s(pid) for pid in (self.pid, *_children(self.pid)))


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_s(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (uvicorn's workers with ``--workers N``)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return children


def run_wrk_cpu(label: str, url: str, servers: list[Served], **kwargs: object) -> WrkResult:
    """:func:`run_wrk` plus the CPU milliseconds per request each of ``servers`` spent."""
    before = [s.cpu_s() for s in servers]
    result = run_wrk(label, url, **kwargs)  # type: ignore[arg-type]
    total = result.rps * float(kwargs["seconds"])  # type: ignore[arg-type]
    result.cpu_ms = [
        1000 * (s.cpu_s() - b) / max(total, 1) for s, b in zip(servers, before, strict=True)
    ]
    return result


@contextmanager
def uvicorn_process(
    app: str,
    env: dict[str, str] | None = None,
    *,
    factory: bool = True,
    probe: str = "/healthz",
    workers: int = 1,
    server: str = "uvicorn",
) -> Iterator[Served]:
    """Serve ``app`` on a free port with uvloop and no access log; yields its base URL.

    ``server="uvicorn"`` (httptools parser, as ``carecircle serve`` runs) or
    ``"granian"`` (Rust HTTP server, ASGI interface) for comparison runs.
    """
    port = free_port_block(1)
    if server == "granian":
        cmd = [
            sys.executable, "-m", "granian", app, "--interface", "asgi", "--port", str(port),
            "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
            "--workers", str(workers),
        ]  # fmt: skip
    else:
        cmd = [
            sys.executable, "-m", "uvicorn", app, "--port", str(port), "--loop", "uvloop",
            "--http", "httptools", "--no-access-log", "--log-level", "warning",
            "--no-proxy-headers",  # as `carecircle serve`: the app decides whom to trust
        ]  # fmt: skip
        if workers > 1:
            cmd += ["--workers", str(workers)]
    if factory:
        cmd.append("--factory")
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL
    )
    base = Served(f"http://127.0.0.1:{port}")
    base.pid = proc.pid
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + probe, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def load_note() -> str:
    load1, load5, _ = os.getloadavg()
    return (
        f"{os.cpu_count()} cores shared with other agents (load average {load1:.2f} / {load5:.2f} at the end); "
        "figures are only comparable within one run."
    )
