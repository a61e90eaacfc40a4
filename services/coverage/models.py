"""Tables of the coverage service (its own database; no other service reads them).

Networks are stored as their compressed npz (CSR arrays, a few MB for a city) so
a run can always reload the exact graph its ``version`` names; demand sets as their
columns in one compressed blob (:mod:`services.coverage.columnar`). Runs are jobs:
status and progress are rows the worker updates; results are per-point rows (paged,
written in bulk) plus the summary JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class NetworkRow(Base):
    __tablename__ = "coverage_networks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    version: Mapped[str] = mapped_column(String(32), unique=True)
    epsg: Mapped[int] = mapped_column(Integer)
    n_nodes: Mapped[int] = mapped_column(Integer)
    n_edges: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class DemandSetRow(Base):
    __tablename__ = "coverage_demand_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(32), unique=True)
    n_points: Mapped[int] = mapped_column(Integer)
    total_elderly: Mapped[float] = mapped_column(Float)
    derived: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class RunRow(Base):
    __tablename__ = "coverage_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    network_id: Mapped[int] = mapped_column(ForeignKey("coverage_networks.id"), index=True)
    demand_set_id: Mapped[int] = mapped_column(ForeignKey("coverage_demand_sets.id"), index=True)
    registry_version: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    stations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    gaps: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # who runs it and until when (Unix seconds), renewed by a heartbeat: a run whose lease
    # ran out is taken over by another replica (ADR 0111)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RunPointRow(Base):
    __tablename__ = "coverage_run_points"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("coverage_runs.id", ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    demand_id: Mapped[str] = mapped_column(String(128))
    elderly: Mapped[float] = mapped_column(Float)
    minutes: Mapped[float | None] = mapped_column(Float)
    nearest_station: Mapped[str | None] = mapped_column(String(128))
    access_2sfca: Mapped[float | None] = mapped_column(Float)


class RunRegionRow(Base):
    __tablename__ = "coverage_run_regions"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("coverage_runs.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True, index=True)
    elderly: Mapped[float] = mapped_column(Float)
    covered_elderly: Mapped[float] = mapped_column(Float)
    demand_points: Mapped[int] = mapped_column(Integer)
    covered_share_by_count: Mapped[float | None] = mapped_column(Float)
    covered_share_by_elderly: Mapped[float | None] = mapped_column(Float)


class TaskRow(Base):
    """A long query on a finished run (many stations' isochrones, siting) kept as a job.

    Same life as a run: queued → running (progress 0–100) → done (``result``) or failed
    (``error``); ``cache_key`` makes the same request answer the same task.
    """

    __tablename__ = "coverage_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[int] = mapped_column(
        ForeignKey("coverage_runs.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a lease like a run's (ADR 0113): a dead replica's task is taken over by another
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RegionRunRow(Base):
    """Many regions' coverage as one request: each region is an ordinary run (its own lease,
    cache and results); this row only lists them, in the caller's order."""

    __tablename__ = "coverage_region_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: ``[{"region_code": ..., "run_id": ...}, ...]``
    regions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
