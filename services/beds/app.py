"""``create_app(settings)``: the beds service — bed inventory over time and plan indicators per region."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.beds.api import router
from services.beds.settings import BedsSettings

VERSION = "0.1.0"


def create_app(settings: BedsSettings | None = None) -> FastAPI:
    settings = settings or BedsSettings()
    return create_service_app(
        settings,
        title="CareCircle beds",
        description=__doc__ or "",
        version=VERSION,
        routers=[router],
    )
