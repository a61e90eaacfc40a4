"""bed reports: current figures, revisions, family beds, region cache, plan targets, idempotency keys

Reports keep the ancestor code of their region at every level, indexed with the
period, so rollups are one GROUP BY on both engines (ADR 0200).

Revision ID: beds_0002
Revises: beds_0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "beds_0002"
down_revision: str | None = "beds_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bed_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("total_beds", sa.Integer(), nullable=False),
        sa.Column("nursing_beds", sa.Integer(), nullable=False),
        sa.Column("dementia_beds", sa.Integer(), nullable=False),
        sa.Column("occupied_beds", sa.Integer(), nullable=False),
        sa.Column("family_beds", sa.Integer(), nullable=False),
        sa.Column("facility_external_id", sa.String(length=128), nullable=True),
        sa.Column("facility_name", sa.String(length=200), nullable=True),
        sa.Column("facility_type", sa.String(length=32), nullable=True),
        sa.Column("operation_mode", sa.String(length=32), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("province_code", sa.String(length=12), nullable=True),
        sa.Column("city_code", sa.String(length=12), nullable=True),
        sa.Column("district_code", sa.String(length=12), nullable=True),
        sa.Column("street_code", sa.String(length=12), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "nursing_beds <= total_beds AND dementia_beds <= total_beds AND occupied_beds <= total_beds",
            name=op.f("ck_bed_reports_parts_within_total"),
        ),
        sa.CheckConstraint(
            "total_beds >= 0 AND nursing_beds >= 0 AND dementia_beds >= 0 AND occupied_beds >= 0 AND family_beds >= 0",
            name=op.f("ck_bed_reports_non_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bed_reports")),
        sa.UniqueConstraint(
            "facility_id", "period", name=op.f("uq_bed_reports_facility_id_period")
        ),
    )
    with op.batch_alter_table("bed_reports", schema=None) as batch_op:
        batch_op.create_index("ix_bed_reports_period_city", ["period", "city_code"], unique=False)
        batch_op.create_index(
            "ix_bed_reports_period_community", ["period", "community_code"], unique=False
        )
        batch_op.create_index(
            "ix_bed_reports_period_district", ["period", "district_code"], unique=False
        )
        batch_op.create_index(
            "ix_bed_reports_period_province", ["period", "province_code"], unique=False
        )
        batch_op.create_index(
            "ix_bed_reports_period_street", ["period", "street_code"], unique=False
        )

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.JSON(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "plan_targets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("region_name", sa.String(length=200), nullable=True),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("comparator", sa.String(length=2), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("binding", sa.Boolean(), nullable=True),
        sa.Column("target_year", sa.Integer(), nullable=False),
        sa.Column("source_document", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "comparator IN ('ge', 'le')", name=op.f("ck_plan_targets_comparator_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_targets")),
        sa.UniqueConstraint(
            "region_code",
            "indicator",
            "comparator",
            "target_year",
            name=op.f("uq_plan_targets_region_code_indicator_comparator_target_year"),
        ),
    )
    with op.batch_alter_table("plan_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_targets_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "region_cache",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("elderly_60plus", sa.Integer(), nullable=True),
        sa.Column("elderly_65plus", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("children_fetched", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_region_cache")),
    )
    with op.batch_alter_table("region_cache", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_region_cache_parent_code"), ["parent_code"], unique=False
        )

    op.create_table(
        "bed_report_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["bed_reports.id"],
            name=op.f("fk_bed_report_revisions_report_id_bed_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bed_report_revisions")),
        sa.UniqueConstraint(
            "report_id", "revision", name=op.f("uq_bed_report_revisions_report_id_revision")
        ),
    )
    with op.batch_alter_table("bed_report_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bed_report_revisions_facility_id"), ["facility_id"], unique=False
        )

    op.create_table(
        "family_beds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("beds", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("province_code", sa.String(length=12), nullable=True),
        sa.Column("city_code", sa.String(length=12), nullable=True),
        sa.Column("district_code", sa.String(length=12), nullable=True),
        sa.Column("street_code", sa.String(length=12), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.CheckConstraint("beds >= 0", name=op.f("ck_family_beds_non_negative")),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["bed_reports.id"],
            name=op.f("fk_family_beds_report_id_bed_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_beds")),
        sa.UniqueConstraint(
            "report_id", "region_code", name=op.f("uq_family_beds_report_id_region_code")
        ),
    )
    with op.batch_alter_table("family_beds", schema=None) as batch_op:
        batch_op.create_index("ix_family_beds_period_city", ["period", "city_code"], unique=False)
        batch_op.create_index(
            "ix_family_beds_period_district", ["period", "district_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("family_beds", schema=None) as batch_op:
        batch_op.drop_index("ix_family_beds_period_district")
        batch_op.drop_index("ix_family_beds_period_city")

    op.drop_table("family_beds")
    with op.batch_alter_table("bed_report_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bed_report_revisions_facility_id"))

    op.drop_table("bed_report_revisions")
    with op.batch_alter_table("region_cache", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_region_cache_parent_code"))

    op.drop_table("region_cache")
    with op.batch_alter_table("plan_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_targets_region_code"))

    op.drop_table("plan_targets")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("bed_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_bed_reports_period_street")
        batch_op.drop_index("ix_bed_reports_period_province")
        batch_op.drop_index("ix_bed_reports_period_district")
        batch_op.drop_index("ix_bed_reports_period_community")
        batch_op.drop_index("ix_bed_reports_period_city")

    op.drop_table("bed_reports")
