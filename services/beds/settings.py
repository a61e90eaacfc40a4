"""Settings of the beds service (env prefix ``BEDS_``; ``FACILITIES_URL`` is shared)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class BedsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BEDS_", extra="ignore", populate_by_name=True)

    service_name: str = "beds"
    facilities_url: str = Field(
        "http://127.0.0.1:8001",
        validation_alias=AliasChoices("FACILITIES_URL", "facilities_url"),
        description="Base URL of the facilities service the beds service checks facilities against (env FACILITIES_URL)",
    )
    facilities_timeout_s: float = Field(
        5.0, description="Timeout of each call to the facilities service, in seconds"
    )
    coverage_url: str = Field(
        "http://127.0.0.1:8003",
        validation_alias=AliasChoices("COVERAGE_URL", "coverage_url"),
        description="Base URL of the coverage service plan indicators read circle shares from (env COVERAGE_URL)",
    )
    coverage_timeout_s: float = Field(
        5.0, description="Timeout of each call to the coverage service, in seconds"
    )
    region_cache_ttl_s: int = Field(
        86_400,
        description="How long region names and elderly counts fetched from the facilities service stay fresh",
    )
