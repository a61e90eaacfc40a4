"""Gateway fixtures: stub upstreams served over real HTTP, a gateway app, API keys per role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.routes import KeyIn, create_key_row
from gateway.settings import GatewaySettings
from tests.conftest import ScratchDatabases, migrated_database
from tests.gateway.stubs import Behaviour, stub_app
from tests.servers import running_app

SECRET = "test-identity-secret"
JWT_SECRET = "test-jwt-secret-with-enough-bytes-0123456789"
UPSTREAMS = ("facilities", "beds", "coverage")


@dataclass
class Stub:
    url: str
    behaviour: Behaviour


@pytest.fixture(scope="session")
def stubs(scratch_databases: ScratchDatabases) -> Iterator[dict[str, Stub]]:
    """One recording upstream per service, served by uvicorn for the whole session."""
    url = scratch_databases.migrated_url("sqlite", "gateway")
    out: dict[str, Stub] = {}
    contexts = []
    for name in UPSTREAMS:
        app, behaviour = stub_app(name, url, SECRET)
        ctx = running_app(app)
        out[name] = Stub(ctx.__enter__(), behaviour)
        contexts.append(ctx)
    yield out
    for ctx in contexts:
        ctx.__exit__(None, None, None)


@pytest.fixture
def upstreams(stubs: dict[str, Stub]) -> Iterator[dict[str, Stub]]:
    for stub in stubs.values():
        stub.behaviour.reset()
    yield stubs
    for stub in stubs.values():
        stub.behaviour.reset()


@pytest.fixture
def gateway_sqlite_url(scratch_databases: ScratchDatabases) -> Iterator[str]:
    """The gateway's own database (SQLite; key storage is also tested on PostGIS)."""
    yield from migrated_database(scratch_databases, "sqlite", "gateway")


def make_settings(
    database_url: str, stubs: dict[str, Stub] | None = None, **overrides: Any
) -> GatewaySettings:
    urls = {f"{name}_url": stubs[name].url for name in UPSTREAMS} if stubs else {}
    values: dict[str, Any] = {
        "database_url": database_url,
        "identity_secret": SECRET,
        "jwt_secret": JWT_SECRET,
        "log_level": "WARNING",
        "redis_url": "",
        "retry_backoff_s": 0.01,
        "breaker_reset_s": 1.0,
        "upstream_timeout_s": 2.0,
        "rate_limit_anonymous": "1000/minute",
        "rate_limit_key": "1000/minute",
        **urls,
        **overrides,
    }
    return GatewaySettings(**values)


@pytest.fixture
def settings(gateway_sqlite_url: str, upstreams: dict[str, Stub]) -> GatewaySettings:
    return make_settings(gateway_sqlite_url, upstreams)


@pytest.fixture
def app(settings: GatewaySettings) -> FastAPI:
    return create_app(settings)


async def close_app(app: FastAPI) -> None:
    await app.state.service.extras["gateway"].close()
    app.state.service.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=False, client=("203.0.113.7", 5000)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
        yield c
    await close_app(app)


def new_key(
    app: FastAPI, role: str, region_code: str | None = None, facility_ids: tuple[int, ...] = ()
) -> str:
    sessions = app.state.service.write_sessions
    out = create_key_row(
        sessions, KeyIn(role=role, region_code=region_code, facility_ids=list(facility_ids))
    )  # type: ignore[arg-type]
    assert out.api_key is not None
    return out.api_key


@pytest.fixture
def keys(app: FastAPI) -> dict[str, str]:
    """An API key per role: officials of Chaoyang district (110105), operator of facilities 7 and 8."""
    return {
        "public": new_key(app, "public"),
        "operator": new_key(app, "operator", facility_ids=(7, 8)),
        "official": new_key(app, "official", region_code="110105000000"),
        "planner": new_key(app, "planner"),
        "admin": new_key(app, "admin"),
    }
