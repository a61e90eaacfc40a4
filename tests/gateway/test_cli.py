"""`carecircle serve gateway`: no public bind without an identity secret, unless told."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import is_loopback, serve_refusal
from gateway.settings import GatewaySettings
from tests.servers import free_port_block


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("gateway.example", False),
    ],
)
def test_which_hosts_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_public_bind_needs_the_secret_or_an_explicit_yes() -> None:
    bare = GatewaySettings(identity_secret="")
    assert serve_refusal("127.0.0.1", bare) is None
    refusal = serve_refusal("0.0.0.0", bare)
    assert refusal is not None and "CARECIRCLE_IDENTITY_SECRET" in refusal
    assert serve_refusal("0.0.0.0", GatewaySettings(identity_secret="s")) is None
    told = GatewaySettings(identity_secret="", allow_without_identity_secret=True)
    assert serve_refusal("0.0.0.0", told) is None


def test_serve_refuses_before_binding(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CARECIRCLE_IDENTITY_SECRET", "GATEWAY_ALLOW_WITHOUT_IDENTITY_SECRET")
    }
    env["GATEWAY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    port = free_port_block(1)
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "serve", "gateway", "--host", "0.0.0.0"]
        + ["--port", str(port), "--no-migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "refusing to serve the gateway on 0.0.0.0" in done.stderr
