"""Settings of the facilities service (env prefix ``FACILITIES_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class FacilitiesSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FACILITIES_", extra="ignore", populate_by_name=True
    )

    service_name: str = "facilities"
    public_url: str = Field(
        "",
        description="The public address OGC links start from, e.g. https://care.example.cn "
        "(a path prefix included); empty: the address the request came to",
    )
    trust_forwarded_headers: bool = Field(
        False,
        description="build links from X-Forwarded-Host/-Proto/-Prefix (set it only when nothing "
        "but the gateway or your own proxy can reach the service); ignored with public_url",
    )
    # Nearby answers from an in-memory snapshot of the registry (ADR 0075); false: from the
    # database on every request. Another process's registry writes are seen within
    # nearby_index_refresh_s seconds; this process's own writes at once.
    nearby_index: bool = True
    nearby_index_refresh_s: float = Field(1.0, ge=0.0, le=3600.0)
