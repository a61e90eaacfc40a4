"""Tables of the beds service (its own database; no other service reads them).

A bed report is one facility's figures for one month. ``bed_reports`` holds the
current figures of each (facility, month) and ``bed_report_revisions`` every
revision ever written, so a correction never overwrites without trace.

Each report keeps, as of write time, the facility's region code and that code's
ancestor at every level (province … community), so a rollup over any region is
one ``WHERE <level>_code = :code GROUP BY …`` in SQL, on both engines.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, make_metadata

CODE = String(12)


class Base(DeclarativeBase):
    metadata = make_metadata()


class BedReport(Base):
    """The current figures of one facility for one month (``period`` is ``YYYY-MM``)."""

    __tablename__ = "bed_reports"
    __table_args__ = (
        UniqueConstraint("facility_id", "period"),
        CheckConstraint(
            "total_beds >= 0 AND nursing_beds >= 0 AND dementia_beds >= 0 AND occupied_beds >= 0 AND family_beds >= 0",
            name="non_negative",
        ),
        CheckConstraint(
            "nursing_beds <= total_beds AND dementia_beds <= total_beds AND occupied_beds <= total_beds",
            name="parts_within_total",
        ),
        Index("ix_bed_reports_period_province", "period", "province_code"),
        Index("ix_bed_reports_period_city", "period", "city_code"),
        Index("ix_bed_reports_period_district", "period", "district_code"),
        Index("ix_bed_reports_period_street", "period", "street_code"),
        Index("ix_bed_reports_period_community", "period", "community_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility_id: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    total_beds: Mapped[int] = mapped_column(Integer)
    nursing_beds: Mapped[int] = mapped_column(Integer)
    dementia_beds: Mapped[int] = mapped_column(Integer)
    occupied_beds: Mapped[int] = mapped_column(Integer)
    family_beds: Mapped[int] = mapped_column(Integer, default=0)
    # Facts about the facility as the facilities service told us at write time.
    facility_external_id: Mapped[str | None] = mapped_column(String(128))
    facility_name: Mapped[str | None] = mapped_column(String(200))
    facility_type: Mapped[str | None] = mapped_column(String(32))
    operation_mode: Mapped[str | None] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(CODE)
    province_code: Mapped[str | None] = mapped_column(CODE)
    city_code: Mapped[str | None] = mapped_column(CODE)
    district_code: Mapped[str | None] = mapped_column(CODE)
    street_code: Mapped[str | None] = mapped_column(CODE)
    community_code: Mapped[str | None] = mapped_column(CODE)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class BedReportRevision(Base):
    """Every revision of a report, append-only: what was reported, by whom, when."""

    __tablename__ = "bed_report_revisions"
    __table_args__ = (UniqueConstraint("report_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("bed_reports.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    facility_id: Mapped[int] = mapped_column(Integer, index=True)
    period: Mapped[str] = mapped_column(String(7))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class FamilyBeds(Base):
    """Family care beds (家庭养老床位) of a report, counted in the region of the homes."""

    __tablename__ = "family_beds"
    __table_args__ = (
        UniqueConstraint("report_id", "region_code"),
        CheckConstraint("beds >= 0", name="non_negative"),
        Index("ix_family_beds_period_city", "period", "city_code"),
        Index("ix_family_beds_period_district", "period", "district_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("bed_reports.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    beds: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(CODE)
    province_code: Mapped[str | None] = mapped_column(CODE)
    city_code: Mapped[str | None] = mapped_column(CODE)
    district_code: Mapped[str | None] = mapped_column(CODE)
    street_code: Mapped[str | None] = mapped_column(CODE)
    community_code: Mapped[str | None] = mapped_column(CODE)


class CachedRegion(Base):
    """A region as the facilities service's registry described it (names, elderly counts)."""

    __tablename__ = "region_cache"

    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str | None] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(CODE, index=True)
    population: Mapped[int | None] = mapped_column(Integer)
    elderly_60plus: Mapped[int | None] = mapped_column(Integer)
    elderly_65plus: Mapped[int | None] = mapped_column(Integer)
    year: Mapped[int | None] = mapped_column(Integer)
    children_fetched: Mapped[bool] = mapped_column(Boolean, default=False)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlanTarget(Base):
    """A plan target for a region: ``indicator comparator threshold`` by ``target_year``, as written.

    ``source_line`` quotes the plan verbatim; ``source_table`` holds the cells of an indicator
    table's row (services/beds/seeds.py).
    """

    __tablename__ = "plan_targets"
    __table_args__ = (
        UniqueConstraint("region_code", "indicator", "comparator", "target_year"),
        CheckConstraint("comparator IN ('gt', 'ge', 'le', 'lt', 'eq')", name="comparator_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(CODE, index=True)
    region_name: Mapped[str | None] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(64))
    comparator: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    # True: binding (约束性); False: expected (预期性); None: the source we seeded from does not say.
    binding: Mapped[bool | None] = mapped_column(Boolean)
    target_year: Mapped[int] = mapped_column(Integer)
    source_document: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    baseline: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    wording: Mapped[str | None] = mapped_column(String(40))
    source_file: Mapped[str | None] = mapped_column(String(200))
    source_line: Mapped[str | None] = mapped_column(Text)
    source_table: Mapped[str | None] = mapped_column(Text)


class IdempotencyRecord(Base):
    """A POST answered once under an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any]] = mapped_column(JSON)
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Indexed: answers expire (common/idempotency.py IDEMPOTENCY_TTL_S) and are purged by age.
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), index=True
    )


# Plan monitoring's own tables (reported figures, recorded registry figures) share this metadata.
from services.beds.plans import models as _plan_models  # noqa: E402, F401
