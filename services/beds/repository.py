"""All SQL of the beds service (the only module that reads or writes its tables).

Rollups are single ``GROUP BY`` statements over ``bed_reports`` filtered by the
stored ancestor code of the asked region's level (see :mod:`services.beds.levels`),
identical on SQLite and PostGIS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from services.beds.figures import FacilityFacts, Figures
from services.beds.indicators import (
    CENTRAL_HOME_NURSING_SHARE,
    CENTRAL_HOME_TYPES,
    GOVERNMENT_MODES,
    PRIVATE_MODES,
    BedTotals,
)
from services.beds.levels import ancestor_codes
from services.beds.models import (
    BedReport,
    BedReportRevision,
    CachedRegion,
    FamilyBeds,
    IdempotencyRecord,
    PlanTarget,
)
from services.beds.plans.facility_groups import INSTITUTIONAL_TYPES
from services.common.idempotency import IDEMPOTENCY_TTL_S as IDEMPOTENCY_TTL_S

# Answers to POSTs with an Idempotency-Key, read and written by services.common.idempotency.
# IDEMPOTENCY_TTL_S is imported above for our callers.
IDEMPOTENCY = cast(Table, IdempotencyRecord.__table__)


# --- reports -----------------------------------------------------------------------------------


def get_report(
    session: Session, *, facility_id: int, period: str, for_update: bool = False
) -> BedReport | None:
    query = select(BedReport).where(
        BedReport.facility_id == facility_id, BedReport.period == period
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def latest_report(session: Session, *, facility_id: int) -> BedReport | None:
    """The facility's report for its most recent period (its current state)."""
    query = (
        select(BedReport)
        .where(BedReport.facility_id == facility_id)
        .order_by(BedReport.period.desc())
        .limit(1)
    )
    return session.scalars(query).one_or_none()


