"""idempotency keys expire: index their creation time

Revision ID: beds_0004
Revises: beds_0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "beds_0004"
down_revision: str | None = "beds_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))
