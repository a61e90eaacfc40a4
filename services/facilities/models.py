"""Tables of the facilities service: facilities, regions, audit history, idempotency, registry version.

Coordinates are WGS84 lon/lat (stored as floats for exact reads and as a
spatial column for indexes: PostGIS geography + GiST, SQLite R*Tree by trigger).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
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
from services.common.spatial import GeometryColumn


class Base(DeclarativeBase):
    metadata = make_metadata()


class Facility(Base):
    __tablename__ = "facilities"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint(
            "star_rating IS NULL OR (star_rating BETWEEN 0 AND 5)", name="star_rating_range"
        ),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_non_negative"),
        CheckConstraint(
            "lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90", name="lon_lat_range"
        ),
        Index("ix_facilities_geog", "geog", postgresql_using="gist").ddl_if(dialect="postgresql"),
        # Nearby with a type filter walks only that type in KNN order (btree_gist; ADR 0073).
        Index("ix_facilities_type_geog", "type", "geog", postgresql_using="gist").ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(64), default="registry")
    name: Mapped[str] = mapped_column(String(200))
    name_normalized: Mapped[str] = mapped_column(String(200), index=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    services_mask: Mapped[int] = mapped_column(Integer, default=0)
    operation_mode: Mapped[str | None] = mapped_column(String(32))
    operator: Mapped[str | None] = mapped_column(String(200))
    star_rating: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True, default="active")
    capacity: Mapped[int | None] = mapped_column(Integer)
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    phone: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(300))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    geog: Mapped[BaseGeometry | None] = mapped_column(GeometryColumn("POINT", geography=True))
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    # Indexed: finding a center's stations, and ON DELETE SET NULL without a table scan per row.
    center_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="SET NULL"), index=True
    )
    verified_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint(
            "level IN ('province', 'city', 'district', 'street', 'community')", name="level_known"
        ),
        # Enforced by PostgreSQL; SQLite cannot add it without rebuilding the table and its
        # R*Tree triggers (migration facilities_0006), so imports validate kinds first.
        CheckConstraint(
            "kind IS NULL OR kind IN ('subdistrict', 'town', 'township', 'urban_community', 'village')",
            name="kind_known",
        ),
        Index("ix_regions_geom", "geom", postgresql_using="gist").ddl_if(dialect="postgresql"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    # Integer twin of the code: SQLite's R*Tree keys rows by integer id.
    code_int: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)
    population: Mapped[int | None] = mapped_column(Integer)
    elderly_60plus: Mapped[int | None] = mapped_column(Integer)
    elderly_65plus: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    year: Mapped[int | None] = mapped_column(Integer)
    # Street level: subdistrict/town/township; community level: urban_community/village.
    kind: Mapped[str | None] = mapped_column(String(16))
    population_source: Mapped[str | None] = mapped_column(String(200))
    geom: Mapped[BaseGeometry | None] = mapped_column(GeometryColumn("MULTIPOLYGON"))
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class FacilityAudit(Base):
    """Every change to a facility: who, when, what it was before and after."""

    __tablename__ = "facility_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class IdempotencyRecord(Base):
    """A POST answered once under an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any]] = mapped_column(JSON)
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Indexed: keys expire (common/idempotency.py IDEMPOTENCY_TTL_S) and are purged by age.
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), index=True
    )


class RegistryState(Base):
    """One row: the registry version, bumped in the same transaction as every write."""

    __tablename__ = "registry_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
