"""Typed settings shared by every service, read from environment variables.

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix``
(``FACILITIES_``, ``BEDS_``, ``COVERAGE_``), so ``FACILITIES_DATABASE_URL``
selects the facilities database and nothing else. Settings every process
shares (logging, the identity key) keep one ``CARECIRCLE_`` name everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


def default_sqlite_url(service: str) -> str:
    """The embedded default: one SQLite file per service under ``./var``."""
    return f"sqlite:///{DEFAULT_DATA_DIR / f'{service}.sqlite3'}"


def shared(default: Any, env: str, description: str) -> Any:
    """A field read from one unprefixed ``CARECIRCLE_*`` variable in every service."""
    field_name = env.removeprefix("CARECIRCLE_").lower()
    return Field(
        default,
        validation_alias=AliasChoices(env, field_name),
        description=f"{description} (env {env})",
    )


class ServiceSettings(BaseSettings):
    """Base for one service's settings; subclasses set ``env_prefix`` and ``service_name``."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "service"
    database_url: str = Field("", description="SQLAlchemy URL; empty means ./var/<service>.sqlite3")
    log_level: str = shared("INFO", "CARECIRCLE_LOG_LEVEL", "Python log level")
    log_json: bool = shared(True, "CARECIRCLE_LOG_JSON", "JSON log lines (false: plain text)")
    identity_secret: str = shared(
        "",
        "CARECIRCLE_IDENTITY_SECRET",
        "HMAC key the gateway signs caller identities with; empty ignores identity headers",
    )
    require_identity: bool = shared(
        False, "CARECIRCLE_REQUIRE_IDENTITY", "refuse writes without a gateway-signed identity"
    )
    allow_without_identity_secret: bool = shared(
        False,
        "CARECIRCLE_ALLOW_WITHOUT_IDENTITY_SECRET",
        "let `carecircle serve` bind a non-loopback address without an identity secret",
    )

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file when none is set."""
        return self.database_url.strip() or default_sqlite_url(self.service_name)
