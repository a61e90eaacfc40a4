"""``create_app(settings)``: the facilities service — care-facility registry, regions, nearby search."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.state import ServiceState
from services.facilities import api, api_queries, nearby_postgis, nearby_snapshots, ogc
from services.facilities.nearby_fastpath import NearbyFastPath
from services.facilities.settings import FacilitiesSettings

VERSION = "0.1.0"
DESCRIPTION = """
The registry of elderly-care facilities (养老机构, 街道/乡镇综合养老服务中心, 社区养老服务站, …) and the
administrative regions they sit in. Mobile apps find nearby stations here; the beds and coverage
services and planners use it as the source of truth. Coordinates are WGS84 unless `crs=gcj02|bd09`.
"""


def create_app(settings: FacilitiesSettings | None = None) -> FastAPI:
    settings = settings or FacilitiesSettings()
    app = create_service_app(
        settings,
        title="CareCircle facilities",
        description=DESCRIPTION,
        version=VERSION,
        # Query routes first: /facilities/nearby must never be taken for /facilities/{id}.
        routers=[api_queries.router, api.router, ogc.router],
        on_startup=_open_nearby_pool,
    )
    # Outermost: most requests are nearby, answered without the framework's layers (ADR 0075).
    app.add_middleware(NearbyFastPath, service_app=app)
    return app


async def _open_nearby_pool(state: ServiceState[Any]) -> None:
    """Build the nearby index in the background and, on PostGIS, open the nearby pool now, so
    that the first app user waits for neither."""
    if getattr(state.settings, "nearby_index", True):
        snapshots = nearby_snapshots.for_state(state)
        snapshots.warm_up()
        state.async_closers.append(snapshots.stop)
    if state.engine.dialect.name != "postgresql":
        return
    try:
        await nearby_postgis.for_state(state).open()
    except Exception as exc:  # the database may come up later: the first request retries
        logging.getLogger("carecircle.facilities").warning(
            "nearby pool not opened at startup", extra={"error": repr(exc)}
        )
