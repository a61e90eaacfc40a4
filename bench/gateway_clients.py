"""Which HTTP client should the gateway proxy with? Measure, same run, same upstream.

A minimal FastAPI hello-world upstream is served directly and through a minimal
Starlette proxy built on each candidate client: httpx with default settings,
httpx tuned (bigger pool, no hooks, keep-alive), httpcore's connection pool
used directly (httpx without its wrapper), aiohttp, aiosonic, and two clients
whose HTTP work runs in Rust (pyreqwest over reqwest/hyper, rnet over wreq).
The proxy runs under uvicorn (uvloop + httptools); ``@granian`` rows run the same
proxy under Granian, whose HTTP parsing and writing is Rust too. Each figure is
printed with its ratio to the direct baseline (the same upstream, no proxy).

Every figure is the median and spread of ``--runs`` (≥ 3) wrk runs; each candidate's runs
alternate with runs of the direct baseline, so that the baseline is measured as often as
the load changes (its row gathers all of them). The last line is ``BENCH_JSON``
(bench/_report.py). ``--quick``: 2 s per run and three candidates (httpx as it comes,
aiohttp, and pyreqwest, the client the gateway uses); ``--only`` or no ``--quick`` for all.

    .venv/bin/python -m bench.gateway_clients [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import emit, load_avg  # noqa: E402

CLIENT_ENV = "BENCH_PROXY_CLIENT"
UPSTREAM_ENV = "BENCH_UPSTREAM"


def make_upstream() -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


def make_proxy() -> Any:
    """A Starlette app forwarding every GET to the upstream with the client named in the env."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    kind = os.environ[CLIENT_ENV]
    upstream = os.environ[UPSTREAM_ENV]
    state: dict[str, Any] = {}

    async def startup() -> None:
        if kind == "httpx-default":
            import httpx

            state["client"] = httpx.AsyncClient(base_url=upstream)
        elif kind == "httpx-tuned":
            import httpx

            limits = httpx.Limits(
                max_connections=200, max_keepalive_connections=200, keepalive_expiry=30
            )
            state["client"] = httpx.AsyncClient(
                base_url=upstream, limits=limits, timeout=10, trust_env=False
            )
        elif kind == "httpcore":
            import httpcore

            state["client"] = httpcore.AsyncConnectionPool(
                max_connections=200, max_keepalive_connections=200
            )
        elif kind == "aiosonic":
            import aiosonic

            state["client"] = aiosonic.HTTPClient(
                aiosonic.TCPConnector(
                    pool_configs={":default": {"size": 200, "max_conn_requests": None}}
                ),
                handle_cookies=False,
            )
        elif kind == "pyreqwest":
            from pyreqwest.client import ClientBuilder

            state["client"] = ClientBuilder().max_connections(200).build()
        elif kind == "rnet":
            import rnet

            state["client"] = rnet.Client()
        elif kind == "aiohttp":
            import aiohttp

            state["client"] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=200),
                auto_decompress=False,
                skip_auto_headers=("User-Agent",),
            )

    async def forward(request: Request) -> Response:
        client = state["client"]
        url = upstream + request.url.path
        if kind.startswith("httpx"):
            r = await client.get(request.url.path)
            return Response(r.content, r.status_code, media_type=r.headers.get("content-type"))
        if kind == "httpcore":
            r = await client.request("GET", url)
            return Response(r.content, r.status, media_type="application/json")
        if kind == "aiosonic":
            r = await client.get(url)
            return Response(await r.content(), r.status_code, media_type="application/json")
        if kind == "pyreqwest":
            r = await client.get(url).build().send()
            body = bytes(await r.bytes())
            return Response(body, r.status, media_type=r.get_header("content-type"))
        if kind == "rnet":
            r = await client.get(url)
            return Response(await r.bytes(), r.status, media_type="application/json")
        async with client.get(url) as r:
            return Response(await r.read(), r.status, media_type=r.headers.get("Content-Type"))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        await startup()
        yield

    return Starlette(routes=[Route("/{path:path}", forward)], lifespan=lifespan)


CANDIDATES = [
    "httpx-default",
    "httpx-tuned",
    "httpcore",
    "aiohttp",
    "aiosonic",
    "pyreqwest",
    "rnet",
]
#: Candidates re-run with the proxy under Granian instead of uvicorn.
ON_GRANIAN = ["aiohttp", "pyreqwest"]
#: What ``--quick`` runs: httpx as it comes, the usual asyncio client, the gateway's client.
QUICK = ["httpx-default", "aiohttp", "pyreqwest"]


def main() -> None:
    from bench.gateway_wrk import (
        load_note,
        median_run,
        run_wrk,
        run_wrk_cpu,
        uvicorn_process,
        wrk_figures,
    )

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="2 s per run instead of 10, three candidates"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per figure (≥ 3)")
    parser.add_argument(
        "--only", nargs="*", help="run only these candidates (names as printed, e.g. aiohttp rnet)"
    )
    args = parser.parse_args()
    start = load_avg()
    seconds = 2 if args.quick else 10
    runs_per = max(3, args.runs)
    only = args.only or (QUICK if args.quick else None)
    direct_runs: list[Any] = []
    results: list[tuple[str, list[Any]]] = []
    with uvicorn_process("bench.gateway_clients:make_upstream") as upstream:

        def direct() -> Any:
            return run_wrk_cpu(
                "direct (no proxy)",
                upstream + "/hello",
                [upstream],
                seconds=seconds,
                connections=args.connections,
            )

        run_wrk("warm-up", upstream + "/hello", seconds=1, connections=args.connections)
        runs = [(kind, "uvicorn", f"proxy: {kind}") for kind in CANDIDATES]
        runs += [(kind, "granian", f"proxy: {kind}@granian") for kind in ON_GRANIAN]
        for kind, server, label in runs:
            if only and label.removeprefix("proxy: ") not in only:
                continue
            env = {CLIENT_ENV: kind, UPSTREAM_ENV: upstream}
            with uvicorn_process("bench.gateway_clients:make_proxy", env, server=server) as proxy:
                run_wrk("warm-up", proxy + "/hello", seconds=1, connections=args.connections)
                mine = []
                for _ in range(runs_per):
                    direct_runs.append(direct())
                    mine.append(
                        run_wrk_cpu(
                            label,
                            proxy + "/hello",
                            [upstream, proxy],
                            seconds=seconds,
                            connections=args.connections,
                        )
                    )
                results.append((label, mine))
    print(
        f"wrk -t1 -c{args.connections} -d{seconds}s, median run of {runs_per} "
        f"(direct: of {len(direct_runs)}), hello-world upstream (FastAPI), uvicorn+uvloop+httptools"
    )
    base = median_run(direct_runs)
    figures = wrk_figures(base.label, direct_runs)
    print(base.row())
    for label, mine in results:
        print(median_run(mine).row(base))
        figures += wrk_figures(label, mine, baseline=base.label)
    print(
        "CPU/request: upstream ms [+ proxy ms], from /proc (steadier than wall-clock figures under other load, not immune to it)"
    )
    print(f"load average at start {start[0]:.2f} / {start[1]:.2f}; " + load_note())
    emit("gateway_clients", figures, start)


if __name__ == "__main__":
    main()
