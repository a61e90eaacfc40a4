"""registry schema: facilities, regions, audit history, idempotency keys, registry version

Spatial indexes: GiST on PostGIS; SQLite's built-in R*Tree kept in step by triggers.

Revision ID: facilities_0002
Revises: facilities_0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.spatial import GeometryColumn, sqlite_rtree_ddl, sqlite_rtree_drop_ddl

revision: str = "facilities_0002"
down_revision: str | None = "facilities_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facilities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_normalized", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("services_mask", sa.Integer(), nullable=False),
        sa.Column("operation_mode", sa.String(length=32), nullable=True),
        sa.Column("operator", sa.String(length=200), nullable=True),
        sa.Column("star_rating", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("opening_hours", sa.JSON(), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("geog", GeometryColumn("POINT", geography=True), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("center_id", sa.Integer(), nullable=True),
        sa.Column("verified_on", sa.Date(), nullable=True),
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
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 0", name=op.f("ck_facilities_capacity_non_negative")
        ),
        sa.CheckConstraint(
            "lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90",
            name=op.f("ck_facilities_lon_lat_range"),
        ),
        sa.CheckConstraint(
            "star_rating IS NULL OR (star_rating BETWEEN 0 AND 5)",
            name=op.f("ck_facilities_star_rating_range"),
        ),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["facilities.id"],
            name=op.f("fk_facilities_center_id_facilities"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilities")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_facilities_source_external_id")),
    )
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_facilities_name_normalized"), ["name_normalized"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_facilities_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_facilities_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_facilities_type"), ["type"], unique=False)

    op.create_table(
        "facility_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_audit")),
    )
    with op.batch_alter_table("facility_audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_facility_audit_facility_id"), ["facility_id"], unique=False
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
        "regions",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("code_int", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("elderly_60plus", sa.Integer(), nullable=True),
        sa.Column("elderly_65plus", sa.Integer(), nullable=True),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("geom", GeometryColumn("MULTIPOLYGON"), nullable=True),
        sa.Column("min_lon", sa.Float(), nullable=True),
        sa.Column("min_lat", sa.Float(), nullable=True),
        sa.Column("max_lon", sa.Float(), nullable=True),
        sa.Column("max_lat", sa.Float(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "level IN ('province', 'city', 'district', 'street', 'community')",
            name=op.f("ck_regions_level_known"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
        sa.UniqueConstraint("code_int", name=op.f("uq_regions_code_int")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_level"), ["level"], unique=False)
        batch_op.create_index(batch_op.f("ix_regions_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "registry_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_state")),
    )
    if _is_postgres():
        op.create_index("ix_facilities_geog", "facilities", ["geog"], postgresql_using="gist")
        op.create_index("ix_regions_geom", "regions", ["geom"], postgresql_using="gist")
    else:
        for statement in sqlite_rtree_ddl(
            "facilities", "id", ("NEW.lon", "NEW.lon", "NEW.lat", "NEW.lat")
        ):
            op.execute(statement)
        bbox = ("NEW.min_lon", "NEW.max_lon", "NEW.min_lat", "NEW.max_lat")
        for statement in sqlite_rtree_ddl("regions", "code_int", bbox):
            op.execute(statement)
    op.execute("INSERT INTO registry_state (id, version) VALUES (1, 0)")


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def downgrade() -> None:
    if _is_postgres():
        op.drop_index("ix_regions_geom", table_name="regions")
        op.drop_index("ix_facilities_geog", table_name="facilities")
    else:
        for statement in sqlite_rtree_drop_ddl("regions") + sqlite_rtree_drop_ddl("facilities"):
            op.execute(statement)
    op.drop_table("registry_state")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_parent_code"))
        batch_op.drop_index(batch_op.f("ix_regions_level"))

    op.drop_table("regions")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("facility_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_audit_facility_id"))

    op.drop_table("facility_audit")
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facilities_type"))
        batch_op.drop_index(batch_op.f("ix_facilities_status"))
        batch_op.drop_index(batch_op.f("ix_facilities_region_code"))
        batch_op.drop_index(batch_op.f("ix_facilities_name_normalized"))

    op.drop_table("facilities")
