"""The only module that writes the gateway's tables (API keys)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.keys import NewKey
from gateway.models import ApiKey


def create_api_key(
    session: Session,
    *,
    key: NewKey,
    role: str,
    region_code: str | None,
    facility_ids: Sequence[int] = (),
    label: str | None = None,
) -> ApiKey:
    row = ApiKey(
        key_id=key.key_id,
        secret_sha256=key.secret_sha256,
        role=role,
        region_code=region_code,
        facility_ids=list(facility_ids),
        label=label,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row


def get_api_key(session: Session, *, key_id: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_id == key_id)).one_or_none()


def list_api_keys(session: Session, *, include_revoked: bool = False) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def revoke_api_key(session: Session, *, key_id: str) -> ApiKey | None:
    """Mark a key revoked (kept for the audit trail); None when there is no such key."""
    row = get_api_key(session, key_id=key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()
    return row
