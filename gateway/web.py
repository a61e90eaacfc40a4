"""The planners' map page at ``/map`` and ``/`` leading to it (docs/map.md, ADR 0500).

Everything the page loads comes from the gateway itself — no CDN, no outside tiles
(government intranets have no internet): our own files from ``gateway/webapp/app``
and Leaflet from ``gateway/webapp/node_modules/leaflet/dist``, installed from npm at
setup time by ``make web`` (package-lock.json pins it). The page's base layers are
CareCircle's own data: region boundaries and the coverage network's streets.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from services.common.errors import NotFound

MAP_PATH: Final = "/map"
WEBAPP: Final = Path(__file__).with_name("webapp")
#: What the page may load, by the first segment under /map: our files, and Leaflet's.
FOLDERS: Final[dict[str, Path]] = {
    "app": WEBAPP / "app",
    "vendor": WEBAPP / "node_modules" / "leaflet" / "dist",
}
SUFFIXES: Final = frozenset({".js", ".css", ".png", ".svg", ".json", ".map"})
#: Only this origin. Leaflet positions map panes with inline styles; marker images may be inline.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'self'"
)
ASSET_CACHE_S: Final = 3600

router = APIRouter(include_in_schema=False)
mimetypes.add_type("text/javascript", ".js")


@router.get("/")
def root(request: Request) -> RedirectResponse:
    """The gateway's front door leads to the map (the page links the API docs)."""
    return RedirectResponse(request.scope.get("root_path", "") + MAP_PATH, status_code=307)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask every site for one; the map's icon (SVG) rather than a 404 per page view."""
    return FileResponse(
        WEBAPP / "app" / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": f"public, max-age={ASSET_CACHE_S}"},
    )


@router.get(MAP_PATH)
def map_page(request: Request) -> HTMLResponse:
    """The page: a shell whose module script draws the map from the gateway's APIs."""
    root = request.scope.get("root_path", "")
    html = (WEBAPP / "app" / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(
        html.replace("{{root}}", root),
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"},
    )


def asset_file(folder: str, name: str) -> Path:
    """The file ``/map/<folder>/<name>`` stands for; NotFound for anything outside the folders."""
    base = FOLDERS.get(folder)
    if base is None:
        raise NotFound(f"{MAP_PATH}/{folder} does not exist")
    if folder == "vendor" and not base.is_dir():
        raise NotFound("Leaflet is not installed: run `make web` (npm ci in gateway/webapp)")
    path = (base / name).resolve()
    if not path.is_relative_to(base.resolve()) or path.suffix not in SUFFIXES or not path.is_file():
        raise NotFound(f"{MAP_PATH}/{folder}/{name} does not exist")
    return path


@router.get(MAP_PATH + "/{folder}/{name:path}")
def map_asset(folder: str, name: str) -> FileResponse:
    """One of the page's files (scripts, styles, Leaflet's marker images)."""
    # Our files revalidate (ETag), so a new release shows at once; Leaflet's are pinned.
    cache = f"public, max-age={ASSET_CACHE_S}" if folder == "vendor" else "no-cache"
    return FileResponse(asset_file(folder, name), headers={"Cache-Control": cache})
