"""What one running service holds for its lifetime: settings, engine, sessions, metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import make_engine, make_session_factory
from services.common.metrics import RequestMetrics
from services.common.settings import ServiceSettings

ReadinessCheck = Callable[[], tuple[bool, Any]]


@dataclass
class ServiceState:
    name: str
    settings: ServiceSettings
    engine: Engine
    read_sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    metrics: RequestMetrics
    readiness_checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    # Run (in order) by the app's shutdown: resources opened in the serving loop, e.g. async pools.
    async_closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ServiceState:
        engine = make_engine(settings.resolved_database_url())
        return cls(
            name=settings.service_name,
            settings=settings,
            engine=engine,
            read_sessions=make_session_factory(engine),
            write_sessions=make_session_factory(engine, write=True),
            metrics=RequestMetrics(settings.service_name),
        )
