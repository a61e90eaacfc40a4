"""``carecircle demo``: migrate, load the demo dataset, run all four processes until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from services.demo.dataset import CITY_CODE, DemoFiles, build_demo_dataset
from services.demo.targets import load_targets

DEMO_DIR = Path("var") / "demo"
ORDER = ("facilities", "beds", "coverage", "gateway")


def demo_environment(base_port: int, data_dir: Path) -> dict[str, str]:
    """Env for every demo process: embedded SQLite files under ``data_dir``, services on consecutive ports."""
    ports = demo_ports(base_port)
    env = dict(os.environ)
    for service in ORDER:
        env[f"{service.upper()}_DATABASE_URL"] = f"sqlite:///{data_dir / f'{service}.sqlite3'}"
    for service in ("facilities", "beds", "coverage"):
        env[f"{service.upper()}_URL"] = f"http://127.0.0.1:{ports[service]}"
    # OGC links through the gateway lead back to the gateway: the facilities service listens
    # on loopback behind it, so the gateway's X-Forwarded-* are the ones to trust.
    env["FACILITIES_TRUST_FORWARDED_HEADERS"] = "true"
    return env


def demo_ports(base_port: int) -> dict[str, int]:
    return {
        "gateway": base_port,
        "facilities": base_port + 1,
        "beds": base_port + 2,
        "coverage": base_port + 3,
    }


def _carecircle(args: Sequence[str], env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "services.cli", *args]
    print(f"$ carecircle {' '.join(args)}", flush=True)
    subprocess.run(command, env=env, check=True)


def load_demo_data(files: DemoFiles, env: dict[str, str]) -> None:
    """Load through the same commands outside users run (``carecircle … import``)."""
    _carecircle(["migrate", "all"], env)
    _carecircle(["regions", "import", str(files.regions)], env)
    _carecircle(["facilities", "import", str(files.facilities)], env)


def load_beds(files: DemoFiles, env: dict[str, str]) -> None:
    """Bed reports are checked against the running facilities service, so they load after it starts."""
    _carecircle(["beds", "import", str(files.beds)], env)


def load_coverage(files: DemoFiles, coverage_url: str) -> dict[str, object]:
    """Import the walking network and demand into the running coverage service and run the 15-minute circle.

    Stations come from the facilities service's snapshot, as they would in production.
    """
    base = f"{coverage_url}/api/v1/coverage"
    with httpx.Client(timeout=120) as http:
        with files.network.open("rb") as handle:  # uploaded: server-path imports are fenced
            network = http.post(
                f"{base}/networks/upload",
                files={"file": (files.network.name, handle, "application/octet-stream")},
                data={"kind": "walk", "name": "demo walking network"},
            )
        network.raise_for_status()
        with files.demand.open("rb") as handle:
            demand = http.post(
                f"{base}/demand/upload",
                files={"file": ("demand.geojson", handle, "application/geo+json")},
                data={"name": "demo demand"},
            )
        demand.raise_for_status()
        run = http.post(
            f"{base}/runs",
            json={
                "network_id": network.json()["id"],
                "demand_set_id": demand.json()["id"],
                "minutes": 15,
                "speed_mps": 1.0,
                "station_query": {
                    "type": ["community_station", "care_center", "day_care"],
                    "status": ["active"],
                },
            },
        )
        run.raise_for_status()
        location = coverage_url + run.headers.get(
            "location", f"/api/v1/coverage/runs/{run.json()['id']}"
        )
        for _ in range(600):
            status = http.get(location).json()
            if status["status"] in {"done", "failed"}:
                break
            time.sleep(0.2)
        if status["status"] != "done":
            raise RuntimeError(f"demo coverage run did not finish: {status}")
        return dict(http.get(f"{location}/summary").json())


def start(service: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", service, "--port", str(port)],
        env=env,
        start_new_session=True,  # Ctrl-C reaches us once; we stop the children ourselves
    )


def wait_healthy(
    service: str, process: subprocess.Popen[bytes], url: str, timeout_s: float = 60.0
) -> None:
    """Wait for ``url`` to answer 200; a child that dies first is reported at once, by name and exit code."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{service} exited with code {process.returncode} before answering {url} "
                "(its log is above)"
            )
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{service} did not answer {url} within {timeout_s:.0f} s")


def stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def busy_ports(ports: dict[str, int]) -> list[int]:
    """Ports something already listens on (another demo, say), so we never talk to a stranger."""
    busy = []
    for port in ports.values():
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


def run_demo(osm_path: str | None = None, base_port: int = 8000, data_dir: Path = DEMO_DIR) -> None:
    taken = busy_ports(demo_ports(base_port))
    if taken:
        raise SystemExit(
            f"port(s) {', '.join(map(str, taken))} already in use (another demo running?); "
            "stop it or pick other ports with --base-port"
        )
    print(f"Building the demo dataset in {data_dir} …", flush=True)
    files = build_demo_dataset(data_dir, Path(osm_path) if osm_path else None)
    env = demo_environment(base_port, data_dir.resolve())
    ports = demo_ports(base_port)
    load_demo_data(files, env)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        for service in ORDER:
            processes[service] = start(service, ports[service], env)
            wait_healthy(service, processes[service], f"http://127.0.0.1:{ports[service]}/healthz")
            if service == "facilities":
                load_beds(files, env)
            if service == "beds":
                load_targets(f"http://127.0.0.1:{ports['beds']}", CITY_CODE)
            if service == "coverage":
                summary = load_coverage(files, f"http://127.0.0.1:{ports['coverage']}")
                print(
                    "15-minute walking circle (1.0 m/s): "
                    f"{float(summary['covered_share_by_elderly']):.1%} of the demo's elderly covered "  # type: ignore[arg-type]
                    f"({float(summary['covered_share_by_count']):.1%} of demand points)",  # type: ignore[arg-type]
                    flush=True,
                )
        _print_urls(ports, files)
        while not stopping:
            dead = [name for name, proc in processes.items() if proc.poll() is not None]
            if dead:
                print(
                    f"{', '.join(dead)} stopped unexpectedly; shutting the demo down",
                    file=sys.stderr,
                )
                break
            time.sleep(0.5)
    finally:
        print("Stopping …", flush=True)
        stop_all(processes)
        print("All CareCircle processes stopped.", flush=True)


def _print_urls(ports: dict[str, int], files: DemoFiles) -> None:
    print("\nCareCircle demo is up (Ctrl-C stops everything):", flush=True)
    for service in ORDER:
        base = f"http://127.0.0.1:{ports[service]}"
        print(f"  {service:<11} {base}/docs   {base}/healthz   {base}/readyz   {base}/metrics")
    gateway = f"http://127.0.0.1:{ports['gateway']}"
    print(f"\nMap: {gateway}/map   (an API key for its members' layers: carecircle apikey create)")
    print(f"Try: curl '{gateway}/api/v1/facilities/nearby?lon=24.9415&lat=60.1699&k=5'")
    print(f"Network: {files.network} (© OpenStreetMap contributors, ODbL)", flush=True)
