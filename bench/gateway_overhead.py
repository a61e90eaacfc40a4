"""What the gateway costs: same requests direct to a service and through ``gateway.app``.

Two pairs, each in the same run: a hello-world route on a service built with
the shared factory (``create_service_app``: request ids, metrics, gzip), and the
real facilities service's ``/api/v1/facilities/nearby`` over a few thousand
synthetic stations. Every server is a uvicorn process with uvloop and httptools;
wrk drives them on loopback. Target: the gateway adds ≤ 50 % to p50 and keeps
≥ 60 % of direct throughput. Each wrk run is printed at its saturation
concurrency (-c32) and at a light load (-c4), where p50 is the per-hop latency
rather than queueing.

Baseline: the same endpoint direct (no gateway), measured in the same run. Every figure
is the median and spread of ``--runs`` (≥ 3) wrk runs, direct and via the gateway taken in
turn so that a change of load hits both alike; the last line is ``BENCH_JSON``
(bench/_report.py) with req/s and p50 of each and the gateway's ratio to direct.
``--quick``: -c32 only, 2 s per run, 1,000 stations.

    .venv/bin/python -m bench.gateway_overhead [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import emit, load_avg  # noqa: E402

NEARBY = "/api/v1/facilities/nearby?lon=116.40&lat=39.91&k=10"
HELLO = "/api/v1/facilities/hello"


def make_hello_service() -> Any:
    """A service as the services are built (shared factory and middleware) with one tiny route."""
    import os

    from fastapi import APIRouter

    from services.common.app import create_service_app
    from services.common.settings import ServiceSettings

    router = APIRouter()

    @router.get(HELLO)
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    settings = ServiceSettings(
        service_name="gateway", database_url=os.environ["BENCH_HELLO_DB"], log_level="WARNING"
    )
    return create_service_app(
        settings, title="hello", description="", version="0", routers=[router]
    )


def synthetic_stations(n: int, seed: int = 1) -> bytes:
    """``n`` community stations scattered over central Beijing (GeoJSON; synthetic, not real places)."""
    rng = random.Random(seed)
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [
                    round(rng.uniform(116.2, 116.6), 6),
                    round(rng.uniform(39.8, 40.05), 6),
                ],
            },
            "properties": {
                "external_id": f"bench-{i}",
                "name": f"站点 {i}",
                "type": "community_station",
                "capacity": rng.randint(0, 40),
            },
        }
        for i in range(n)
    ]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def gateways_for(stack: ExitStack, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """One gateway process per server asked for, all in front of the same service."""
    from bench.gateway_wrk import uvicorn_process

    return {
        server: stack.enter_context(
            uvicorn_process(
                "gateway.app:create_app", env, workers=args.gateway_workers, server=server
            )
        )
        for server in args.gateway_server
    }


def compare(
    name: str,
    service: Any,
    gateways: dict[str, Any],
    path: str,
    seconds: int,
    connections: int,
    callers: int = 1,
    runs: int = 3,
) -> tuple[list[Any], list[list[Any]]]:
    """The service direct, then through each gateway, ``runs`` times in turn at one
    concurrency: (direct runs, runs per gateway)."""
    from bench.gateway_wrk import run_wrk, run_wrk_cpu

    suffix = len(gateways) > 1
    for gateway in gateways.values():
        run_wrk("warm-up", gateway + path, seconds=1, connections=connections, callers=callers)
    direct: list[Any] = []
    vias: list[list[Any]] = [[] for _ in gateways]
    for _ in range(runs):
        direct.append(
            run_wrk_cpu(
                f"{name} direct -c{connections}",
                service + path,
                [service],
                seconds=seconds,
                connections=connections,
                callers=callers,
            )
        )
        for i, (server, gateway) in enumerate(gateways.items()):
            vias[i].append(
                run_wrk_cpu(
                    f"{name} via gateway{'@' + server if suffix else ''} -c{connections}",
                    gateway + path,
                    [service, gateway],
                    seconds=seconds,
                    connections=connections,
                    callers=callers,
                )
            )
    return direct, vias


def main() -> None:
    from bench.gateway_wrk import load_note, median_run, uvicorn_process, wrk_figures
    from services.common.migrate import upgrade

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="-c32 only, 2 s per run instead of 10, 1,000 stations",
    )
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per figure (≥ 3)")
    parser.add_argument(
        "--gateway-workers",
        type=int,
        default=1,
        help="uvicorn worker processes for the gateway (the services always run one)",
    )
    parser.add_argument(
        "--gateway-server",
        nargs="+",
        choices=("uvicorn", "granian"),
        default=["uvicorn"],
        help="server(s) running the gateway; with both, each gets its row in the same run "
        "(the services always run under uvicorn)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        nargs="+",
        default=None,
        help="wrk connections, one block of rows per value (default: 32 4; --quick: 32)",
    )
    parser.add_argument(
        "--callers",
        type=int,
        default=1,
        help="client addresses the requests come from (X-Forwarded-For, trusted by the gateway); "
        "default 1, as wrk alone",
    )
    args = parser.parse_args()
    start = load_avg()
    seconds = 2 if args.quick else 10
    runs = max(3, args.runs)
    args.connections = args.connections or ([32] if args.quick else [32, 4])
    stations = 1_000 if args.quick else 5_000
    with tempfile.TemporaryDirectory() as tmp:
        dbs = {
            name: f"sqlite:///{Path(tmp) / f'{name}.sqlite3'}"
            for name in ("gateway", "facilities", "hello")
        }
        upgrade("gateway", dbs["gateway"])
        upgrade("gateway", dbs["hello"])
        upgrade("facilities", dbs["facilities"])
        gateway_env = {
            "GATEWAY_DATABASE_URL": dbs["gateway"],
            "GATEWAY_RATE_LIMIT_ANONYMOUS": "100000000/minute",
            "CARECIRCLE_LOG_LEVEL": "WARNING",
            "CARECIRCLE_IDENTITY_SECRET": "bench",
            "GATEWAY_TRUST_FORWARDED_FOR": "true" if args.callers > 1 else "false",
        }
        rows: list[tuple[list[Any], list[list[Any]]]] = []
        with ExitStack() as stack:
            hello = stack.enter_context(
                uvicorn_process(
                    "bench.gateway_overhead:make_hello_service", {"BENCH_HELLO_DB": dbs["hello"]}
                )
            )
            gateways = gateways_for(stack, args, {**gateway_env, "FACILITIES_URL": hello})
            for connections in args.connections:
                rows.append(
                    compare(
                        "hello", hello, gateways, HELLO, seconds, connections, args.callers, runs
                    )
                )
        facilities_env = {
            "FACILITIES_DATABASE_URL": dbs["facilities"],
            "CARECIRCLE_LOG_LEVEL": "WARNING",
            "CARECIRCLE_IDENTITY_SECRET": "bench",
        }
        with ExitStack() as stack:
            facilities = stack.enter_context(
                uvicorn_process("services.facilities.app:create_app", facilities_env)
            )
            loaded = httpx.post(
                facilities + "/api/v1/facilities/import",
                content=synthetic_stations(stations),
                headers={"Content-Type": "application/geo+json"},
                timeout=300,
            )
            loaded.raise_for_status()
            assert len(httpx.get(facilities + NEARBY).json()["items"]) == 10
            gateways = gateways_for(stack, args, {**gateway_env, "FACILITIES_URL": facilities})
            for gateway in gateways.values():
                assert httpx.get(gateway + NEARBY).json() == httpx.get(facilities + NEARBY).json()
            for connections in args.connections:
                rows.append(
                    compare(
                        "nearby",
                        facilities,
                        gateways,
                        NEARBY,
                        seconds,
                        connections,
                        args.callers,
                        runs,
                    )
                )
    print(
        "CPU/request: service ms [+ gateway ms], from /proc (steadier than wall-clock figures under other load, not immune to it)"
    )
    print(
        f"wrk -t1 -d{seconds}s, median run of {runs}; {stations} synthetic stations for nearby; services: uvicorn+uvloop+httptools, "
        f"one process each; gateway: {' and '.join(args.gateway_server)}, {args.gateway_workers} worker process(es); "
        f"{args.callers:,} client address(es)"
    )
    figures = []
    for direct_runs, via_runs in rows:
        direct = median_run(direct_runs)
        figures += wrk_figures(direct.label, direct_runs)
        print(direct.row())
        for runs_of_one in via_runs:
            via = median_run(runs_of_one)
            figures += wrk_figures(via.label, runs_of_one, baseline=direct.label)
            print(via.row(direct))
            verdict = (
                "meets"
                if via.rps >= 0.6 * direct.rps and via.p50_ms <= 1.5 * direct.p50_ms
                else "MISSES"
            )
            print(f"  -> {verdict} the target (≥ 60 % throughput, ≤ +50 % p50)")
    print(f"load average at start {start[0]:.2f} / {start[1]:.2f}; " + load_note())
    emit("gateway_overhead", figures, start)


if __name__ == "__main__":
    main()
