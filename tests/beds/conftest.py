"""Beds test fixtures: the REAL facilities service over HTTP, and the beds app on its own database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from services.beds.app import create_app
from services.beds.seeds import PLAN_TARGETS
from services.beds.settings import BedsSettings
from services.common.db import make_engine, make_session_factory, transaction
from tests.beds.factories import seed_facilities_db
from tests.servers import free_port, running_app

ZHANGZHOU, D1, D2 = "350600000000", "350602000000", "350603000000"
REGIONS = [
    {"code": "350000000000", "name": "福建省", "elderly_60plus": 7_000_000},
    {"code": ZHANGZHOU, "name": "漳州市", "elderly_60plus": 10_000},
    {"code": D1, "name": "芗城区", "elderly_60plus": 6_000},
    {"code": D2, "name": "龙文区", "elderly_60plus": 4_000},
]
FACILITIES = [
    {
        "id": 1,
        "external_id": "F1",
        "region_code": D1,
        "operation_mode": "private",
        "type": "nursing_home",
    },
    {
        "id": 2,
        "external_id": "F2",
        "region_code": D1,
        "operation_mode": "public_run",
        "type": "township_home",
    },
    {"id": 3, "external_id": "F3", "region_code": D2, "operation_mode": "public_built_private_run"},
    {
        "id": 4,
        "external_id": "F4",
        "region_code": D2,
        "operation_mode": "private",
        "status": "closed",
    },
]


@pytest.fixture(scope="session")
def facilities_servers() -> Iterator[dict[str, str]]:
    """One real facilities server per database, started on first use and kept for the session.

    The shared fixture empties the facilities tables around every test; the server
    keeps serving the same (now re-seeded) database, so tests skip a server start.
    """
    with ExitStack() as stack:
        yield _LazyServers(stack)


class _LazyServers(dict):  # type: ignore[type-arg]
    def __init__(self, stack: ExitStack) -> None:
        super().__init__()
        self.stack = stack

    def __missing__(self, database_url: str) -> str:
        from services.facilities.app import create_app as create_facilities_app
        from services.facilities.settings import FacilitiesSettings

        app = create_facilities_app(FacilitiesSettings(database_url=database_url))
        self[database_url] = self.stack.enter_context(running_app(app))
        return str(self[database_url])


@pytest.fixture
def facilities_url(facilities_db_url: str, facilities_servers: dict[str, str]) -> str:
    """The real facilities app over HTTP, its database seeded with Zhangzhou and four facilities."""
    seed_facilities_db(facilities_db_url, regions=REGIONS, facilities=FACILITIES)
    return facilities_servers[facilities_db_url]


def seed_targets(beds_db_url: str) -> None:
    """The seeded plan targets (the shared fixture empties every table before each test)."""
    from services.beds import repository

    engine = make_engine(beds_db_url)
    with transaction(make_session_factory(engine, write=True)) as session:
        for values in PLAN_TARGETS:
            repository.add_target(session, **values)
    engine.dispose()


def beds_client(beds_db_url: str, facilities_url: str, **settings: Any) -> httpx.AsyncClient:
    # A generous timeout: the machine is shared, and a slow (not down) registry must not read as down.
    settings.setdefault("facilities_timeout_s", 20.0)
    app = create_app(
        BedsSettings(database_url=beds_db_url, facilities_url=facilities_url, **settings)
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://beds")


@pytest.fixture
async def client(beds_db_url: str, facilities_url: str) -> AsyncIterator[httpx.AsyncClient]:
    seed_targets(beds_db_url)
    async with beds_client(beds_db_url, facilities_url) as c:
        yield c


@pytest.fixture
def closed_port_url() -> str:
    """A loopback port nothing listens on: connecting is refused for real."""
    return f"http://127.0.0.1:{free_port()}"
