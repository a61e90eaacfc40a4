"""All SQL of plan monitoring (reported figures, recorded figures, per-facility bed tests).

Bed sums come from :func:`services.beds.repository.region_totals`; what is here needs
one facility at a time (does a county have one institution at ≥ 70 % nursing beds?),
still as one ``GROUP BY`` over ``bed_reports``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from services.beds.models import BedReport
from services.beds.plans.facility_groups import INSTITUTIONAL_TYPES, TOWNSHIP_HOME_TYPES
from services.beds.plans.figures import Figure
from services.beds.plans.models import PlanSnapshot, ReportedFigure, ReportedFigureRevision
from services.common.identity import region_prefix

# --- beds: per-facility tests, counted per county and month ------------------------------------


def county_qualifiers(
    session: Session, *, column: str, code: str, first: str, last: str
) -> dict[tuple[str, str | None], tuple[int, int]]:
    """``{(period, district_code): (institutions ≥ 70 %, township homes ≥ 70 %)}`` inside ``code``.

    A facility qualifies when it reported beds and nursing-type beds × 10 ≥ beds × 7.
    """
    reports = BedReport.__table__
    total, nursing = reports.c.total_beds, reports.c.nursing_beds
    meets = (total > 0) & (nursing * 10 >= total * 7)
    institution = reports.c.facility_type.in_(INSTITUTIONAL_TYPES)
    home = reports.c.facility_type.in_(TOWNSHIP_HOME_TYPES)
    query = (
        select(
            reports.c.period,
            reports.c.district_code,
            func.sum(case((meets & institution, 1), else_=0)),
            func.sum(case((meets & home, 1), else_=0)),
        )
        .where(and_(reports.c[column] == code, reports.c.period.between(first, last)))
        .group_by(reports.c.period, reports.c.district_code)
    )
    return {(p, d): (int(a or 0), int(b or 0)) for p, d, a, b in session.execute(query)}


# --- reported figures --------------------------------------------------------------------------


def reported_rows(
    session: Session, *, code: str, first: str, last: str, indicators: Sequence[str] = ()
) -> list[ReportedFigure]:
    """Reported figures of ``code`` and every region inside it, for months ``first``–``last``."""
    query = select(ReportedFigure).where(
        ReportedFigure.region_code.startswith(region_prefix(code)),
        ReportedFigure.period.between(first, last),
    )
    if indicators:
        query = query.where(ReportedFigure.indicator.in_(list(indicators)))
    return list(session.scalars(query.order_by(ReportedFigure.id)))


def get_reported(
    session: Session, *, region_code: str, period: str, indicator: str, for_update: bool = False
) -> ReportedFigure | None:
    query = select(ReportedFigure).where(
        ReportedFigure.region_code == region_code,
        ReportedFigure.period == period,
        ReportedFigure.indicator == indicator,
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def reported_by_id(session: Session, figure_id: int) -> ReportedFigure | None:
    return session.get(ReportedFigure, figure_id)


def list_reported(
    session: Session,
    *,
    code: str | None = None,
    period: str | None = None,
    indicator: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[ReportedFigure]:
    """Reported figures in id order after ``after_id`` (keyset pagination)."""
    query = select(ReportedFigure).where(ReportedFigure.id > after_id)
    if code:
        query = query.where(ReportedFigure.region_code.startswith(region_prefix(code)))
    if period:
        query = query.where(ReportedFigure.period == period)
    if indicator:
        query = query.where(ReportedFigure.indicator == indicator)
    return list(session.scalars(query.order_by(ReportedFigure.id).limit(limit)))


def _snapshot(figure: ReportedFigure) -> dict[str, Any]:
    return {
        "value": figure.value,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "note": figure.note,
    }


def write_reported(
    session: Session,
    *,
    existing: ReportedFigure | None,
    region_code: str,
    period: str,
    values: dict[str, Any],
    actor: str,
    request_id: str | None,
    reason: str | None = None,
) -> tuple[ReportedFigure, str]:
    """Create, revise or leave a figure; ``(figure, "created" | "revised" | "unchanged")``.

    A revision keeps the earlier one in ``plan_reported_figure_revisions``.
    """
    fields = ("value", "numerator", "denominator", "source", "note")
    if existing is not None and all(getattr(existing, f) == values.get(f) for f in fields):
        return existing, "unchanged"
    if existing is None:
        figure = ReportedFigure(
            region_code=region_code, period=period, indicator=values["indicator"], version=1
        )
        session.add(figure)
        outcome = "created"
    else:
        figure = existing
        figure.version += 1
        figure.updated_at = datetime.now(UTC)
        outcome = "revised"
    for name in fields:
        setattr(figure, name, values.get(name))
    session.flush()
    session.add(
        ReportedFigureRevision(
            figure_id=figure.id,
            revision=figure.version,
            figures=_snapshot(figure),
            source=figure.source,
            actor=actor,
            request_id=request_id,
            reason=reason,
        )
    )
    session.flush()
    return figure, outcome


def reported_revisions(session: Session, *, figure_id: int) -> list[ReportedFigureRevision]:
    query = select(ReportedFigureRevision).where(ReportedFigureRevision.figure_id == figure_id)
    return list(session.scalars(query.order_by(ReportedFigureRevision.revision)))


# --- recorded figures (month closes) -----------------------------------------------------------


def record_figures(session: Session, *, code: str, period: str, figures: dict[str, Figure]) -> int:
    """Store (or replace) the month's recorded value of each figure; returns how many."""
    existing = {
        row.indicator: row
        for row in session.scalars(
            select(PlanSnapshot).where(
                PlanSnapshot.region_code == code, PlanSnapshot.period == period
            )
        )
    }
    now = datetime.now(UTC)
    for indicator, figure in figures.items():
        row = existing.get(indicator) or PlanSnapshot(
            region_code=code, period=period, indicator=indicator
        )
        row.value, row.numerator, row.denominator = (
            figure.value,
            figure.numerator,
            figure.denominator,
        )
        row.recorded_at = now
        session.add(row)
    session.flush()
    return len(figures)


def recorded_figures(session: Session, *, code: str, first: str, last: str) -> list[PlanSnapshot]:
    query = select(PlanSnapshot).where(
        PlanSnapshot.region_code == code, PlanSnapshot.period.between(first, last)
    )
    return list(session.scalars(query.order_by(PlanSnapshot.period)))
