"""region kind and population source: street/community units from cn-admin-codes

``kind`` says what a street-level unit (subdistrict 街道, town 镇, township 乡) or a
community-level unit (urban_community 社区, village 村) is; ``population_source`` says
where a region's population figures come from. Plain ADD COLUMNs: on SQLite a table
rebuild would drop the R*Tree triggers of ``regions``, so the kind check is added on
PostgreSQL only (imports validate kinds on both). The kind list is frozen here as
written; tests compare it with ``services.facilities.schemas.REGION_KINDS``.

Revision ID: facilities_0006
Revises: facilities_0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "facilities_0006"
down_revision: str | None = "facilities_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("subdistrict", "town", "township", "urban_community", "village")
KIND_CHECK = "kind IS NULL OR kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")"


def upgrade() -> None:
    op.add_column("regions", sa.Column("kind", sa.String(length=16), nullable=True))
    op.add_column("regions", sa.Column("population_source", sa.String(length=200), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(op.f("ck_regions_kind_known"), "regions", KIND_CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_regions_kind_known"), "regions", type_="check")
    op.drop_column("regions", "population_source")
    op.drop_column("regions", "kind")
