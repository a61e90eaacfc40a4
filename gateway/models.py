"""Tables of the gateway (API keys) (its own database; no other service reads them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class ApiKey(Base):
    """One API key: a public ``key_id`` to find it and the SHA-256 of its secret half.

    The full key (``cc_<key_id>_<secret>``) is shown once at creation and never stored.
    """

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(
            "role IN ('public', 'operator', 'official', 'planner', 'admin')", name="role_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(12))
    facility_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
