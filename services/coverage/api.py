"""HTTP routes of the coverage service (thin: parse, call one function, return a schema)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
