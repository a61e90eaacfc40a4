"""What one proxied request costs the gateway, in CPU instructions (valgrind's callgrind).

wrk figures on a shared 2-core machine swing by ±10 points between minutes; instruction
counts hardly depend on what else the machine runs (they vary by a few per cent between
runs, as the interleaving of requests in the event loop does). Each subject is an ASGI app driven
in-process (no HTTP server in front, so uvicorn's own parsing is left out of every
figure alike) with the same hello-world GET, ``n`` times, under callgrind; running it at
two sizes and taking the difference removes start-up and import costs:

- ``endpoint``: the hello-world service itself (what the request costs without a proxy);
- ``bare proxy``: a minimal Starlette proxy with the gateway's HTTP client (pyreqwest),
  the floor for any proxy built on that client;
- ``gateway``: ``gateway.app`` with its fast path, rate limit, breaker, metrics and
  request ids, anonymous caller.

Both proxies forward to the hello-world service, run as its own uvicorn process (not
counted). Callgrind counts user-space instructions only: the kernel's share (socket
reads and writes, wake-ups between the event loop and pyreqwest's thread), which a proxy
pays twice, is not in these figures; /proc's CPU times in bench/gateway_overhead.py have
it. The overhead target itself is about wall-clock figures (bench/gateway_overhead.py);
this script says where a change moved the user-space cost.

Baseline: ``endpoint`` (the same request with no proxy), same run. Each subject runs at
``--runs`` + 1 (≥ 4) rising sizes; each figure is the median and spread of the ``--runs``
differences between consecutive sizes (start-up is paid once per callgrind process, so a
chain of sizes gives ≥ 3 figures from the fewest processes). The last line is
``BENCH_JSON`` (bench/_report.py). ``--quick``: 100 + 300 k requests (k = 0..3) and the
endpoint and gateway only — about 1 CPU-minute per process under callgrind; the bare proxy
runs without ``--quick``.

    .venv/bin/python -m bench.gateway_instructions [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import emit, load_avg, row  # noqa: E402

HELLO = "/api/v1/facilities/hello"
SUBJECTS = {
    "endpoint": "bench.gateway_overhead:make_hello_service",
    "bare proxy": "bench.gateway_clients:make_proxy",
    "gateway": "gateway.app:create_app",
}
_COLLECTED = re.compile(r"Collected : (\d+)")


async def drive(app: Any, n: int, concurrency: int = 8) -> None:
    """``n`` GETs of the hello path, ``concurrency`` at a time; every answer must be 200."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": HELLO,
        "raw_path": HELLO.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def one_after_another(count: int) -> None:
        for _ in range(count):
            await app(dict(scope, headers=list(headers)), receive, send)

    await asyncio.gather(*(one_after_another(n // concurrency) for _ in range(concurrency)))
    if set(statuses) != {200}:
        raise RuntimeError(f"answers other than 200: {sorted(set(statuses))}")


def run_subject(factory: str, n: int) -> None:
    """Inside valgrind: build the app, warm it up, then drive ``n`` requests."""
    import importlib

    import uvloop

    module, name = factory.split(":")
    app = getattr(importlib.import_module(module), name)()

    async def main() -> None:
        async with app.router.lifespan_context(app):
            await drive(app, 200)
            await drive(app, n)

    uvloop.run(main())


def instructions(factory: str, n: int, env: dict[str, str]) -> int:
    """Instructions callgrind counted for one whole run of ``factory`` with ``n`` requests."""
    cmd = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        sys.executable, "-m", "bench.gateway_instructions", "--drive", factory, str(n),
    ]  # fmt: skip
    done = subprocess.run(
        cmd,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"{factory} under callgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    from bench.gateway_wrk import uvicorn_process
    from services.common.migrate import upgrade

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="100 + 300 k requests, endpoint and gateway only (not 400 + 800 k, all three)",
    )
    parser.add_argument("--runs", type=int, default=3, help="differences per subject (≥ 3)")
    parser.add_argument("--drive", nargs=2, metavar=("FACTORY", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    start = load_avg()
    repeats = max(3, args.runs)
    if args.drive:
        run_subject(args.drive[0], int(args.drive[1]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: bash scripts/ensure_services.sh --bench")
    first, step = (100, 300) if args.quick else (400, 800)
    sizes = [first + step * k for k in range(repeats + 1)]
    subjects = {k: v for k, v in SUBJECTS.items() if not (args.quick and k == "bare proxy")}
    with tempfile.TemporaryDirectory() as tmp:
        dbs = {name: f"sqlite:///{Path(tmp) / f'{name}.sqlite3'}" for name in ("gateway", "hello")}
        upgrade("gateway", dbs["gateway"])
        upgrade("gateway", dbs["hello"])
        with uvicorn_process(
            "bench.gateway_overhead:make_hello_service", {"BENCH_HELLO_DB": dbs["hello"]}
        ) as hello:
            env = {
                "BENCH_HELLO_DB": dbs["hello"],
                "BENCH_PROXY_CLIENT": "pyreqwest",
                "BENCH_UPSTREAM": str(hello),
                "GATEWAY_DATABASE_URL": dbs["gateway"],
                "GATEWAY_RATE_LIMIT_ANONYMOUS": "100000000/minute",
                "CARECIRCLE_LOG_LEVEL": "WARNING",
                "CARECIRCLE_IDENTITY_SECRET": "bench",
                "FACILITIES_URL": str(hello),
            }
            runs = [(factory, n) for factory in subjects.values() for n in sizes]
            # Callgrind's counts hardly depend on load, so the runs may share the cores.
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                counts = dict(
                    zip(
                        runs,
                        pool.map(lambda one: instructions(one[0], one[1], env), runs),
                        strict=True,
                    )
                )
            figures = [
                row(
                    label,
                    [
                        (counts[factory, big] - counts[factory, small]) / (big - small)
                        for small, big in zip(sizes, sizes[1:], strict=False)
                    ],
                    "instructions/request",
                    None if label == "endpoint" else "endpoint",
                )
                for label, factory in subjects.items()
            ]
    print(
        f"callgrind, in-process ASGI, hello-world GET, {', '.join(map(str, sizes))} requests "
        f"per subject; median of {repeats} consecutive differences (spread = max - min); "
        f"load average at start {start[0]:.2f}"
    )
    by_name = {f["name"]: f["median"] for f in figures}
    for figure in figures:
        count = figure["median"]
        bare = (
            f"  {count / by_name['bare proxy']:5.2f}× the bare proxy"
            if "bare proxy" in by_name
            else ""
        )
        print(
            f"{figure['name']:<11} {count:>10,.0f} instructions/request (spread {figure['spread']:,.0f})"
            f"  {count / by_name['endpoint']:5.2f}× the endpoint{bare}"
        )
    emit("gateway_instructions", figures, start)


if __name__ == "__main__":
    main()
