"""``create_app(settings)``: the beds service — bed inventory over time and plan indicators per region.

Operators report each facility's beds per month (checked against the facilities
service); bureaus see per region — rolled up through the division hierarchy —
nursing-type share, beds per 1,000 elderly, operation-mode shares and occupancy,
and whether the region meets its plan targets.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.beds import api, api_reports
from services.beds.deps import CLIENT_KEY
from services.beds.facilities_client import FacilitiesClient
from services.beds.plans import api as plans_api
from services.beds.plans.coverage_client import CoverageClient
from services.beds.settings import BedsSettings
from services.common.app import create_service_app
from services.common.state import ServiceState

VERSION = "0.1.0"
TAGS = [
    {"name": "reports", "description": "Bed reports per facility and month, with revision history"},
    {
        "name": "indicators",
        "description": "Indicators per region, series, rankings and plan compliance",
    },
    {"name": "targets", "description": "Plan targets (规划指标) per region"},
    {
        "name": "plans",
        "description": "Plan monitoring: every elderly-care target of the plans, with its source line",
    },
    {"name": "reported", "description": "Figures districts report, with revision history"},
]


def create_app(settings: BedsSettings | None = None) -> FastAPI:
    settings = settings or BedsSettings()
    client = FacilitiesClient(settings.facilities_url, timeout_s=settings.facilities_timeout_s)
    coverage = CoverageClient(settings.coverage_url, timeout_s=settings.coverage_timeout_s)

    def on_shutdown(_state: ServiceState[Any]) -> None:
        client.close()
        coverage.close()

    app = create_service_app(
        settings,
        title="CareCircle beds",
        description=__doc__ or "",
        version=VERSION,
        routers=[api_reports.router, api.router, plans_api.router],
        on_shutdown=on_shutdown,
        openapi_tags=TAGS,
    )
    app.state.service.extras[CLIENT_KEY] = client
    app.state.service.extras[plans_api.COVERAGE_KEY] = coverage

    def facilities_check() -> tuple[bool, str]:
        # Informational: reads keep working without the registry, so beds stays ready.
        return True, "reachable" if client.reachable() else "unreachable: writes answer 503"

    app.state.service.readiness_checks["facilities"] = facilities_check
    return app
