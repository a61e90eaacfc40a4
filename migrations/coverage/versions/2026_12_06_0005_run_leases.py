"""coverage runs carry a lease (owner, until, attempts) so a dead replica's runs are taken over

Revision ID: coverage_0005
Revises: coverage_0004
Create Date: 2026-12-06

See docs/decisions/0111-coverage-jobs-survive-a-dead-replica.md. Runs left ``running``
without a lease (by a version before this one) count as claimable at once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "coverage_0005"
down_revision: str | None = "coverage_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coverage_runs") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(100), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.Float(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("coverage_runs") as batch:
        batch.drop_column("attempts")
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
