"""/docs and /redoc work without internet: every file they load is served by the app itself."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.common import docs
from services.facilities.app import create_app
from services.facilities.settings import FacilitiesSettings


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        FacilitiesSettings(
            database_url=f"sqlite:///{tmp_path / 'docs.sqlite3'}", log_level="WARNING"
        )
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as c:
        yield c
    app.state.service.engine.dispose()


@pytest.mark.parametrize(
    ("page", "tool"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]
)
async def test_the_pages_load_only_files_of_this_app(
    client: httpx.AsyncClient, page: str, tool: str
) -> None:
    answer = await client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    # No CDN, no outside font or favicon: every URL in the page is one of ours.
    assert (
        "http://" not in answer.text
        and "https://" not in answer.text
        and "//" not in answer.text.replace("<!DOCTYPE html>", "")
    )
    urls = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
    assert f"/docs/assets/{tool}" in urls
    assert all(url.startswith("/docs/assets/") for url in urls), urls
    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0
    assert 'data-openapi="/openapi.json"' in answer.text
    # A browser refuses anything from elsewhere, and inline scripts.
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]


async def test_the_files_are_the_installed_tools(client: httpx.AsyncClient) -> None:
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert b"SwaggerUIBundle" in bundle.content[:2000]
    assert bundle.headers["cache-control"] == f"public, max-age={docs.ASSET_CACHE_S}"
    redoc = await client.get("/docs/assets/redoc.standalone.js")
    assert b"Redoc" in redoc.content[:2000]
    css = await client.get("/docs/assets/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")
    start = (await client.get("/docs/assets/swagger-init.js")).text
    assert "validatorUrl: null" in start  # Swagger UI's default validator is an outside server
    for path in docs.ASSETS.values():
        assert path.is_file(), path


@pytest.mark.parametrize("name", ["../app.py", "%2e%2e%2fdocs.py", "index.html", "swagger-ui.js"])
async def test_nothing_else_on_disk_is_served(client: httpx.AsyncClient, name: str) -> None:
    answer = await client.get(f"/docs/assets/{name}")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


async def test_the_docs_pages_are_not_operations(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not any(p.startswith(("/docs", "/redoc")) for p in paths)