def list_reports(
    session: Session,
    *,
    facility_id: int | None = None,
    region_column: str | None = None,
    region_code: str | None = None,
    period: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[BedReport]:
    """Reports in id order after ``after_id`` (keyset pagination)."""
    query = select(BedReport).where(BedReport.id > after_id)
    if facility_id is not None:
        query = query.where(BedReport.facility_id == facility_id)
    if region_column and region_code:
        query = query.where(getattr(BedReport, region_column) == region_code)
    if period:
        query = query.where(BedReport.period == period)
    return list(session.scalars(query.order_by(BedReport.id).limit(limit)))


def revisions(session: Session, *, report_id: int) -> list[BedReportRevision]:
    query = select(BedReportRevision).where(BedReportRevision.report_id == report_id)
    return list(session.scalars(query.order_by(BedReportRevision.revision)))


def family_rows(session: Session, *, report_id: int) -> list[FamilyBeds]:
    query = (
        select(FamilyBeds).where(FamilyBeds.report_id == report_id).order_by(FamilyBeds.region_code)
    )
    return list(session.scalars(query))


def _values(figures: Figures, facts: FacilityFacts) -> dict[str, Any]:
    """The columns a report takes from its figures and from the facility's facts."""
    return {
        "total_beds": figures.total_beds,
        "nursing_beds": figures.nursing_beds,
        "dementia_beds": figures.dementia_beds,
        "occupied_beds": figures.occupied_beds,
        "family_beds": figures.family_beds,
        "facility_external_id": facts.external_id,
        "facility_name": facts.name,
        "facility_type": facts.type,
        "operation_mode": facts.operation_mode,
        "region_code": facts.region_code,
        **_ancestors(facts.region_code),
    }


@lru_cache(maxsize=65_536)
def _ancestors(code: str | None) -> dict[str, str | None]:
    return ancestor_codes(code)


def _apply(report: BedReport, figures: Figures, facts: FacilityFacts) -> None:
    for column, value in _values(figures, facts).items():
        setattr(report, column, value)


def _snapshot(report: BedReport, figures: Figures) -> dict[str, Any]:
    return {
        **figures.as_dict(),
        "region_code": report.region_code,
        "operation_mode": report.operation_mode,
        "facility_type": report.facility_type,
    }


def _write_family(session: Session, report: BedReport, figures: Figures) -> None:
    session.execute(delete(FamilyBeds).where(FamilyBeds.report_id == report.id))
    merged: dict[str, int] = {}
    for item in figures.family:
        merged[item.region_code] = merged.get(item.region_code, 0) + item.beds
    for region_code, beds in merged.items():
        if beds:
            session.add(
                FamilyBeds(
                    report_id=report.id,
                    period=report.period,
                    beds=beds,
                    region_code=region_code,
                    **ancestor_codes(region_code),
                )
            )


def create_report(
    session: Session,
    *,
    period: str,
    figures: Figures,
    facts: FacilityFacts,
    actor: str,
    request_id: str | None,
    reason: str | None = None,
) -> BedReport:
    """A new report (revision 1); the caller checked that none exists for the period."""
    report = BedReport(facility_id=facts.facility_id, period=period, version=1)
    _apply(report, figures, facts)
    session.add(report)
    session.flush()
    _write_family(session, report, figures)
    session.add(
        BedReportRevision(
            report_id=report.id,
            revision=1,
            facility_id=report.facility_id,
            period=period,
            figures=_snapshot(report, figures),
            actor=actor,
            request_id=request_id,
            reason=reason,
        )
    )
    session.flush()
    return report


def create_reports(
    session: Session,
    items: Sequence[tuple[str, Figures, FacilityFacts]],
    *,
    actor: str,
    request_id: str | None,
    reason: str | None = None,
    batch: int = 2000,
) -> int:
    """Many new reports (revision 1 each) in a few multi-row INSERTs; returns how many.

    The same rows :func:`create_report` writes, without one round trip per row
    (bulk CSV imports of a whole city's month).
    """
    reports, revisions, family = (
        cast(Table, BedReport.__table__),
        cast(Table, BedReportRevision.__table__),
        cast(Table, FamilyBeds.__table__),
    )
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        values = []
        for period, figures, facts in chunk:
            values.append(
                {
                    "facility_id": facts.facility_id,
                    "period": period,
                    "version": 1,
                    **_values(figures, facts),
                }
            )
        # A plain executemany (psycopg pipelines it), then the ids by key: a multi-row
        # INSERT … RETURNING costs psycopg a regex pass over a huge statement per batch.
        session.execute(insert(reports), values)
        ids = _report_ids(session, [(facts.facility_id, period) for period, _, facts in chunk])
        revision_rows, family_rows = [], []
        for (period, figures, facts), value in zip(chunk, values, strict=True):
            report_id = ids[(facts.facility_id, period)]
            snapshot = {
                **figures.as_dict(),
                "region_code": value["region_code"],
                "operation_mode": value["operation_mode"],
                "facility_type": value["facility_type"],
            }
            revision_rows.append(
                {
                    "report_id": report_id,
                    "revision": 1,
                    "facility_id": facts.facility_id,
                    "period": period,
                    "figures": snapshot,
                    "actor": actor,
                    "request_id": request_id,
                    "reason": reason,
                }
            )
            merged: dict[str, int] = {}
            for item in figures.family:
                merged[item.region_code] = merged.get(item.region_code, 0) + item.beds
            family_rows += [
                {
                    "report_id": report_id,
                    "period": period,
                    "beds": beds,
                    "region_code": code,
                    **ancestor_codes(code),
                }
                for code, beds in merged.items()
                if beds
            ]
        session.execute(insert(revisions), revision_rows)
        if family_rows:
            session.execute(insert(family), family_rows)
    return len(items)


def _report_ids(session: Session, keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], int]:
    reports = BedReport.__table__
    by_period: dict[str, list[int]] = {}
    for facility_id, period in keys:
        by_period.setdefault(period, []).append(facility_id)
    ids: dict[tuple[int, str], int] = {}
    for period, facility_ids in by_period.items():
        query = select(reports.c.id, reports.c.facility_id).where(
            reports.c.period == period, reports.c.facility_id.in_(facility_ids)
        )
        ids.update({(row.facility_id, period): row.id for row in session.execute(query)})
    return ids


