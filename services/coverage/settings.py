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
    job_stop_s: float = Field(
        3.0,
        gt=0,
        le=60,
        description="At shutdown, how long to wait for a running job to reach a stage boundary "
        "and stop (it is run again at the next start)",
    )
    job_lease_s: float = Field(
        30.0,
        ge=1,
        le=3600,
        description="A running job's lease, renewed every third of it; a replica that dies "
        "loses its runs to the others about a lease and a half later (ADR 0111)",
    )
    dask_scheduler: str = Field(
        "",
        description="Dask scheduler address (tcp://host:8786) that runs split coverage runs; "
        "empty: an in-process cluster made on first use (ADR 0110)",
    )
    partitions: int = Field(
        0,
        ge=0,
        le=10_000,
        description="Grid partitions per coverage run; 0: one per 500,000 network nodes",
    )
    max_upload_mb: int = Field(
        200,
        ge=1,
        description="Largest request body accepted (uploads and JSON), in MB: refused by "
        "Content-Length at once, and while reading when the length is not declared",
    )
    max_demand_columns: int = Field(
        64,
        ge=8,
        le=1024,
        description="Most distinct property names a demand file may carry (each becomes a column)",
    )
    import_dir: str = Field(
        "",
        description="Folder that server-side network imports (POST /networks with a path) may "
        "read from; empty turns server-path imports off (upload the file instead)",
    )
    walk_times_budget_s: float = Field(
        5.0,
        gt=0,
        le=120,
        description="Time budget of one walk-times request (waiting for a slot + computing); "
        "past it the request answers 503 and its work stops",
    )
    walk_times_concurrency: int = Field(
        2, ge=1, le=64, description="Walk-times computations running at once (the rest wait)"
    )
    sync_isochrone_stations: int = Field(
        20,
        ge=0,
        le=1000,
        description="Isochrones for more stations than this are a job (202 + Location): one "
        "station's 5/10/15-minute contours take ~0.2–0.5 s on a city's walking network, and "
        "the gateway waits 10 s",
    )
    sync_budget_s: float = Field(
        5.0,
        gt=0,
        le=300,
        description="A synchronous isochrone request still computing after this many seconds "
        "(checked between stations) becomes a task (202 + Location) instead: the gateway "
        "waits 10 s, and a loaded machine can be several times slower than a quiet one",
    )
    sync_siting_pairs: int = Field(
        2_000_000,
        ge=0,
        description="Siting whose candidate sites × demand points exceed this is a job (202 + "
        "Location); the default candidates count as 200",
    )
