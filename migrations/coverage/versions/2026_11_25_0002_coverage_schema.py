"""coverage schema: networks, demand sets, runs (jobs) with per-point and per-region results

Revision ID: coverage_0002
Revises: coverage_0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "coverage_0002"
down_revision: str | None = "coverage_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "coverage_networks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("epsg", sa.Integer(), nullable=False),
        sa.Column("n_nodes", sa.Integer(), nullable=False),
        sa.Column("n_edges", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_networks")),
        sa.UniqueConstraint("version", name=op.f("uq_coverage_networks_version")),
    )
    op.create_table(
        "coverage_demand_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("n_points", sa.Integer(), nullable=False),
        sa.Column("total_elderly", sa.Float(), nullable=False),
        sa.Column("derived", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_demand_sets")),
        sa.UniqueConstraint("version", name=op.f("uq_coverage_demand_sets_version")),
    )
    op.create_table(
        "coverage_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("demand_set_id", sa.Integer(), nullable=False),
        sa.Column("registry_version", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("stations", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("gaps", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["coverage_networks.id"],
            name=op.f("fk_coverage_runs_network_id_coverage_networks"),
        ),
        sa.ForeignKeyConstraint(
            ["demand_set_id"],
            ["coverage_demand_sets.id"],
            name=op.f("fk_coverage_runs_demand_set_id_coverage_demand_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_runs")),
        sa.UniqueConstraint("cache_key", name=op.f("uq_coverage_runs_cache_key")),
    )
    op.create_index(op.f("ix_coverage_runs_status"), "coverage_runs", ["status"])
    op.create_index(op.f("ix_coverage_runs_network_id"), "coverage_runs", ["network_id"])
    op.create_index(op.f("ix_coverage_runs_demand_set_id"), "coverage_runs", ["demand_set_id"])
    op.create_table(
        "coverage_run_points",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("demand_id", sa.String(length=128), nullable=False),
        sa.Column("elderly", sa.Float(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=True),
        sa.Column("nearest_station", sa.String(length=128), nullable=True),
        sa.Column("access_2sfca", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["coverage_runs.id"],
            ondelete="CASCADE",
            name=op.f("fk_coverage_run_points_run_id_coverage_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", "idx", name=op.f("pk_coverage_run_points")),
    )
    op.create_table(
        "coverage_run_regions",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("elderly", sa.Float(), nullable=False),
        sa.Column("covered_elderly", sa.Float(), nullable=False),
        sa.Column("demand_points", sa.Integer(), nullable=False),
        sa.Column("covered_share_by_count", sa.Float(), nullable=True),
        sa.Column("covered_share_by_elderly", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["coverage_runs.id"],
            ondelete="CASCADE",
            name=op.f("fk_coverage_run_regions_run_id_coverage_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", "region_code", name=op.f("pk_coverage_run_regions")),
    )
    op.create_index(
        op.f("ix_coverage_run_regions_region_code"), "coverage_run_regions", ["region_code"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_coverage_run_regions_region_code"), table_name="coverage_run_regions")
    op.drop_table("coverage_run_regions")
    op.drop_table("coverage_run_points")
    op.drop_index(op.f("ix_coverage_runs_demand_set_id"), table_name="coverage_runs")
    op.drop_index(op.f("ix_coverage_runs_network_id"), table_name="coverage_runs")
    op.drop_index(op.f("ix_coverage_runs_status"), table_name="coverage_runs")
    op.drop_table("coverage_runs")
    op.drop_table("coverage_demand_sets")
    op.drop_table("coverage_networks")
