"""Tables of the gateway (API keys) (its own database; no other service reads them)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from services.common.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()
