"""What one running service holds for its lifetime: settings, engine, sessions, metrics.

Generic in its settings class, so a service reads its own fields
(``ServiceState[BedsSettings].settings.facilities_url``) without a cast.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import make_engine, make_session_factory
from services.common.metrics import RequestMetrics
from services.common.settings import ServiceSettings

ReadinessCheck = Callable[[], tuple[bool, Any]]
SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
KindT = TypeVar("KindT", bound=ServiceSettings)


@dataclass
class ServiceState(Generic[SettingsT]):
    name: str
    settings: SettingsT
    engine: Engine
    read_sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    metrics: RequestMetrics
    readiness_checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    # Run (in order) by the app's shutdown: resources opened in the serving loop, e.g. async pools.
    async_closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def settings_as(self, kind: type[KindT]) -> KindT:
        """The settings as ``kind``, checked: for code that holds a ``ServiceState[Any]``."""
        settings = self.settings
        if not isinstance(settings, kind):
            raise TypeError(f"{self.name} runs with {type(settings).__name__}, not {kind.__name__}")
        return settings

    @classmethod
    def from_settings(cls, settings: SettingsT) -> ServiceState[SettingsT]:
        engine = make_engine(settings.resolved_database_url())
        return cls(
            name=settings.service_name,
            settings=settings,
            engine=engine,
            read_sessions=make_session_factory(engine),
            write_sessions=make_session_factory(engine, write=True),
            metrics=RequestMetrics(settings.service_name),
        )
