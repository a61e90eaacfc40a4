"""What the deployment files may name: real settings, real routes, real commands."""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import httpx
from pydantic import AliasChoices

from services.cli import APP_FACTORIES

# Settings the deployment sets ahead of the code that reads them (extra="ignore" makes them
# harmless until then). None now: COVERAGE_DASK_SCHEDULER is read by CoverageSettings.
ANNOUNCED_SETTINGS: set[str] = set()


@cache
def known_settings() -> frozenset[str]:
    """Every environment variable a CareCircle process reads (its settings classes)."""
    from gateway.settings import GatewaySettings
    from services.beds.settings import BedsSettings
    from services.coverage.settings import CoverageSettings
    from services.facilities.settings import FacilitiesSettings

    names: set[str] = set()
    for cls in (FacilitiesSettings, BedsSettings, CoverageSettings, GatewaySettings):
        prefix = str(cls.model_config.get("env_prefix", ""))
        for name, field in cls.model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                names.update(c for c in alias.choices if isinstance(c, str) and c.isupper())
            else:
                names.add((prefix + name).upper())
    return frozenset(names | ANNOUNCED_SETTINGS)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def route_statuses(service: str, paths: list[str], data_dir: Path) -> dict[str, int]:
    """GET each path on the service's real app (embedded SQLite under data_dir): path → status."""
    module, factory = APP_FACTORIES[service].split(":")
    url = f"sqlite:///{data_dir / f'{service}.sqlite3'}"
    with _environment({f"{service.upper()}_DATABASE_URL": url}):
        app = getattr(importlib.import_module(module), factory)()

    async def get_all() -> dict[str, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            return {path: (await client.get(path)).status_code for path in paths}

    return asyncio.run(get_all())
