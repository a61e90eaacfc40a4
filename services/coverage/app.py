"""``create_app(settings)``: the coverage service — 15-minute care circles on the real street network."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.state import ServiceState
from services.coverage import repository as repo
from services.coverage.api import router
from services.coverage.facilities_client import SnapshotCache
from services.coverage.jobs import JobPool
from services.coverage.service import NetworkCache, execute_run
from services.coverage.settings import CoverageSettings

VERSION = "0.1.0"


def create_app(settings: CoverageSettings | None = None) -> FastAPI:
    settings = settings or CoverageSettings()

    def startup(state: ServiceState) -> None:
        cache = NetworkCache()
        state.extras["networks"] = cache
        state.extras["snapshots"] = SnapshotCache(settings.facilities_url)
        state.extras["jobs"] = JobPool(settings.job_workers)
        state.extras["execute"] = partial(execute_run, state.write_sessions, cache)
        with state.read_sessions() as session:
            pending = repo.unfinished_run_ids(session=session)
        for run_id in pending:  # a stopped process left these: run them again
            state.extras["jobs"].submit(run_id, state.extras["execute"])

    def shutdown(state: ServiceState) -> None:
        state.extras["jobs"].shutdown()

    return create_service_app(
        settings,
        title="CareCircle coverage",
        description=__doc__ or "",
        version=VERSION,
        routers=[router],
        on_startup=startup,
        on_shutdown=shutdown,
    )
