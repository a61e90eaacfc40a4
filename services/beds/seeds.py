"""The plan targets seeded into every beds database (migration ``beds_0003`` inserts the same rows).

Figures are those issue 5 lists from the seed plans. Only the Liupanshui nursing
share is stated there as binding (约束性); for the others the issue does not say,
so ``binding`` is ``None`` ("not stated") rather than a guess. Only the Liupanshui
plan's title is given in the issue; the other titles are left generic on purpose.
Target year 2025 is the last year of the 14th Five-Year period (2021–2025).
"""

from __future__ import annotations

from typing import Any

LIUPANSHUI = "520200000000"
ZHANGZHOU = "350600000000"
YUBEI = "500112000000"

LIUPANSHUI_PLAN = '六盘水市"十四五"民政事业发展规划'
ZHANGZHOU_PLAN = '漳州市"十四五"规划 (title not given in issue 5)'
YUBEI_PLAN = '渝北区"十四五"规划 (title not given in issue 5)'

PLAN_TARGETS: list[dict[str, Any]] = [
    {
        "region_code": LIUPANSHUI,
        "region_name": "六盘水市",
        "indicator": "nursing_share",
        "comparator": "ge",
        "threshold": 0.55,
        "binding": True,
        "target_year": 2025,
        "source_document": LIUPANSHUI_PLAN,
        "note": None,
    },
    {
        "region_code": LIUPANSHUI,
        "region_name": "六盘水市",
        "indicator": "central_homes_nursing_70_share",
        "comparator": "ge",
        "threshold": 1.0,
        "binding": None,
        "target_year": 2025,
        "source_document": LIUPANSHUI_PLAN,
        "note": "nursing-type beds >= 70 % in each county's central township home (中心敬老院); issue 5 lists this "
        "figure without naming its region: attached to Liupanshui here, check against the plan",
    },
    {
        "region_code": ZHANGZHOU,
        "region_name": "漳州市",
        "indicator": "nursing_share",
        "comparator": "ge",
        "threshold": 0.60,
        "binding": None,
        "target_year": 2025,
        "source_document": ZHANGZHOU_PLAN,
        "note": None,
    },
    {
        "region_code": ZHANGZHOU,
        "region_name": "漳州市",
        "indicator": "beds_per_1000_elderly",
        "comparator": "ge",
        "threshold": 39.0,
        "binding": None,
        "target_year": 2025,
        "source_document": ZHANGZHOU_PLAN,
        "note": "elderly = residents aged 60+ (registry field elderly_60plus)",
    },
    {
        "region_code": ZHANGZHOU,
        "region_name": "漳州市",
        "indicator": "private_operated_share",
        "comparator": "ge",
        "threshold": 0.50,
        "binding": None,
        "target_year": 2025,
        "source_document": ZHANGZHOU_PLAN,
        "note": "privately operated = public-built private-run (公建民营) + private (民办)",
    },
    {
        "region_code": YUBEI,
        "region_name": "渝北区",
        "indicator": "nursing_share",
        "comparator": "ge",
        "threshold": 0.60,
        "binding": None,
        "target_year": 2025,
        "source_document": YUBEI_PLAN,
        "note": None,
    },
    {
        "region_code": YUBEI,
        "region_name": "渝北区",
        "indicator": "government_operated_share",
        "comparator": "le",
        "threshold": 0.40,
        "binding": None,
        "target_year": 2025,
        "source_document": YUBEI_PLAN,
        "note": "government-operated = public-run (公办公营) only",
    },
    {
        "region_code": YUBEI,
        "region_name": "渝北区",
        "indicator": "total_beds",
        "comparator": "ge",
        "threshold": 7000.0,
        "binding": None,
        "target_year": 2025,
        "source_document": YUBEI_PLAN,
        "note": "7,000 care beds in total (institutional beds)",
    },
]
