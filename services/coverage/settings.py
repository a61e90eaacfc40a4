"""Settings of the coverage service (env prefix ``COVERAGE_``; ``FACILITIES_URL`` is shared)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class CoverageSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COVERAGE_", extra="ignore", populate_by_name=True)

    service_name: str = "coverage"
    facilities_url: str = Field(
        "http://127.0.0.1:8001",
        validation_alias=AliasChoices("FACILITIES_URL", "facilities_url"),
        description="Base URL of the facilities service, for station snapshots (env FACILITIES_URL)",
    )
    job_workers: int = Field(1, ge=1, le=8, description="Worker threads running coverage jobs")
    max_upload_mb: int = Field(200, ge=1, description="Largest network/demand upload accepted")
    import_dir: str = Field(
        "",
        description="Folder that server-side network imports (POST /networks with a path) may read "
        "from; empty allows any path only in embedded development (no identity secret set)",
    )
