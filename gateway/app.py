"""``create_app(settings)``: the public gateway (a stub until the gateway issue lands)."""

from __future__ import annotations

from fastapi import FastAPI

from gateway.settings import GatewaySettings
from services.common.app import create_service_app

VERSION = "0.1.0"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    return create_service_app(
        settings,
        title="CareCircle gateway",
        description="Public entry",
        version=VERSION,
        routers=[],
    )
