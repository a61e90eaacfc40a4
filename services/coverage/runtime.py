"""What the coverage service holds for its lifetime, as one typed object (no dict of extras).

Built at startup by :func:`services.coverage.app.create_app`; routes get it through
``RuntimeDep``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from services.coverage.facilities_client import SnapshotCache
from services.coverage.jobs import JobPool
from services.coverage.networks import NetworkCache
from services.coverage.service import WalkGate
from services.coverage.settings import CoverageSettings


@dataclass
class CoverageRuntime:
    settings: CoverageSettings
    read_sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    networks: NetworkCache
    snapshots: SnapshotCache
    jobs: JobPool
    walks: WalkGate
    #: long queries on finished runs (services/coverage/tasks.py), their own worker
    tasks: JobPool | None = None


async def get_runtime(request: Request) -> CoverageRuntime:
    """``async`` on purpose: a plain ``def`` dependency would cost every request a thread hop."""
    runtime = getattr(request.app.state, "coverage", None)
    if not isinstance(runtime, CoverageRuntime):
        raise RuntimeError("the coverage service has not started (lifespan not run)")
    return runtime


RuntimeDep = Annotated[CoverageRuntime, Depends(get_runtime)]
