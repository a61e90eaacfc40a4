"""demand sets stored as one compressed blob of columns instead of JSON rows

Revision ID: coverage_0003
Revises: coverage_0002
Create Date: 2026-12-06

Existing sets are converted in place (through services.coverage.columnar, the one
encoder); their ``version`` is recomputed from the columns, so a run asked for again
after the upgrade is computed once more rather than taken from the cache.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "coverage_0003"
down_revision: str | None = "coverage_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

sets = sa.table(
    "coverage_demand_sets",
    sa.column("id", sa.Integer()),
    sa.column("version", sa.String()),
    sa.column("points", sa.JSON()),
    sa.column("data", sa.LargeBinary()),
)


def upgrade() -> None:
    from services.coverage import columnar
    from services.coverage.loaders import points_from_records

    with op.batch_alter_table("coverage_demand_sets") as batch:
        batch.add_column(sa.Column("data", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    taken: set[str] = set()
    for row in conn.execute(sa.select(sets.c.id, sets.c.version, sets.c.points)).all():
        ps = points_from_records(list(row.points), "demand", need_elderly=True)
        cols = columnar.columns(ps, "demand")
        new = columnar.version(cols)
        version = row.version if new in taken else new  # two old sets with equal columns
        taken.add(version)
        conn.execute(
            sets.update()
            .where(sets.c.id == row.id)
            .values(data=columnar.encode(cols), version=version)
        )
    with op.batch_alter_table("coverage_demand_sets") as batch:
        batch.alter_column("data", existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column("points")


def downgrade() -> None:
    from services.coverage import columnar

    with op.batch_alter_table("coverage_demand_sets") as batch:
        batch.add_column(sa.Column("points", sa.JSON(), nullable=True))
    conn = op.get_bind()
    for row in conn.execute(sa.select(sets.c.id, sets.c.data)).all():
        ps = columnar.decode(row.data)
        records = []
        for i in range(len(ps)):
            rec = {"id": str(ps.ids[i]), "lon": float(ps.lon[i]), "lat": float(ps.lat[i])}
            rec["elderly"] = float(ps.elderly[i])
            rec.update({k: v[i] for k, v in ps.attrs.items() if v[i] is not None})
            records.append(rec)
        conn.execute(sets.update().where(sets.c.id == row.id).values(points=records))
    with op.batch_alter_table("coverage_demand_sets") as batch:
        batch.alter_column("points", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("data")
