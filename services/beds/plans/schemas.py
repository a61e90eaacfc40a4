"""Request and response schemas of the plan-monitoring routes (``/api/v1/plans``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.validation import TextChecked


class TargetStatus(BaseModel):
    """One target of the region on one indicator (the outside-check interface; keys fixed)."""

    comparator: Literal["gt", "ge", "le", "lt", "eq"]
    threshold: float
    target_year: int
    kind: Literal["binding", "expected"] | None = Field(
        description="binding = 约束性, expected = 预期性, null = the plan does not say"
    )
    status: Literal["met", "not_met", "no_data"]
    gap: int | None = Field(
        description="Least whole number of the indicator's gap unit that meets it"
    )
    source_file: str | None
    source_line: str | None = Field(description="The plan's line, verbatim")


class IndicatorItem(BaseModel):
    """One plan indicator of a region for a month (the outside-check interface; keys fixed)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "indicator": "nursing_share",
                    "value": 0.572,
                    "numerator": 14347,
                    "denominator": 25081,
                    "unit": "share",
                    "targets": [
                        {
                            "comparator": "gt",
                            "threshold": 0.6,
                            "target_year": 2025,
                            "kind": None,
                            "status": "not_met",
                            "gap": 702,
                            "source_file": "zhangzhou-14th-fyp-civil-affairs.txt",
                            "source_line": "养老机构护理型床位占比超过60%",
                        }
                    ],
                }
            ]
        }
    )

    indicator: str
    value: float | None
    numerator: float | None
    denominator: float | None
    unit: str
    targets: list[TargetStatus]


class ReportedIn(TextChecked):
    """A figure a district reports for one region and month (share as a fraction, or its parts)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "region_code": "350602000000",
                    "period": "2025-10",
                    "indicator": "destitute_centralized_care_rate",
                    "numerator": 412,
                    "denominator": 655,
                    "source": "芗城区民政局 2025年10月特困供养统计",
                }
            ]
        },
    )

    region_code: str
    period: str
    indicator: str
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    source: str
    note: str | None = None
    reason: str | None = Field(None, description="Why a correction was made (kept in the revision)")


class ReportedOut(BaseModel):
    id: int
    region_code: str
    period: str
    indicator: str
    value: float
    numerator: float | None
    denominator: float | None
    source: str
    note: str | None
    version: int


class ReportedPage(BaseModel):
    items: list[ReportedOut]
    next_cursor: str | None = None


class ReportedRevision(BaseModel):
    revision: int
    figures: dict[str, float | str | None]
    source: str
    actor: str
    request_id: str | None
    reason: str | None


class ImportOutcome(BaseModel):
    rows: int
    created: int
    revised: int
    unchanged: int
    ids: list[int]
