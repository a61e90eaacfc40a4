"""index facilities.center_id

Without it every facility DELETE scans the table for stations to un-link
(ON DELETE SET NULL), which makes deleting many rows quadratic, and finding a
center's stations is a full scan.

Revision ID: facilities_0004
Revises: facilities_0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "facilities_0004"
down_revision: str | None = "facilities_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facilities_center_id"), ["center_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facilities_center_id"))
