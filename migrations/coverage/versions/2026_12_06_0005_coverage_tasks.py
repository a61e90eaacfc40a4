"""long queries on a finished run (isochrones of many stations, siting) kept as jobs

Revision ID: coverage_0005
Revises: coverage_0004
Create Date: 2026-12-06

A request too large to answer within the gateway's timeout is accepted (202 + Location)
and computed by a worker; status, progress and the result live here so any replica can
answer the poll (issue 17).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "coverage_0005"
down_revision: str | None = "coverage_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "coverage_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["coverage_runs.id"],
            ondelete="CASCADE",
            name=op.f("fk_coverage_tasks_run_id_coverage_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_tasks")),
        sa.UniqueConstraint("cache_key", name=op.f("uq_coverage_tasks_cache_key")),
    )
    op.create_index(op.f("ix_coverage_tasks_run_id"), "coverage_tasks", ["run_id"])
    op.create_index(op.f("ix_coverage_tasks_status"), "coverage_tasks", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_coverage_tasks_status"), table_name="coverage_tasks")
    op.drop_index(op.f("ix_coverage_tasks_run_id"), table_name="coverage_tasks")
    op.drop_table("coverage_tasks")