def revise_report(
    session: Session,
    report: BedReport,
    *,
    figures: Figures,
    facts: FacilityFacts,
    actor: str,
    request_id: str | None,
    reason: str | None = None,
) -> BedReport:
    """A correction: new current figures and a new revision row; the old ones stay in history."""
    _apply(report, figures, facts)
    report.version += 1
    report.updated_at = datetime.now(UTC)
    session.flush()
    _write_family(session, report, figures)
    session.add(
        BedReportRevision(
            report_id=report.id,
            revision=report.version,
            facility_id=report.facility_id,
            period=report.period,
            figures=_snapshot(report, figures),
            actor=actor,
            request_id=request_id,
            reason=reason,
        )
    )
    session.flush()
    return report


def reports_for(
    session: Session, keys: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], BedReport]:
    """Existing reports for (facility_id, period) pairs, fetched in chunks."""
    found: dict[tuple[int, str], BedReport] = {}
    by_period: dict[str, list[int]] = {}
    for facility_id, period in keys:
        by_period.setdefault(period, []).append(facility_id)
    for period, ids in by_period.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = select(BedReport).where(
                BedReport.period == period, BedReport.facility_id.in_(chunk)
            )
            for report in session.scalars(query):
                found[(report.facility_id, report.period)] = report
    return found


# --- rollups -----------------------------------------------------------------------------------


