"""Plan-monitoring fixtures: the made-up city in the REAL facilities and coverage services, bed data in ours."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from services.beds.facilities_client import FacilitiesClient
from services.beds.plans.coverage_client import CoverageClient
from services.beds.plans.monitor import PlanMonitor
from services.common.db import make_engine, make_session_factory
from tests.beds.plans.city import City, load_beds, load_coverage, load_facilities, make_city
from tests.servers import running_app

SEED = 16


class _LazyCoverageServers(dict):  # type: ignore[type-arg]
    def __init__(self, stack: ExitStack) -> None:
        super().__init__()
        self.stack = stack

    def __missing__(self, database_url: str) -> str:
        from services.coverage.app import create_app
        from services.coverage.settings import CoverageSettings

        app = create_app(CoverageSettings(database_url=database_url, log_json=False))
        self[database_url] = self.stack.enter_context(running_app(app))
        return str(self[database_url])


@pytest.fixture(scope="session")
def coverage_servers() -> Iterator[dict[str, str]]:
    """One real coverage server per database, kept for the session (tables emptied per test)."""
    with ExitStack() as stack:
        yield _LazyCoverageServers(stack)


@pytest.fixture(scope="session")
def city() -> City:
    return make_city(SEED)


@pytest.fixture
def city_services(
    city: City,
    facilities_db_url: str,
    facilities_servers: dict[str, str],
    beds_db_url: str,
    coverage_db_url: str,
    coverage_servers: dict[str, str],
) -> dict[str, str]:
    """The made-up city loaded: its registry and coverage run served over HTTP, its beds in ours."""
    load_facilities(facilities_db_url, city)
    load_beds(beds_db_url, city)
    load_coverage(coverage_db_url, city)
    return {
        "facilities": facilities_servers[facilities_db_url],
        "coverage": coverage_servers[coverage_db_url],
        "beds_db": beds_db_url,
    }


@pytest.fixture
def monitor(city_services: dict[str, str]) -> Iterator[PlanMonitor]:
    engine = make_engine(city_services["beds_db"])
    facilities = FacilitiesClient(city_services["facilities"], timeout_s=20)
    coverage = CoverageClient(city_services["coverage"], timeout_s=20)
    try:
        yield PlanMonitor(
            read_sessions=make_session_factory(engine, write=False),
            write_sessions=make_session_factory(engine, write=True),
            facilities=facilities,
            coverage=coverage,
        )
    finally:
        facilities.close()
        coverage.close()
        engine.dispose()


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
