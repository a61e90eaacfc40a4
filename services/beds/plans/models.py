"""Tables of plan monitoring in the beds database: figures districts report, and recorded monthly figures.

A reported figure is one region's value of one indicator for one month (``YYYY-MM``),
with where it comes from (``source``). Corrections keep every earlier revision, as bed
reports do. A recorded figure (``plan_snapshots``) keeps a registry- or coverage-based
indicator as it stood when a month was closed (``carecircle plan snapshot``), because
the registry itself keeps no monthly history: series and projections read them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from services.beds.models import CODE, Base
from services.common.db import UTCDateTime


class ReportedFigure(Base):
    """The current value of one reported indicator for one region and month."""

    __tablename__ = "plan_reported_figures"
    __table_args__ = (
        UniqueConstraint("region_code", "period", "indicator"),
        Index("ix_plan_reported_figures_period_indicator", "period", "indicator"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(CODE, index=True)
    period: Mapped[str] = mapped_column(String(7))
    indicator: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class ReportedFigureRevision(Base):
    """Every revision of a reported figure, append-only: what, from which source, by whom, when."""

    __tablename__ = "plan_reported_figure_revisions"
    __table_args__ = (UniqueConstraint("figure_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    figure_id: Mapped[int] = mapped_column(
        ForeignKey("plan_reported_figures.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class PlanSnapshot(Base):
    """A registry- or coverage-based indicator of a region as recorded when a month was closed."""

    __tablename__ = "plan_snapshots"
    __table_args__ = (UniqueConstraint("region_code", "period", "indicator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(CODE, index=True)
    period: Mapped[str] = mapped_column(String(7))
    indicator: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
