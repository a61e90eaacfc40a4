"""A service started with nothing configured says so loudly, and will not bind an address
others reach without an identity secret unless told (issue 13, item 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.beds.settings import BedsSettings
from services.cli import app
from services.common.startup import is_loopback, serve_refusal, startup_warnings
from services.facilities.app import create_app
from services.facilities.settings import FacilitiesSettings


def test_nothing_configured_is_a_loud_warning_at_start(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'f.sqlite3'}"
    create_app(FacilitiesSettings(database_url=url, log_level="INFO"))
    logged = capfd.readouterr().err
    assert "carecircle.startup" in logged and "ACCEPTS WRITES FROM ANYONE" in logged, logged
    create_app(
        FacilitiesSettings(
            database_url=url, identity_secret="s", require_identity=True, log_level="INFO"
        )
    )
    assert "carecircle.startup" not in capfd.readouterr().err


def test_warnings_name_what_is_missing() -> None:
    warnings = startup_warnings(BedsSettings(database_url=""))
    assert len(warnings) == 2 and "BEDS_DATABASE_URL" in warnings[1]
    assert "refuses every write" in startup_warnings(BedsSettings(require_identity=True))[0]
    assert "REQUIRE_IDENTITY" in startup_warnings(BedsSettings(identity_secret="s"))[0]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
        ("care.example.cn", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    refusal = serve_refusal(host, BedsSettings(), allow=False)
    assert (refusal is None) is loopback
    assert serve_refusal(host, BedsSettings(identity_secret="s"), allow=False) is None
    assert serve_refusal(host, BedsSettings(), allow=True) is None


@pytest.mark.parametrize("service", ["facilities", "beds", "coverage"])
def test_serve_refuses_a_public_bind_without_a_secret(service: str, tmp_path: Path) -> None:
    env = {
        "CARECIRCLE_IDENTITY_SECRET": "",
        "CARECIRCLE_ALLOW_WITHOUT_IDENTITY_SECRET": "false",
        f"{service.upper()}_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }
    result = CliRunner().invoke(app, ["serve", service, "--host", "0.0.0.0"], env=env)
    assert result.exit_code == 2, result.output
    assert "CARECIRCLE_IDENTITY_SECRET" in result.output
