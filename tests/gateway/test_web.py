"""The map page's files as the gateway serves them (gateway/web.py): the page with a self-only
policy, its own files and Leaflet's, nothing outside its folders, and `/` leading to it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from gateway import web
from services.common.errors import NotFound


async def test_root_leads_to_the_map(client: httpx.AsyncClient) -> None:
    answer = await client.get("/")
    assert answer.status_code == 307
    assert answer.headers["location"].endswith("/map")


async def test_the_favicon_is_the_maps(client: httpx.AsyncClient) -> None:
    answer = await client.get("/favicon.ico")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.text.startswith("<svg")


async def test_the_page_loads_only_from_this_origin(client: httpx.AsyncClient) -> None:
    answer = await client.get("/map")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    page = answer.text
    assert "{{root}}" not in page
    # Every file the page names is served by the gateway itself.
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    local = [s for s in sources if not s.startswith("data:")]
    assert local and all(s.startswith("/") for s in local), local
    for source in local:
        if source == "/docs":
            continue
        served = await client.get(source)
        assert served.status_code == 200, source


async def test_the_page_script_and_leaflet_are_served_as_javascript(
    client: httpx.AsyncClient,
) -> None:
    own = await client.get("/map/app/main.js")
    assert own.status_code == 200
    assert own.headers["content-type"].startswith("text/javascript")
    assert own.headers["cache-control"] == "no-cache"
    imports = re.findall(r"from '([^']+)'", own.text)
    assert "../vendor/leaflet-src.esm.js" in imports
    leaflet = await client.get("/map/vendor/leaflet-src.esm.js")
    assert leaflet.status_code == 200, "Leaflet missing: run `make web`"
    assert "Leaflet" in leaflet.text[:2000]
    assert "max-age" in leaflet.headers["cache-control"]


@pytest.mark.parametrize(
    "path",
    [
        "/map/app/nothing.js",
        "/map/other/main.js",
        "/map/app/index.html",  # the page only at /map (with its policy)
        "/map/vendor/%2e%2e/package.json",
    ],
)
async def test_nothing_outside_the_page_files_is_served(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code in (400, 404), path
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_asset_paths_never_leave_their_folder() -> None:
    with pytest.raises(NotFound):
        web.asset_file("app", "../../web.py")
    with pytest.raises(NotFound):
        web.asset_file("app", "../webapp/package.json")
    assert web.asset_file("app", "main.js") == (web.WEBAPP / "app" / "main.js").resolve()


def test_a_missing_leaflet_names_the_command_that_installs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(web.FOLDERS, "vendor", tmp_path / "absent")
    with pytest.raises(NotFound, match="make web"):
        web.asset_file("vendor", "leaflet.css")
