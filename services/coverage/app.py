"""``create_app(settings)``: the coverage service — 15-minute care circles on the real street network."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.coverage.api import router
from services.coverage.settings import CoverageSettings

VERSION = "0.1.0"


def create_app(settings: CoverageSettings | None = None) -> FastAPI:
    settings = settings or CoverageSettings()
    return create_service_app(
        settings,
        title="CareCircle coverage",
        description=__doc__ or "",
        version=VERSION,
        routers=[router],
    )