def _totals_columns(table: Any) -> list[ColumnElement[Any]]:
    total = table.c.total_beds
    nursing = table.c.nursing_beds
    central = table.c.facility_type.in_(CENTRAL_HOME_TYPES) & (total > 0)
    institutional = table.c.facility_type.in_(INSTITUTIONAL_TYPES)
    # nursing / total ≥ p / q, in integers (no rounding at the threshold)
    p, q = CENTRAL_HOME_NURSING_SHARE.numerator, CENTRAL_HOME_NURSING_SHARE.denominator
    meets = nursing * q >= total * p
    return [
        func.count().label("facilities"),
        func.coalesce(func.sum(total), 0).label("total_beds"),
        func.coalesce(func.sum(nursing), 0).label("nursing_beds"),
        func.coalesce(func.sum(case((institutional, total), else_=0)), 0).label(
            "institutional_beds"
        ),
        func.coalesce(func.sum(case((institutional, nursing), else_=0)), 0).label(
            "institutional_nursing_beds"
        ),
        func.coalesce(func.sum(table.c.dementia_beds), 0).label("dementia_beds"),
        func.coalesce(func.sum(table.c.occupied_beds), 0).label("occupied_beds"),
        func.coalesce(
            func.sum(case((table.c.operation_mode.in_(PRIVATE_MODES), total), else_=0)), 0
        ).label("private_beds"),
        func.coalesce(
            func.sum(case((table.c.operation_mode.in_(GOVERNMENT_MODES), total), else_=0)), 0
        ).label("government_beds"),
        func.coalesce(func.sum(case((table.c.operation_mode.is_(None), total), else_=0)), 0).label(
            "unknown_mode_beds"
        ),
        func.coalesce(func.sum(case((central, 1), else_=0)), 0).label("central_homes"),
        func.coalesce(func.sum(case((central & meets, 1), else_=0)), 0).label(
            "central_homes_meeting_70"
        ),
        # ceil((p·total − q·nursing) / q) in integers: beds to convert per home below the share.
        func.coalesce(
            func.sum(case((central & ~meets, (total * p - nursing * q + q - 1) // q), else_=0)), 0
        ).label("central_homes_gap_beds"),
    ]


def region_totals(
    session: Session,
    *,
    column: str,
    code: str,
    first_period: str,
    last_period: str,
    group_by: str | None = None,
) -> dict[Any, BedTotals]:
    """Summed figures of every report inside ``code`` (``column`` = its level's code column).

    ``group_by``: ``None`` (one row, key ``None``), ``"period"`` (a time series)
    or a level column (children of the region). Family beds are summed from
    their own table, where they are counted in the homes' region.
    """
    reports = BedReport.__table__
    family = FamilyBeds.__table__
    key_reports = reports.c[group_by] if group_by else literal(None)
    key_family = family.c[group_by] if group_by else literal(None)
    where_reports = and_(
        reports.c[column] == code, reports.c.period.between(first_period, last_period)
    )
    where_family = and_(
        family.c[column] == code, family.c.period.between(first_period, last_period)
    )
    query = select(key_reports.label("key"), *_totals_columns(reports)).where(where_reports)
    if group_by:
        query = query.group_by(reports.c[group_by])
    out: dict[Any, dict[str, int]] = {}
    for row in session.execute(query).mappings():
        out[row["key"]] = {name: int(value) for name, value in row.items() if name != "key"}
    family_query = select(
        key_family.label("key"), func.coalesce(func.sum(family.c.beds), 0).label("beds")
    ).where(where_family)
    if group_by:
        family_query = family_query.group_by(family.c[group_by])
    for key, beds in session.execute(family_query):
        if group_by is None and not beds and key not in out:
            continue
        out.setdefault(key, {})["family_beds"] = int(beds)
    return {key: BedTotals(**values) for key, values in out.items()}


def latest_period(session: Session, *, column: str, code: str) -> str | None:
    """The most recent month any facility inside ``code`` reported (index-only on both engines)."""
    reports = BedReport.__table__
    return session.execute(
        select(func.max(reports.c.period)).where(reports.c[column] == code)
    ).scalar_one_or_none()


# --- region cache ------------------------------------------------------------------------------


def cached_region(session: Session, code: str) -> CachedRegion | None:
    return session.get(CachedRegion, code)


def cached_children(session: Session, code: str) -> list[CachedRegion]:
    return list(
        session.scalars(
            select(CachedRegion).where(CachedRegion.parent_code == code).order_by(CachedRegion.code)
        )
    )


def upsert_regions(
    session: Session, regions: Sequence[dict[str, Any]], *, children_of: str | None = None
) -> None:
    """Store regions as the registry described them (``children_of``: their parent's children are now known)."""
    now = datetime.now(UTC)
    for body in regions:
        region = session.get(CachedRegion, body["code"]) or CachedRegion(
            code=body["code"], children_fetched=False
        )
        region.name = body.get("name") or body["code"]
        region.level = body.get("level")
        region.parent_code = body.get("parent_code")
        for name in ("population", "elderly_60plus", "elderly_65plus", "year"):
            setattr(region, name, body.get(name))
        region.fetched_at = now
        session.add(region)
    if children_of is not None:
        parent = session.get(CachedRegion, children_of)
        if parent is not None:
            parent.children_fetched = True
    session.flush()


# --- targets -----------------------------------------------------------------------------------


def targets_for(session: Session, codes: Sequence[str]) -> list[PlanTarget]:
    query = select(PlanTarget).where(PlanTarget.region_code.in_(list(codes)))
    return list(
        session.scalars(query.order_by(PlanTarget.region_code, PlanTarget.indicator, PlanTarget.id))
    )


def all_targets(session: Session) -> list[PlanTarget]:
    return list(
        session.scalars(
            select(PlanTarget).order_by(PlanTarget.region_code, PlanTarget.indicator, PlanTarget.id)
        )
    )


def find_target(
    session: Session, *, region_code: str, indicator: str, comparator: str, target_year: int
) -> PlanTarget | None:
    query = select(PlanTarget).where(
        PlanTarget.region_code == region_code,
        PlanTarget.indicator == indicator,
        PlanTarget.comparator == comparator,
        PlanTarget.target_year == target_year,
    )
    return session.scalars(query).one_or_none()


def add_target(session: Session, **values: Any) -> PlanTarget:
    target = PlanTarget(**values)
    session.add(target)
    session.flush()
    return target
