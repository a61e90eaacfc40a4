"""nearby by type: GiST (type, geog) on PostGIS; type lanes in the SQLite R*Tree

Apps nearly always ask for one facility type. PostGIS: a KNN scan on (type, geog)
visits only that type (btree_gist supplies the GiST operator class for the type
column; a trusted extension, so the database owner may create it). SQLite: each
type moves to its own copy of the longitude axis in rtree_facilities,
x = lon + 400 × lane (ADR 0074), so a box for one type touches only that type.

The lane numbers are frozen here as written (the code's copy is
services/facilities/rtree_lanes.py; tests check both place every type alike).

Revision ID: facilities_0005
Revises: facilities_0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from services.common.spatial import sqlite_rtree_ddl, sqlite_rtree_drop_ddl

revision: str = "facilities_0005"
down_revision: str | None = "facilities_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANES = (
    "(CASE {type} WHEN 'nursing_home' THEN 0 WHEN 'care_center' THEN 1 "
    "WHEN 'community_station' THEN 2 WHEN 'day_care' THEN 3 "
    "WHEN 'rural_happiness_home' THEN 4 WHEN 'mutual_aid_point' THEN 5 "
    "WHEN 'meal_point' THEN 6 WHEN 'township_home' THEN 7 WHEN 'embedded_home' THEN 8 "
    "ELSE 9 END)"
)


def _rebuild_rtree(x: str) -> None:
    """Recreate rtree_facilities (and its triggers) with ``x`` over NEW.*, refilled from the table."""
    for statement in sqlite_rtree_drop_ddl("facilities"):
        op.execute(statement)
    for statement in sqlite_rtree_ddl("facilities", "id", (x, x, "NEW.lat", "NEW.lat")):
        op.execute(statement)
    x_now = x.replace("NEW.", "")
    op.execute(
        "INSERT INTO rtree_facilities (id, min_x, max_x, min_y, max_y) "
        f"SELECT id, {x_now}, {x_now}, lat, lat FROM facilities WHERE lon IS NOT NULL"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.create_index(
            "ix_facilities_type_geog", "facilities", ["type", "geog"], postgresql_using="gist"
        )
    else:
        _rebuild_rtree("(NEW.lon + 400 * " + LANES.format(type="NEW.type") + ")")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_facilities_type_geog", table_name="facilities", postgresql_using="gist")
    else:
        _rebuild_rtree("NEW.lon")
