"""Read-only query routes: list/search, bounding box, nearby (JSON or GeoJSON)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
