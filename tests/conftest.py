"""Fixtures every test folder shares: both database engines, scratch databases, app clients.

Storage tests take the ``backend`` fixture and so run twice, once on SQLite (the
embedded default) and once on PostGIS. Each (backend, service) database is
created and migrated once per session; after each test its tables are emptied.
PostGIS tests use ``CARECIRCLE_TEST_PG_URL`` (default: local trust auth as
``postgres``) and make their own scratch databases with ``CREATE EXTENSION postgis``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import Engine, make_url

from services.common.db import make_engine
from services.common.migrate import target_metadata, upgrade

PG_ADMIN_URL = os.environ.get(
    "CARECIRCLE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgis"]
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


def create_scratch_postgis(prefix: str = "cc_test") -> str:
    """Create an empty database with PostGIS; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    finally:
        engine.dispose()
    return url


def drop_scratch_postgis(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


class ScratchDatabases:
    """Migrated databases per (backend, service), made on first use, dropped at the end."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.urls: dict[tuple[str, str], str] = {}
        self.engines: dict[tuple[str, str], Engine] = {}
        self.pg_urls: list[str] = []

    def empty_url(self, backend: str, label: str = "scratch") -> str:
        """A brand-new, unmigrated database URL (for migration tests)."""
        if backend == "sqlite":
            return f"sqlite:///{self.tmp_dir / f'{label}_{uuid.uuid4().hex[:8]}.sqlite3'}"
        url = create_scratch_postgis()
        self.pg_urls.append(url)
        return url

    def migrated_url(self, backend: str, service: str) -> str:
        key = (backend, service)
        if key not in self.urls:
            url = self.empty_url(backend, service)
            upgrade(service, url)
            self.urls[key] = url
            self.engines[key] = make_engine(url)
        return self.urls[key]

    def empty_tables(self, backend: str, service: str) -> None:
        """Delete every row of the service's tables (children first), keeping the schema."""
        engine = self.engines[(backend, service)]
        metadata: MetaData = target_metadata(service)
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
        for url in self.pg_urls:
            drop_scratch_postgis(url)


@pytest.fixture(scope="session")
def scratch_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchDatabases]:
    pool = ScratchDatabases(tmp_path_factory.mktemp("databases"))
    yield pool
    pool.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostGIS."""
    return str(request.param)


def migrated_database(scratch: ScratchDatabases, backend: str, service: str) -> Iterator[str]:
    """Yield the URL of a migrated, empty database; empty it again afterwards."""
    url = scratch.migrated_url(backend, service)
    scratch.empty_tables(backend, service)
    yield url
    scratch.empty_tables(backend, service)


@pytest.fixture
def facilities_db_url(scratch_databases: ScratchDatabases, backend: str) -> Iterator[str]:
    yield from migrated_database(scratch_databases, backend, "facilities")


@pytest.fixture
def beds_db_url(scratch_databases: ScratchDatabases, backend: str) -> Iterator[str]:
    yield from migrated_database(scratch_databases, backend, "beds")


@pytest.fixture
def coverage_db_url(scratch_databases: ScratchDatabases, backend: str) -> Iterator[str]:
    yield from migrated_database(scratch_databases, backend, "coverage")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the repository (real public data; see each SOURCE.md)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA}; CI lays ../shared beside the clone")
    return SHARED_DATA


@pytest.fixture
def gateway_db_url(scratch_databases: ScratchDatabases, backend: str) -> Iterator[str]:
    yield from migrated_database(scratch_databases, backend, "gateway")
