"""Each service's migrations: upgrade from empty, agree with the models, downgrade cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from services.common.db import make_engine
from services.common.migrate import (
    SERVICES,
    downgrade,
    head_revision,
    include_name,
    include_object_for,
    is_at_head,
    target_metadata,
    upgrade,
)
from tests.conftest import ScratchDatabases


@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_head_from_empty_matches_the_models(
    service: str, backend: str, scratch_databases: ScratchDatabases
) -> None:
    url = scratch_databases.empty_url(backend, f"mig_{service}")
    upgrade(service, url)
    engine = make_engine(url)
    try:
        assert is_at_head(service, engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_name": include_name,
                    "include_object": include_object_for(conn.dialect.name),
                },
            )
            diff = compare_metadata(context, target_metadata(service))
        assert diff == [], f"models and migrations of {service} disagree on {backend}: {diff}"
        model_tables = set(target_metadata(service).tables)
        assert model_tables <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_downgrade_to_base_removes_every_table(
    service: str, backend: str, scratch_databases: ScratchDatabases
) -> None:
    url = scratch_databases.empty_url(backend, f"down_{service}")
    upgrade(service, url)
    downgrade(service, url, "base")
    engine = make_engine(url)
    try:
        left = set(inspect(engine).get_table_names()) & set(target_metadata(service).tables)
        assert left == set()
        upgrade(service, url)  # and back up again
        assert is_at_head(service, engine)
    finally:
        engine.dispose()


def test_every_service_has_a_head() -> None:
    for service in SERVICES:
        assert head_revision(service), service
