"""Answer examples of the beds service's routes and plan monitoring (OpenAPI documents).

Taken from the demo (`carecircle demo`: synthetic district 示范区, its bed reports), trimmed to
one or two items; the request examples are on the schemas."""

from __future__ import annotations

from typing import Any

REPORT: dict[str, Any] = {
    "id": 2,
    "facility_id": 1,
    "period": "2026-10",
    "total_beds": 251,
    "nursing_beds": 184,
    "dementia_beds": 34,
    "occupied_beds": 161,
    "free_beds": 90,
    "family_beds": 0,
    "family_beds_by_region": [],
    "facility_external_id": "DEMO-0001",
    "facility_name": "示范养老院01",
    "facility_type": "nursing_home",
    "operation_mode": "private",
    "region_code": "990101002001",
    "version": 1,
    "created_at": "2026-12-06T03:34:18Z",
    "updated_at": "2026-12-06T03:34:18Z",
}
REPORT_PAGE: dict[str, Any] = {"items": [REPORT], "next_cursor": "2"}
REVISIONS: dict[str, Any] = {
    "items": [
        {
            "revision": 1,
            "figures": {
                "total_beds": 251,
                "nursing_beds": 184,
                "dementia_beds": 34,
                "occupied_beds": 161,
                "family_beds": 0,
                "family": [],
                "region_code": "990101002001",
                "operation_mode": "private",
                "facility_type": "nursing_home",
            },
            "actor": "anonymous",
            "request_id": None,
            "reason": "csv import",
            "created_at": "2026-12-06T03:34:18Z",
        }
    ]
}
INDICATORS: dict[str, Any] = {
    "region": "990101000000",
    "region_name": "示范区",
    "level": "district",
    "period": "2026-11",
    "facilities": 8,
    "total_beds": 1219,
    "nursing_beds": 690,
    "dementia_beds": 91,
    "occupied_beds": 832,
    "free_beds": 387,
    "family_beds": 100,
    "nursing_share": 0.5383,
    "dementia_share": 0.0747,
    "beds_per_1000_elderly": 71.609,
    "beds_per_1000_elderly_incl_family": 77.4834,
    "private_operated_share": 0.6842,
    "government_operated_share": 0.3158,
    "occupancy_rate": 0.6825,
    "central_homes": 0,
    "central_homes_meeting_70": 0,
    "central_homes_nursing_70_share": None,
    "elderly_60plus": 17023,
    "elderly_source": "registry",
    "institutional_beds": 979,
    "institutional_nursing_beds": 527,
    "private_beds": 834,
    "government_beds": 385,
    "unknown_mode_beds": 0,
    "central_homes_gap_beds": 0,
}
SERIES: dict[str, Any] = {
    "region": "990101000000",
    "region_name": "示范区",
    "level": "district",
    "elderly_source": "cache",
    "items": [
        {
            "period": "2026-09",
            "facilities": 8,
            "total_beds": 1219,
            "nursing_beds": 635,
            "institutional_beds": 979,
            "institutional_nursing_beds": 544,
            "dementia_beds": 59,
            "occupied_beds": 836,
            "private_beds": 834,
            "government_beds": 385,
            "unknown_mode_beds": 0,
            "family_beds": 95,
            "central_homes": 0,
            "central_homes_meeting_70": 0,
            "central_homes_gap_beds": 0,
            "elderly_60plus": 17023,
            "nursing_share": 0.5557,
            "dementia_share": 0.0484,
            "occupancy_rate": 0.6858,
            "private_operated_share": 0.6842,
            "government_operated_share": 0.3158,
            "beds_per_1000_elderly": 71.609,
            "beds_per_1000_elderly_incl_family": 77.1897,
            "central_homes_nursing_70_share": None,
            "free_beds": 383,
        },
        {
            "period": "2026-10",
            "facilities": 8,
            "total_beds": 1219,
            "nursing_beds": 696,
            "institutional_beds": 979,
            "institutional_nursing_beds": 574,
            "dementia_beds": 127,
            "occupied_beds": 869,
            "private_beds": 834,
            "government_beds": 385,
            "unknown_mode_beds": 0,
            "family_beds": 77,
            "central_homes": 0,
            "central_homes_meeting_70": 0,
            "central_homes_gap_beds": 0,
            "elderly_60plus": 17023,
            "nursing_share": 0.5863,
            "dementia_share": 0.1042,
            "occupancy_rate": 0.7129,
            "private_operated_share": 0.6842,
            "government_operated_share": 0.3158,
            "beds_per_1000_elderly": 71.609,
            "beds_per_1000_elderly_incl_family": 76.1323,
            "central_homes_nursing_70_share": None,
            "free_beds": 350,
        },
    ],
}
CHILDREN: dict[str, Any] = {
    "region": "990101000000",
    "region_name": "示范区",
    "level": "district",
    "elderly_source": "cache",
    "period": "2026-11",
    "indicator": "nursing_share",
    "order": "asc",
    "items": [
        {
            "region": "990101004000",
            "region_name": "示范街道 4",
            "facilities": 1,
            "total_beds": 184,
            "nursing_beds": 72,
            "institutional_beds": 184,
            "institutional_nursing_beds": 72,
            "dementia_beds": 7,
            "occupied_beds": 171,
            "private_beds": 184,
            "government_beds": 0,
            "unknown_mode_beds": 0,
            "family_beds": 4,
            "central_homes": 0,
            "central_homes_meeting_70": 0,
            "central_homes_gap_beds": 0,
            "elderly_60plus": 3060,
            "nursing_share": 0.3913,
            "dementia_share": 0.038,
            "occupancy_rate": 0.9293,
            "private_operated_share": 1.0,
            "government_operated_share": 0.0,
            "beds_per_1000_elderly": 60.1307,
            "beds_per_1000_elderly_incl_family": 61.4379,
            "central_homes_nursing_70_share": None,
            "free_beds": 13,
        },
        {
            "region": "990101002000",
            "region_name": "示范街道 2",
            "facilities": 2,
            "total_beds": 325,
            "nursing_beds": 161,
            "institutional_beds": 251,
            "institutional_nursing_beds": 126,
            "dementia_beds": 31,
            "occupied_beds": 200,
            "private_beds": 325,
            "government_beds": 0,
            "unknown_mode_beds": 0,
            "family_beds": 26,
            "central_homes": 0,
            "central_homes_meeting_70": 0,
            "central_homes_gap_beds": 0,
            "elderly_60plus": 4828,
            "nursing_share": 0.502,
            "dementia_share": 0.0954,
            "occupancy_rate": 0.6154,
            "private_operated_share": 1.0,
            "government_operated_share": 0.0,
            "beds_per_1000_elderly": 67.3157,
            "beds_per_1000_elderly_incl_family": 72.7009,
            "central_homes_nursing_70_share": None,
            "free_beds": 125,
        },
    ],
}
TARGETS: dict[str, Any] = {
    "items": [
        {
            "region_code": "350200000000",
            "region_name": "厦门市",
            "indicator": "care_center_renovations",
            "comparator": "ge",
            "threshold": 4.0,
            "binding": None,
            "target_year": 2023,
            "source_document": "2023年全市民政工作要点(厦门市民政局)",
            "note": None,
            "baseline": None,
            "baseline_year": None,
            "wording": "4个",
            "source_file": "xiamen-2023-civil-affairs-work-points.txt",
            "source_line": "将4个照料中心和6个敬老餐厅改扩建项目纳入市政府为民办实事项目",
            "source_table": None,
            "id": 49,
        }
    ]
}
TARGET: dict[str, Any] = {
    "region_code": "350200000000",
    "region_name": "厦门市",
    "indicator": "care_center_renovations",
    "comparator": "ge",
    "threshold": 4.0,
    "binding": None,
    "target_year": 2023,
    "source_document": "2023年全市民政工作要点(厦门市民政局)",
    "note": None,
    "baseline": None,
    "baseline_year": None,
    "wording": "4个",
    "source_file": "xiamen-2023-civil-affairs-work-points.txt",
    "source_line": "将4个照料中心和6个敬老餐厅改扩建项目纳入市政府为民办实事项目",
    "source_table": None,
    "id": 49,
}
IMPORT: dict[str, Any] = {"rows": 24, "created": 24, "revised": 0, "unchanged": 0}
COMPLIANCE: dict[str, Any] = {
    "region": "990101000000",
    "region_name": "示范区",
    "level": "district",
    "elderly_source": "cache",
    "period": "2026-11",
    "totals": {
        "facilities": 8,
        "total_beds": 1219,
        "nursing_beds": 690,
        "institutional_beds": 979,
        "institutional_nursing_beds": 527,
        "dementia_beds": 91,
        "occupied_beds": 832,
        "private_beds": 834,
        "government_beds": 385,
        "unknown_mode_beds": 0,
        "family_beds": 100,
        "central_homes": 0,
        "central_homes_meeting_70": 0,
        "central_homes_gap_beds": 0,
    },
    "items": [
        {
            "target_id": 52,
            "indicator": "nursing_share",
            "comparator": "ge",
            "threshold": 0.55,
            "value": 0.5383,
            "met": False,
            "gap_beds": 12,
            "gap_beds_if_added": 26,
            "message": "not met: 53.8 %; 12 ordinary beds converted to nursing-type beds, or "
            "26 new nursing-type beds, reach ≥ 55 %",
            "binding": True,
            "target_year": 2025,
            "source_document": "示范区“十四五”民政事业发展规划",
            "target_region": "990101000000",
            "scope": "own",
            "note": None,
            "worst_children": [
                {"region": "990101004000", "region_name": "示范街道 4", "value": 0.3913},
                {"region": "990101002000", "region_name": "示范街道 2", "value": 0.502},
            ],
        }
    ],
}
COMPLIANCE_CSV: str = (
    "region,region_name,period,indicator,comparator,threshold,value,met,gap_beds,gap_beds_if_added,binding,target_year,source_document,scope,worst_children,message\n"
    "990101000000,示范区,2026-11,nursing_share,ge,0.55,0.5383,false,12,26,true,2025,示范区“十四五”民政事业发展规划,own,990101004000 "
    '示范街道 4 0.3913; 990101002000 示范街道 2 0.502,"not met: 53.8 %; 12 ordinary beds converted to '
    'nursing-type beds, or 26 new nursing-type beds, reach ≥ 55 %"\n'
)
PLAN_INDICATORS: list[Any] = [
    {
        "indicator": "total_beds",
        "value": 1219.0,
        "numerator": 1219.0,
        "denominator": None,
        "unit": "beds",
        "targets": [],
    },
    {
        "indicator": "nursing_share",
        "value": 0.5383,
        "numerator": 527.0,
        "denominator": 979.0,
        "unit": "share",
        "targets": [],
    },
]
PLAN_CHILDREN: dict[str, Any] = {
    "region": "990101000000",
    "region_name": "示范区",
    "period": "2026-11",
    "indicator": "nursing_share",
    "order": "asc",
    "items": [
        {
            "region": "990101004000",
            "region_name": "示范街道 4",
            "value": 0.3913,
            "numerator": 72,
            "denominator": 184,
            "missing": None,
        },
        {
            "region": "990101002000",
            "region_name": "示范街道 2",
            "value": 0.502,
            "numerator": 126,
            "denominator": 251,
            "missing": None,
        },
    ],
}
PLAN_SERIES: dict[str, Any] = {
    "region": "990101000000",
    "indicator": "nursing_share",
    "unit": "share",
    "items": [
        {"period": "2026-09", "value": 0.5557},
        {"period": "2026-10", "value": 0.5863},
        {"period": "2026-11", "value": 0.5383},
    ],
}
PLAN_COMPLIANCE: dict[str, Any] = {
    "region": "990101000000",
    "region_name": "示范区",
    "level": "district",
    "period": "2026-11",
    "generated_at": "2026-12-06T03:34:58+00:00",
    "targets": [
        {
            "target_id": 52,
            "indicator": "nursing_share",
            "scope": "own",
            "target_region": "990101000000",
            "target_region_name": "示范区",
            "comparator": "ge",
            "wording": "不低于",
            "threshold": 0.55,
            "target_year": 2025,
            "kind": "binding",
            "baseline": 0.31,
            "baseline_year": 2020,
            "value": 0.5383,
            "numerator": 527,
            "denominator": 979,
            "missing": None,
            "provenance": "bed reports 2026-11 (8 facilities)",
            "status": "not_met",
            "gap": 12,
            "gap_if_added": 26,
            "projection": {
                "at": "2025-12",
                "points": 3,
                "projected": 0.5383,
                "on_track": False,
                "method": "least-squares line through the monthly values of the "
                "last 12 months (at least 3), read at December of the "
                "target year",
            },
            "worst_children": [
                {
                    "region": "990101004000",
                    "region_name": "示范街道 4",
                    "value": 0.3913,
                    "numerator": 72,
                    "denominator": 184,
                    "gap": 30,
                },
                {
                    "region": "990101002000",
                    "region_name": "示范街道 2",
                    "value": 0.502,
                    "numerator": 126,
                    "denominator": 251,
                    "gap": 13,
                },
            ],
            "source_document": "示范区“十四五”民政事业发展规划",
            "source_file": None,
            "source_line": None,
            "source_table": None,
            "note": None,
        }
    ],
    "indicators": [
        {
            "indicator": "total_beds",
            "value": 1219,
            "numerator": 1219,
            "denominator": None,
            "unit": "beds",
            "missing": None,
            "provenance": "bed reports 2026-11 (8 facilities)",
        },
        {
            "indicator": "institutional_beds",
            "value": 979,
            "numerator": 979,
            "denominator": None,
            "unit": "beds",
            "missing": None,
            "provenance": "bed reports 2026-11 (8 facilities)",
        },
    ],
}
PLAN_REPORT_CSV: str = (
    "\ufeff序号,指标,目标层级,目标,目标年份,属性,基期值,当前值,分子 / 分母,状态,差距,按趋势预计,拖后的下级地区,数据来源,指标定义,规划文件,规划原文,备注,指标代码\n"
    ',养老服务床位,,,,,,"1,219",,,,,,2026-11 床位报表（8 '
    "家设施）,当月报告的全部养老服务床位:养老机构床位加社区养老服务设施床位(家庭养老床位另计),,,,total_beds\n"
    ",养老机构床位,,,,,,979,,,,,,2026-11 床位报表（8 "
    "家设施）,养老机构(养老院、敬老院、嵌入式养老机构)当月报告的床位,,,,institutional_beds\n"
)
PLAN_DEFINITIONS: dict[str, Any] = {
    "items": [
        {
            "id": "total_beds",
            "source": "beds",
            "unit": "beds",
            "label_zh": "养老服务床位",
            "label_en": "care beds (养老服务床位)",
            "definition_zh": "当月报告的全部养老服务床位:养老机构床位加社区养老服务设施床位(家庭养老床位另计)",
            "definition_en": "beds reported for the month by every facility, institutions and "
            "community facilities alike (family beds in homes not included)",
            "gap_unit_zh": "张床位",
            "gap_unit_en": "beds",
            "inheritable": False,
        }
    ]
}
PLAN_TARGETS: dict[str, Any] = {
    "items": [
        {
            "id": 49,
            "region_code": "350200000000",
            "region_name": "厦门市",
            "indicator": "care_center_renovations",
            "comparator": "ge",
            "threshold": 4.0,
            "binding": None,
            "target_year": 2023,
            "source_document": "2023年全市民政工作要点(厦门市民政局)",
            "note": None,
            "baseline": None,
            "baseline_year": None,
            "wording": "4个",
            "source_file": "xiamen-2023-civil-affairs-work-points.txt",
            "source_line": "将4个照料中心和6个敬老餐厅改扩建项目纳入市政府为民办实事项目",
            "source_table": None,
        }
    ]
}
REPORTED_OUTCOME: dict[str, Any] = {
    "rows": 1,
    "created": 1,
    "revised": 0,
    "unchanged": 0,
    "ids": [1],
}
REPORTED_PAGE: dict[str, Any] = {
    "items": [
        {
            "id": 1,
            "region_code": "990101000000",
            "period": "2026-10",
            "indicator": "elderly_care_social_workers",
            "value": 12.0,
            "numerator": None,
            "denominator": None,
            "source": "示范区民政局 2026年10月报表",
            "note": None,
            "version": 1,
        }
    ],
    "next_cursor": None,
}
REPORTED_REVISIONS: list[Any] = [
    {
        "revision": 1,
        "figures": {"value": 12.0, "numerator": None, "denominator": None, "note": None},
        "source": "示范区民政局 2026年10月报表",
        "actor": "official key:d69a904b8965",
        "request_id": "7b668a51b72eaab99152df51e4476c97",
        "reason": None,
    }
]
