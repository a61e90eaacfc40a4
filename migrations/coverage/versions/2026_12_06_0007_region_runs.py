"""many-region coverage requests: a row listing one ordinary run per region

Revision ID: coverage_0007
Revises: coverage_0006
Create Date: 2026-12-06

``POST /api/v1/coverage/region-runs`` (docs/coverage.md): each region is a coverage run of
its own (lease, cache, results); this table only keeps the list so the request can be polled.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "coverage_0007"
down_revision: str | None = "coverage_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coverage_region_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_region_runs")),
        sa.UniqueConstraint("cache_key", name=op.f("uq_coverage_region_runs_cache_key")),
    )


def downgrade() -> None:
    op.drop_table("coverage_region_runs")
