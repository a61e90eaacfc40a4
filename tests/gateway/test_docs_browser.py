"""/docs and /redoc in a real browser (headless Chromium), with every outside host unreachable:
the gateway's pages render every operation of the merged document, a service's its own, and
nothing is refused or fails to load."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from gateway.app import create_app
from services.beds.app import create_app as create_beds_app
from services.beds.settings import BedsSettings
from services.coverage.app import create_app as create_coverage_app
from services.coverage.settings import CoverageSettings
from services.facilities.app import create_app as create_facilities_app
from services.facilities.settings import FacilitiesSettings
from tests.conftest import ScratchDatabases
from tests.gateway.conftest import SECRET, make_settings
from tests.servers import running_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.live,
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs Debian's chromium (scripts/ensure_services.sh)"
    ),
]
#: Chromium's console lines that mean a request failed or was refused.
_FAILURES = re.compile(r"Content Security Policy|Failed to load|net::ERR_|Uncaught", re.I)
#: ReDoc's "API docs by Redocly" footer always asks for its logo from the vendor's CDN (hard-coded,
#: no option; the image hides itself when it fails). The page's policy blocks it in the browser:
#: no request leaves the machine, and that one refusal is expected.
_EXPECTED = re.compile(r"Loading the image 'https://cdn\.redoc\.ly/redoc/logo-mini\.svg'")


def failures(console: list[str]) -> list[str]:
    return [line for line in console if _FAILURES.search(line) and not _EXPECTED.search(line)]


def rendered(url: str, budget_ms: int = 15_000) -> tuple[str, list[str]]:
    """The page's DOM after its scripts ran, and the browser console's lines. Every host but
    127.0.0.1 resolves to nothing, as on an intranet without internet."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--virtual-time-budget={budget_ms}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


@pytest.fixture
def stack(scratch_databases: ScratchDatabases) -> Iterator[str]:
    """The three services and the gateway, each on its own port (SQLite)."""
    common = {"identity_secret": SECRET, "log_level": "WARNING"}
    with ExitStack() as stack:
        facilities = stack.enter_context(
            running_app(
                create_facilities_app(
                    FacilitiesSettings(
                        database_url=scratch_databases.migrated_url("sqlite", "facilities"),
                        **common,
                    )
                )
            )
        )
        beds = stack.enter_context(
            running_app(
                create_beds_app(
                    BedsSettings(
                        database_url=scratch_databases.migrated_url("sqlite", "beds"),
                        facilities_url=facilities,
                        **common,
                    )
                )
            )
        )
        coverage = stack.enter_context(
            running_app(
                create_coverage_app(
                    CoverageSettings(
                        database_url=scratch_databases.migrated_url("sqlite", "coverage"),
                        facilities_url=facilities,
                        **common,
                    )
                )
            )
        )
        settings = make_settings(
            scratch_databases.migrated_url("sqlite", "gateway"),
            facilities_url=facilities,
            beds_url=beds,
            coverage_url=coverage,
        )
        gateway = stack.enter_context(running_app(create_app(settings)))
        yield gateway


def operation_ids(base: str) -> set[str]:
    document = httpx.get(base + "/openapi.json").json()
    assert "x-unavailable-services" not in document["info"]
    return {
        operation["operationId"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete")
    }


def test_swagger_ui_and_redoc_render_every_operation_offline(stack: str) -> None:
    expected = operation_ids(stack)
    assert {
        "facilities_nearby",
        "nearby",
        "plans_get_indicators",
        "coverage_walk_times",
    } <= expected

    dom, console = rendered(stack + "/docs")
    shown = set(re.findall(r'opblock-summary-operation-id">([^<]+)<', dom))
    assert shown == expected
    assert not failures(console), console

    dom, console = rendered(stack + "/redoc")
    shown = set(re.findall(r'data-section-id="operation/([^"]+)"', dom))
    assert shown == expected
    assert not failures(console), console
