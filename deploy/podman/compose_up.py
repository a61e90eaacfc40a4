"""Bring deploy/compose.yaml up with podman-compose, honouring every ``depends_on`` condition.

podman 4.3 (Debian 12) cannot wait for ``service_healthy`` (podman-compose ignores the condition
with a warning), and without systemd podman never runs healthchecks on its own. So this starts one
service at a time (``podman-compose up -d --no-deps NAME``) in dependency order and waits for each
condition itself: ``podman healthcheck run`` until healthy, ``podman wait`` and exit code 0 for
``service_completed_successfully``. With docker compose or a newer podman, plain ``up`` does this.

    python3 deploy/podman/compose_up.py [--project carecircle] [--profile demo] [SERVICE ...]
    python3 deploy/podman/compose_up.py --down

Environment: what compose.yaml reads (CARECIRCLE_IDENTITY_SECRET, POSTGRES_PASSWORD, …, or
deploy/.env) and PODMAN_COMPOSE (default: podman-compose on PATH).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).resolve().parents[1] / "compose.yaml"


def services_in_order(compose: dict[str, Any], wanted: list[str], profiles: list[str]) -> list[str]:
    """``wanted`` (default: every service whose profiles are on) and their dependencies, dependencies first."""
    services = compose["services"]
    active = [
        name
        for name, spec in services.items()
        if not spec.get("profiles") or set(spec["profiles"]) & set(profiles)
    ]
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise ValueError(f"depends_on cycle through {name}")
        visiting.add(name)
        for dependency in _depends_on(services[name]):
            visit(dependency)
        visiting.discard(name)
        order.append(name)

    for name in wanted or active:
        visit(name)
    return order


def _depends_on(spec: dict[str, Any]) -> dict[str, str]:
    depends = spec.get("depends_on", {})
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {name: rule.get("condition", "service_started") for name, rule in depends.items()}


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=check, capture_output=True, text=True)


def wait_for(container: str, condition: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    if condition == "service_completed_successfully":
        code = run("podman", "wait", container).stdout.strip()
        if code != "0":
            logs = run("podman", "logs", container, check=False)
            raise SystemExit(f"{container} exited with {code}:\n{logs.stdout}{logs.stderr}")
        return
    while time.monotonic() < deadline:
        state = run("podman", "inspect", "--format", "{{.State.Status}}", container).stdout
        if state.strip() == "running" and (
            condition == "service_started"
            or run("podman", "healthcheck", "run", container, check=False).returncode == 0
        ):
            return
        if state.strip() in {"exited", "stopped"}:
            logs = run("podman", "logs", "--tail", "30", container, check=False)
            raise SystemExit(f"{container} stopped:\n{logs.stdout}{logs.stderr}")
        time.sleep(1)
    raise SystemExit(f"{container}: not {condition} after {timeout_s:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("services", nargs="*")
    parser.add_argument("--project", default="carecircle")
    parser.add_argument("--profile", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=300, help="seconds per condition")
    parser.add_argument("--down", action="store_true", help="stop and remove, volumes too")
    args = parser.parse_args()
    base = [
        *shlex.split(os.environ.get("PODMAN_COMPOSE", "podman-compose")),
        "-f",
        str(COMPOSE),
        "-p",
        args.project,
        "--in-pod",
        "false",  # podman 4.3's pods refuse to start a container whose dependency already runs
        *[f"--profile={p}" for p in args.profile],
    ]
    if args.down:
        subprocess.run([*base, "down", "-v"], check=True)
        return 0
    compose = yaml.safe_load(COMPOSE.read_text())
    order = services_in_order(compose, args.services, args.profile)
    for name in order:
        for dependency, condition in _depends_on(compose["services"][name]).items():
            wait_for(f"{args.project}_{dependency}_1", condition, args.timeout)
        print(f"starting {name}", flush=True)
        subprocess.run([*base, "up", "-d", "--no-deps", name], check=True, capture_output=True)
    # one-shot services (the admin key, the demo loader): their exit code is the answer
    for name in order:
        if compose["services"][name].get("restart") == "no":
            wait_for(f"{args.project}_{name}_1", "service_completed_successfully", args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
