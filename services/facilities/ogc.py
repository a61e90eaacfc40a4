"""OGC API – Features under ``/ogc``: landing page, conformance, collections, items."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/ogc")
