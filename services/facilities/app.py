"""``create_app(settings)``: the facilities service — care-facility registry, regions, nearby search."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.facilities.api import router
from services.facilities.settings import FacilitiesSettings

VERSION = "0.1.0"


def create_app(settings: FacilitiesSettings | None = None) -> FastAPI:
    settings = settings or FacilitiesSettings()
    return create_service_app(
        settings,
        title="CareCircle facilities",
        description=__doc__ or "",
        version=VERSION,
        routers=[router],
    )
