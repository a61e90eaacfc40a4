"""Who may change coverage data: planners and admins; server-side file reads are fenced in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.common.identity import Identity
from services.coverage.app import create_app
from services.coverage.settings import CoverageSettings
from tests.identity import SignedAs

SECRET = "coverage-test-secret"


def signed(role: str, region: str | None = None) -> SignedAs:
    return SignedAs(Identity(subject=f"{role}-1", role=role, region_code=region), SECRET)


async def client_for(settings: CoverageSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


@pytest.fixture
async def secured(coverage_db_url: str, tiny: dict[str, Path]) -> AsyncIterator[httpx.AsyncClient]:
    settings = CoverageSettings(
        database_url=coverage_db_url,
        facilities_url="http://127.0.0.1:9",
        identity_secret=SECRET,
        require_identity=True,
        import_dir=str(tiny["network"].parent),
    )
    async for c in client_for(settings):
        yield c


async def test_only_planners_and_admins_import_networks(
    secured: httpx.AsyncClient, tiny: dict[str, Path]
) -> None:
    body = {"path": str(tiny["network"])}
    anonymous = await secured.post("/api/v1/coverage/networks", json=body)
    assert anonymous.status_code == 401
    for role in ("public", "operator", "official"):
        refused = await secured.post(
            "/api/v1/coverage/networks", json=body, auth=signed(role, "350203000000")
        )
        assert refused.status_code == 403, role
        assert "planner" in refused.json()["detail"]
    planner = await secured.post("/api/v1/coverage/networks", json=body, auth=signed("planner"))
    assert planner.status_code == 201, planner.text
    admin = await secured.post("/api/v1/coverage/networks", json=body, auth=signed("admin"))
    assert admin.status_code == 200  # same network again: the stored one


async def test_runs_are_refused_to_officials_and_reads_stay_open(
    secured: httpx.AsyncClient,
) -> None:
    run = await secured.post(
        "/api/v1/coverage/runs", json={}, auth=signed("official", "350203000000")
    )
    assert run.status_code == 403
    assert (await secured.get("/api/v1/coverage/networks")).status_code == 200


async def test_forged_identity_is_401(secured: httpx.AsyncClient, tiny: dict[str, Path]) -> None:
    forged = SignedAs(Identity(subject="x", role="admin"), "not-the-secret")
    response = await secured.post(
        "/api/v1/coverage/networks", json={"path": str(tiny["network"])}, auth=forged
    )
    assert response.status_code == 401


async def test_server_paths_outside_the_import_dir_are_refused(secured: httpx.AsyncClient) -> None:
    response = await secured.post(
        "/api/v1/coverage/networks", json={"path": "/etc/passwd"}, auth=signed("planner")
    )
    assert response.status_code == 403
    assert response.json()["field"] == "path"


async def test_server_paths_are_off_in_production_without_an_import_dir(
    coverage_db_url: str, tiny: dict[str, Path]
) -> None:
    settings = CoverageSettings(database_url=coverage_db_url, identity_secret=SECRET)
    async for c in client_for(settings):
        response = await c.post(
            "/api/v1/coverage/networks",
            json={"path": str(tiny["network"])},
            auth=signed("planner"),
        )
        assert response.status_code == 403
        assert "COVERAGE_IMPORT_DIR" in response.json()["detail"]


async def test_uploads_over_the_limit_are_refused_for_networks_and_demand(
    coverage_db_url: str,
) -> None:
    settings = CoverageSettings(database_url=coverage_db_url, max_upload_mb=1)
    too_big = b"x" * 1_500_000
    async for c in client_for(settings):
        for route in ("/api/v1/coverage/networks/upload", "/api/v1/coverage/demand/upload"):
            response = await c.post(
                route, files={"file": ("big.geojson", too_big, "application/json")}
            )
            assert response.status_code == 413, route
            assert "too large" in response.json()["detail"]
