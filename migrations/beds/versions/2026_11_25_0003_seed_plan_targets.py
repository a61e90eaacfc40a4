"""seed plan targets: Liupanshui, Zhangzhou and Yubei figures from issue 5

The rows are frozen here (a migration must not change when code does); the
test suite checks they equal ``services.beds.seeds.PLAN_TARGETS``.

Revision ID: beds_0003
Revises: beds_0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "beds_0003"
down_revision: str | None = "beds_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIUPANSHUI_PLAN = '六盘水市"十四五"民政事业发展规划'
ZHANGZHOU_PLAN = '漳州市"十四五"规划 (title not given in issue 5)'
YUBEI_PLAN = '渝北区"十四五"规划 (title not given in issue 5)'
COLUMNS = (
    "region_code",
    "region_name",
    "indicator",
    "comparator",
    "threshold",
    "binding",
    "target_year",
    "source_document",
    "note",
)
ROWS = [
    ("520200000000", "六盘水市", "nursing_share", "ge", 0.55, True, 2025, LIUPANSHUI_PLAN, None),
    (
        "520200000000",
        "六盘水市",
        "central_homes_nursing_70_share",
        "ge",
        1.0,
        None,
        2025,
        LIUPANSHUI_PLAN,
        "nursing-type beds >= 70 % in each county's central township home (中心敬老院); issue 5 lists this "
        "figure without naming its region: attached to Liupanshui here, check against the plan",
    ),
    ("350600000000", "漳州市", "nursing_share", "ge", 0.60, None, 2025, ZHANGZHOU_PLAN, None),
    (
        "350600000000",
        "漳州市",
        "beds_per_1000_elderly",
        "ge",
        39.0,
        None,
        2025,
        ZHANGZHOU_PLAN,
        "elderly = residents aged 60+ (registry field elderly_60plus)",
    ),
    (
        "350600000000",
        "漳州市",
        "private_operated_share",
        "ge",
        0.50,
        None,
        2025,
        ZHANGZHOU_PLAN,
        "privately operated = public-built private-run (公建民营) + private (民办)",
    ),
    ("500112000000", "渝北区", "nursing_share", "ge", 0.60, None, 2025, YUBEI_PLAN, None),
    (
        "500112000000",
        "渝北区",
        "government_operated_share",
        "le",
        0.40,
        None,
        2025,
        YUBEI_PLAN,
        "government-operated = public-run (公办公营) only",
    ),
    (
        "500112000000",
        "渝北区",
        "total_beds",
        "ge",
        7000.0,
        None,
        2025,
        YUBEI_PLAN,
        "7,000 care beds in total (institutional beds)",
    ),
]


def _table() -> sa.Table:
    return sa.table(
        "plan_targets",
        sa.column("region_code", sa.String),
        sa.column("region_name", sa.String),
        sa.column("indicator", sa.String),
        sa.column("comparator", sa.String),
        sa.column("threshold", sa.Float),
        sa.column("binding", sa.Boolean),
        sa.column("target_year", sa.Integer),
        sa.column("source_document", sa.String),
        sa.column("note", sa.Text),
    )


def upgrade() -> None:
    op.bulk_insert(_table(), [dict(zip(COLUMNS, row, strict=True)) for row in ROWS])


def downgrade() -> None:
    table = _table()
    for row in ROWS:
        record = dict(zip(COLUMNS, row, strict=True))
        op.execute(
            table.delete().where(
                table.c.region_code == record["region_code"],
                table.c.indicator == record["indicator"],
                table.c.comparator == record["comparator"],
                table.c.target_year == record["target_year"],
            )
        )
