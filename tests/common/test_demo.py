"""`carecircle demo`: the dataset is what it says, and the whole stack comes up and stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.demo.dataset import build_demo_dataset
from tests.servers import free_port, free_port_block


def test_dataset_regions_nest_and_demand_sums_to_community_elderly(tmp_path: Path) -> None:
    files = build_demo_dataset(tmp_path)
    regions = [f["properties"] for f in json.loads(files.regions.read_text())["features"]]
    codes = {r["code"] for r in regions}
    assert all(r["parent_code"] in codes for r in regions if r["parent_code"])
    assert all(r["code"].startswith("99") and len(r["code"]) == 12 for r in regions)
    demand = [f["properties"] for f in json.loads(files.demand.read_text())["features"]]
    communities = {r["code"]: r["elderly_60plus"] for r in regions if r["level"] == "community"}
    spread: dict[str, int] = {}
    for point in demand:
        spread[point["region_code"]] = spread.get(point["region_code"], 0) + point["elderly"]
    # Every community with buildings gets exactly its elderly count spread over them.
    assert spread and all(spread[code] == communities[code] for code in spread)


@pytest.mark.slow
@pytest.mark.live
def test_demo_serves_every_process_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    base_port = free_port_block(4)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_DATABASE_URL", "_URL"))}
    stderr_path = tmp_path / "demo.stderr"
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "demo", "--base-port", str(base_port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        _wait_for_line(proc, "CareCircle demo is up", timeout_s=150, stderr_path=stderr_path)
        for port in range(base_port, base_port + 4):
            base = f"http://127.0.0.1:{port}"
            assert httpx.get(f"{base}/healthz").status_code == 200
            assert httpx.get(f"{base}/readyz").status_code == 200, httpx.get(f"{base}/readyz").text
            assert "http_requests_total" in httpx.get(f"{base}/metrics").text
            assert httpx.get(f"{base}/docs").status_code == 200
        nearby = httpx.get(
            f"http://127.0.0.1:{base_port}/api/v1/facilities/nearby",
            params={"lon": 24.9415, "lat": 60.1699, "k": 3},
        ).json()
        distances = [item["distance_m"] for item in nearby["items"]]
        assert len(distances) == 3 and distances == sorted(distances)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "All CareCircle processes stopped." in out
    for port in range(base_port, base_port + 4):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)


def _wait_for_line(
    proc: subprocess.Popen[str], text: str, timeout_s: float, stderr_path: Path
) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"demo exited early: {''.join(seen)}{_tail(stderr_path)}")
        seen.append(line)
        if text in line:
            return
    raise AssertionError(f"no {text!r} within {timeout_s} s: {''.join(seen)}{_tail(stderr_path)}")


def _tail(path: Path, lines: int = 40) -> str:
    """The end of the demo's stderr (its children's logs and any traceback), for the failure message."""
    return "\n--- stderr (last lines) ---\n" + "\n".join(path.read_text().splitlines()[-lines:])


def test_demo_refuses_ports_that_are_already_taken(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "services.cli", "demo", "--base-port", str(port)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"port(s) {port}" in result.stderr
    assert not (tmp_path / "var").exists()  # refused before touching anything


def test_demo_names_a_child_that_dies_before_it_answers() -> None:
    from services.demo.runner import wait_healthy

    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="beds exited with code 3"):
        wait_healthy("beds", child, f"http://127.0.0.1:{free_port()}/healthz", timeout_s=120)
    assert time.monotonic() - started < 60  # reported when the child dies, not after the 120 s wait
