"""``create_app(settings)``: the facilities service — care-facility registry, regions, nearby search."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.facilities import api, api_queries, ogc
from services.facilities.settings import FacilitiesSettings

VERSION = "0.1.0"
DESCRIPTION = """
The registry of elderly-care facilities (养老机构, 街道/乡镇综合养老服务中心, 社区养老服务站, …) and the
administrative regions they sit in. Mobile apps find nearby stations here; the beds and coverage
services and planners use it as the source of truth. Coordinates are WGS84 unless `crs=gcj02|bd09`.
"""


def create_app(settings: FacilitiesSettings | None = None) -> FastAPI:
    settings = settings or FacilitiesSettings()
    return create_service_app(
        settings,
        title="CareCircle facilities",
        description=DESCRIPTION,
        version=VERSION,
        # Query routes first: /facilities/nearby must never be taken for /facilities/{id}.
        routers=[api_queries.router, api.router, ogc.router],
    )
