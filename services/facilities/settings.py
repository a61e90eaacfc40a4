"""Settings of the facilities service (env prefix ``FACILITIES_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class FacilitiesSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FACILITIES_", extra="ignore", populate_by_name=True
    )

    service_name: str = "facilities"
