"""``create_app(settings)``: the coverage service — 15-minute care circles on the real street network."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware

from services.common.app import create_service_app
from services.common.middleware import ObservabilityMiddleware
from services.common.state import ServiceState
from services.coverage import repository as repo
from services.coverage import repository_tasks as repo_tasks
from services.coverage import runs, tasks
from services.coverage.api import router
from services.coverage.api_region_runs import router as region_runs_router
from services.coverage.api_streets import router as streets_router
from services.coverage.facilities_client import SnapshotCache
from services.coverage.jobs import JobPool
from services.coverage.leases import Sweeper, new_owner
from services.coverage.models import TaskRow
from services.coverage.networks import NetworkCache
from services.coverage.runtime import CoverageRuntime
from services.coverage.service import WalkGate
from services.coverage.settings import CoverageSettings
from services.coverage.upload_limit import BodyLimitMiddleware

VERSION = "0.1.0"


def start_tasks(
    state: ServiceState[Any], cache: NetworkCache, owner: str, lease_s: float
) -> tuple[JobPool, Sweeper]:
    """The worker of long queries on runs (tasks.py), with the ones a stopped process left,
    and its sweeper: tasks of a dead replica (expired lease) are taken over here (ADR 0113)."""

    def task(task_id: int, stop: threading.Event) -> None:
        tasks.execute(
            read_sessions=state.read_sessions,
            write_sessions=state.write_sessions,
            cache=cache,
            task_id=task_id,
            stop=stop,
            owner=owner,
            lease_s=lease_s,
        )

    pool = JobPool(task, 1)
    with state.read_sessions() as session:
        pending = repo_tasks.unfinished_task_ids(session=session)
    for task_id in pending:
        pool.submit(task_id)
    sweeper = Sweeper(state.read_sessions, pool.submit, lease_s / 2, model=TaskRow)
    sweeper.start()
    return pool, sweeper


def create_app(settings: CoverageSettings | None = None) -> FastAPI:
    settings = settings or CoverageSettings()

    def startup(state: ServiceState[Any]) -> None:
        cache = NetworkCache(state.read_sessions)
        ex = runs.Execution(
            owner=new_owner(),
            lease_s=settings.job_lease_s,
            partitions=settings.partitions,
            scheduler=settings.dask_scheduler,
        )

        def job(run_id: int, stop: threading.Event) -> None:
            runs.execute(
                write_sessions=state.write_sessions, cache=cache, run_id=run_id, stop=stop, ex=ex
            )

        runtime = CoverageRuntime(
            settings=settings,
            read_sessions=state.read_sessions,
            write_sessions=state.write_sessions,
            networks=cache,
            snapshots=SnapshotCache(settings.facilities_url),
            jobs=JobPool(job, settings.job_workers),
            walks=WalkGate.create(
                settings.walk_times_concurrency,
                settings.walk_times_budget_s,
                state.metrics.registry,
            ),
        )
        app.state.coverage = runtime
        with state.read_sessions() as session:
            pending = repo.unfinished_run_ids(session=session)
        for run_id in pending:  # a stopped process left these: run them again
            runtime.jobs.submit(run_id)
        # runs queued elsewhere or left by a dead replica (expired lease): claim them here
        sweeper = Sweeper(state.read_sessions, runtime.jobs.submit, settings.job_lease_s / 2)
        app.state.coverage_sweeper = sweeper
        sweeper.start()
        runtime.tasks, app.state.coverage_task_sweeper = start_tasks(
            state, cache, ex.owner, settings.job_lease_s
        )

    def shutdown(_state: ServiceState[Any]) -> None:
        for name in ("coverage_sweeper", "coverage_task_sweeper"):
            sweeper: Sweeper | None = getattr(app.state, name, None)
            if sweeper is not None:
                sweeper.stop()
        runtime: CoverageRuntime | None = getattr(app.state, "coverage", None)
        if runtime is not None:
            runtime.jobs.shutdown(settings.job_stop_s)
            if runtime.tasks is not None:
                runtime.tasks.shutdown(settings.job_stop_s)

    app = create_service_app(
        settings,
        title="CareCircle coverage",
        description=__doc__ or "",
        version=VERSION,
        routers=[router, streets_router, region_runs_router],
        on_startup=startup,
        on_shutdown=shutdown,
    )
    # Inside the request-id middleware (user_middleware[0] is the outermost), so a 413 is logged,
    # counted and carries the request id like every other answer.
    classes: list[object] = [m.cls for m in app.user_middleware]
    at = classes.index(ObservabilityMiddleware) + 1 if ObservabilityMiddleware in classes else 0
    limit = Middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_mb * 1_000_000)
    app.user_middleware.insert(at, limit)
    return app
