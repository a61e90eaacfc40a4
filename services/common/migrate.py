"""Alembic, driven from code: one version tree per service under ``migrations/<service>``.

``migrations/<service>/env.py`` only calls :func:`run_env`, so every service
migrates the same way on SQLite (batch mode for ALTER) and PostGIS.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Engine

from services.common.db import is_sqlite, make_engine, normalize_url
from services.common.spatial import is_spatial_internal

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
SERVICES = ("facilities", "beds", "coverage", "gateway")
MODELS_MODULES = {
    "facilities": "services.facilities.models",
    "beds": "services.beds.models",
    "coverage": "services.coverage.models",
    "gateway": "gateway.models",
}


def alembic_config(service: str, url: str) -> Config:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {SERVICES}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR / service))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
    config.attributes["service"] = service
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Bring ``url`` to ``revision``; creates the SQLite file when it does not exist."""
    command.upgrade(alembic_config(service, url), revision)


def downgrade(service: str, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(service, url), revision)


def head_revision(service: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(service, "sqlite://")).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_at_head(service: str, engine: Engine) -> bool:
    with engine.connect() as connection:
        return current_revision(connection) == head_revision(service)


def target_metadata(service: str) -> MetaData:
    """The service's models' metadata (``<package>.models.Base.metadata``)."""
    models = importlib.import_module(MODELS_MODULES[service])
    return models.Base.metadata  # type: ignore[no-any-return]


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """Leave PostGIS catalogue tables and R*Tree shadow tables out of autogenerate."""
    if type_ == "table":
        return not is_spatial_internal(name)
    return True


def include_object_for(dialect_name: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Honour ``Index(...).ddl_if(dialect=...)`` in autogenerate (Alembic compares it everywhere)."""

    def include_object(
        obj: Any, _name: str | None, type_: str, _reflected: bool, _other: Any
    ) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        if type_ == "index" and ddl_if is not None and ddl_if.dialect is not None:
            dialects = {ddl_if.dialect} if isinstance(ddl_if.dialect, str) else set(ddl_if.dialect)
            return dialect_name in dialects
        return True

    return include_object


def run_env() -> None:
    """Body of every ``migrations/<service>/env.py`` (online mode only)."""
    from alembic import context

    config = context.config
    service = (
        config.attributes.get("service")
        or Path(config.get_main_option("script_location") or "").name
    )
    url = config.get_main_option("sqlalchemy.url") or ""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(context, connection, service)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(context, conn, service)
    finally:
        engine.dispose()


def _run(context: object, connection: Connection, service: str) -> None:
    ctx = context  # alembic.context proxy
    ctx.configure(  # type: ignore[attr-defined]
        connection=connection,
        target_metadata=target_metadata(service),
        render_as_batch=is_sqlite(connection.engine),
        compare_type=True,
        include_name=include_name,
        include_object=include_object_for(connection.dialect.name),
    )
    with ctx.begin_transaction():  # type: ignore[attr-defined]
        ctx.run_migrations()  # type: ignore[attr-defined]
