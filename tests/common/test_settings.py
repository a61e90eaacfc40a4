"""Settings: env names per service, shared names everywhere, and every one documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from gateway.settings import GatewaySettings
from services.beds.settings import BedsSettings
from services.common.settings import ServiceSettings
from services.coverage.settings import CoverageSettings
from services.facilities.settings import FacilitiesSettings

README = Path(__file__).resolve().parents[2] / "README.md"
ALL_SETTINGS: list[type[BaseSettings]] = [
    FacilitiesSettings,
    BedsSettings,
    CoverageSettings,
    GatewaySettings,
]
INTERNAL_FIELDS = {"service_name"}


def env_names(settings_cls: type[BaseSettings]) -> dict[str, str]:
    prefix = settings_cls.model_config.get("env_prefix", "")
    names = {}
    for name, field in settings_cls.model_fields.items():
        if name in INTERNAL_FIELDS:
            continue
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names[name] = str(alias.choices[0]).upper()
        elif isinstance(alias, str):
            names[name] = alias.upper()
        else:
            names[name] = f"{prefix}{name}".upper()
    return names


@pytest.mark.parametrize("settings_cls", ALL_SETTINGS, ids=lambda c: c.__name__)
def test_every_setting_is_in_the_readme_configuration(settings_cls: type[BaseSettings]) -> None:
    readme = README.read_text()
    missing = [env for env in env_names(settings_cls).values() if f"`{env}`" not in readme]
    assert missing == [], f"document these in README.md's configuration tables: {missing}"


def test_database_url_is_per_service_and_shared_settings_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FACILITIES_DATABASE_URL", "postgresql://db/facilities")
    monkeypatch.setenv("BEDS_DATABASE_URL", "postgresql://db/beds")
    monkeypatch.setenv("CARECIRCLE_IDENTITY_SECRET", "k")
    assert FacilitiesSettings().resolved_database_url() == "postgresql://db/facilities"
    assert BedsSettings().resolved_database_url() == "postgresql://db/beds"
    assert CoverageSettings().resolved_database_url() == "sqlite:///var/coverage.sqlite3"
    assert {s().identity_secret for s in ALL_SETTINGS} == {"k"}


def test_settings_can_be_built_in_code_for_tests() -> None:
    settings = BedsSettings(database_url="sqlite://", facilities_url="http://x")
    assert settings.facilities_url == "http://x"
    assert isinstance(settings, ServiceSettings)
