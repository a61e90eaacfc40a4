"""API docs that work offline: Swagger UI at ``/docs`` and ReDoc at ``/redoc``.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, which government
intranets block: the page stays blank. Here both come from the pinned
``fastapi-offline`` wheel (its ``static/`` folder ships ``swagger-ui-bundle.js``,
``swagger-ui.css`` and ``redoc.standalone.js``), served under ``/docs/assets/``
with our two small start-up scripts. The pages carry a self-only
Content-Security-Policy, so a browser refuses any outside request they might
make (Swagger UI's online validator is switched off as well).
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from services.common.errors import NotFound
from services.common.operation_ids import operation_id

ASSETS_PATH: Final = "/docs/assets"
#: The vendored files (pinned wheel) and our own start-up scripts, by the name they are served under.
_VENDOR = Path(str(files("fastapi_offline") / "static"))
_OWN = Path(__file__).with_name("docs_static")
ASSETS: Final[dict[str, Path]] = {
    "swagger-ui-bundle.js": _VENDOR / "swagger-ui-bundle.js",
    "swagger-ui.css": _VENDOR / "swagger-ui.css",
    "redoc.standalone.js": _VENDOR / "redoc.standalone.js",
    "favicon.png": _VENDOR / "favicon.png",
    "swagger-init.js": _OWN / "swagger-init.js",
    "redoc-init.js": _OWN / "redoc-init.js",
}
#: Only this origin: scripts and styles from files (Swagger UI and ReDoc set inline styles),
#: images inline, ReDoc's search in a blob worker, the OpenAPI document fetched from here.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)
ASSET_CACHE_S = 86_400

router = APIRouter(include_in_schema=False, generate_unique_id_function=operation_id)


def _page(request: Request, title: str, body: str, css: str = "") -> HTMLResponse:
    root = request.scope.get("root_path", "")
    assets = f"{root}{ASSETS_PATH}"
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="icon" type="image/png" href="{assets}/favicon.png">
{f'<link rel="stylesheet" href="{assets}/{css}">' if css else ""}
</head>
<body data-openapi="{escape(root)}/openapi.json">
{body.format(assets=assets)}
</body>
</html>
"""
    return HTMLResponse(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI on this app's ``/openapi.json`` (try requests out)."""
    body = (
        '<div id="swagger-ui"></div>\n'
        '<script src="{assets}/swagger-ui-bundle.js"></script>\n'
        '<script src="{assets}/swagger-init.js"></script>'
    )
    return _page(request, f"{request.app.title} — API docs", body, css="swagger-ui.css")


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc on this app's ``/openapi.json`` (reading, one long page)."""
    body = (
        '<div id="redoc"></div>\n'
        '<script src="{assets}/redoc.standalone.js"></script>\n'
        '<script src="{assets}/redoc-init.js"></script>'
    )
    return _page(request, f"{request.app.title} — API reference", body)


@router.get(ASSETS_PATH + "/{name}")
def asset(name: str) -> FileResponse:
    """One of the docs' files (a fixed list: nothing else on disk is reachable)."""
    path = ASSETS.get(name)
    if path is None:
        raise NotFound(f"no docs asset {name!r}", name=name)
    return FileResponse(path, headers={"Cache-Control": f"public, max-age={ASSET_CACHE_S}"})
