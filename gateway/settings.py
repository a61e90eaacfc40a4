"""Settings of the gateway (env prefix ``GATEWAY_``; upstream URLs are unprefixed)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


def _upstream(default: str, env: str) -> str:
    return Field(default, validation_alias=AliasChoices(env, env.lower()), description=f"env {env}")  # type: ignore[no-any-return]


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = "gateway"
    facilities_url: str = _upstream("http://127.0.0.1:8001", "FACILITIES_URL")
    beds_url: str = _upstream("http://127.0.0.1:8002", "BEDS_URL")
    coverage_url: str = _upstream("http://127.0.0.1:8003", "COVERAGE_URL")
