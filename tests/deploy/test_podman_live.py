"""The compose stack on real containers: images built with podman, started, used, removed.

Opt-in (minutes, needs root's podman, podman-compose and the base image from
deploy/podman/build-images.sh): ``CARECIRCLE_PODMAN_TESTS=1 .venv/bin/python -m pytest
tests/deploy/test_podman_live.py``. The app image is rebuilt first, so the code under test is
the working tree's.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.deploy.conftest import DEPLOY
from tests.servers import free_port_block

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("CARECIRCLE_PODMAN_TESTS") != "1"
        or shutil.which("podman") is None
        or shutil.which(os.environ.get("PODMAN_COMPOSE", "podman-compose")) is None,
        reason="opt-in: CARECIRCLE_PODMAN_TESTS=1 with podman and podman-compose installed",
    ),
]


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[str, dict[str, str]]]:
    build = subprocess.run(
        ["bash", str(DEPLOY / "podman" / "build-images.sh")], capture_output=True, text=True
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    conf = re.search(r"using (\S+containers\.conf)", build.stderr)
    project = f"cctest{secrets.token_hex(3)}"
    port = free_port_block(1)
    env = {
        **os.environ,
        "CARECIRCLE_IDENTITY_SECRET": secrets.token_urlsafe(48),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "CARECIRCLE_IMAGE": "localhost/carecircle:0.1.0",
        "POSTGIS_IMAGE": "localhost/carecircle-postgis:15",
        "REDIS_IMAGE": "localhost/carecircle-redis:7",
        "GATEWAY_PORT": str(port),
        **({"CONTAINERS_CONF": conf.group(1)} if conf else {}),
    }
    command = [sys.executable, str(DEPLOY / "podman" / "compose_up.py"), "--project", project]
    try:
        up = subprocess.run(
            [*command, "--profile", "demo"], env=env, capture_output=True, text=True, timeout=900
        )
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        yield f"http://127.0.0.1:{port}", {**env, "PROJECT": project}
    finally:
        subprocess.run(
            [*command, "--profile", "demo", "--down"], env=env, capture_output=True, timeout=300
        )


def _logs(env: dict[str, str], service: str) -> str:
    done = subprocess.run(
        ["podman", "logs", f"{env['PROJECT']}_{service}_1"], env=env, capture_output=True, text=True
    )
    return done.stdout + done.stderr


def test_the_stack_comes_up_ready_with_shared_rate_limits(
    stack: tuple[str, dict[str, str]],
) -> None:
    url, _env = stack
    ready = httpx.get(f"{url}/readyz", timeout=10).json()
    assert ready["status"] == "ready"
    assert ready["checks"]["rate_limit_storage"] == {"ready": True, "kind": "redis"}
    assert ready["checks"]["database"]["ready"] is True


def test_the_first_admin_key_works_and_the_demo_is_loaded(
    stack: tuple[str, dict[str, str]],
) -> None:
    url, env = stack
    (key,) = re.findall(
        r"First admin API key \(shown once, store it now\): (\S+)", _logs(env, "admin-key")
    )
    assert "demo loaded; 15-minute walking circle" in _logs(env, "demo-loader")
    dashboard = httpx.get(
        f"{url}/api/v1/regions/990101000000/dashboard", headers={"X-API-Key": key}, timeout=30
    )
    assert dashboard.status_code == 200
    assert dashboard.json()["facilities"]["total"] > 0
    nearby = httpx.get(f"{url}/api/v1/nearby?lon=24.9415&lat=60.1699&k=3", timeout=30)
    assert nearby.status_code == 200 and nearby.json()["items"]
    anonymous = httpx.post(f"{url}/api/v1/coverage/runs", json={}, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
