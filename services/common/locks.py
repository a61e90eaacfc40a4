"""Transaction-scoped locks on a name, for races a "check, then insert" cannot see."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def advisory_lock(*, session: Session, key: str) -> None:
    """Serialise writers that share ``key`` until the transaction ends (PostgreSQL advisory lock).

    SQLite needs none: write sessions hold the database lock from BEGIN IMMEDIATE.
    Used for Idempotency-Keys and for duplicate checks, where two racing inserts
    would otherwise both see "nothing there yet".
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )
