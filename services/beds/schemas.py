"""Request and response bodies of the beds API (shares are fractions in [0, 1])."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.common.validation import MAX_INT, TextChecked

PERIOD_EXAMPLE = "2025-06"


class FamilyBedsIn(TextChecked):
    region_code: str = Field(
        description="12-digit code of the region the homes are in", examples=["350203001000"]
    )
    beds: int = Field(
        ge=0,
        le=MAX_INT,
        description="Family care beds (家庭养老床位) set up in homes of that region",
    )


class ReportIn(TextChecked):
    """One facility's beds in one month."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "facility_id": 12,
                    "period": PERIOD_EXAMPLE,
                    "total_beds": 120,
                    "nursing_beds": 70,
                    "dementia_beds": 10,
                    "occupied_beds": 96,
                    "family_beds": 15,
                }
            ]
        },
    )

    facility_id: int = Field(
        ge=1, le=MAX_INT, description="Id of the facility in the facilities service"
    )
    period: str = Field(
        description="Month reported, YYYY-MM (not in the future)", examples=[PERIOD_EXAMPLE]
    )
    total_beds: int = Field(ge=0, le=MAX_INT)
    nursing_beds: int = Field(
        ge=0, le=MAX_INT, description="Nursing-type beds (护理型床位), within total_beds"
    )
    dementia_beds: int = Field(
        0, ge=0, le=MAX_INT, description="Dementia-care beds (失智照护床位), within total_beds"
    )
    occupied_beds: int = Field(
        ge=0, le=MAX_INT, description="Beds occupied at the end of the month, within total_beds"
    )
    family_beds: int | None = Field(
        None,
        ge=0,
        le=MAX_INT,
        description="Family care beds the facility serves, counted in its own region",
    )
    family_beds_by_region: list[FamilyBedsIn] | None = Field(
        None, description="Family care beds per region of the homes (instead of family_beds)"
    )
    reason: str | None = Field(None, max_length=500, description="Why (kept with the revision)")


class CorrectionIn(TextChecked):
    """New figures for an existing report (a new revision)."""

    model_config = ConfigDict(extra="forbid")

    total_beds: int = Field(ge=0, le=MAX_INT)
    nursing_beds: int = Field(ge=0, le=MAX_INT)
    dementia_beds: int = Field(0, ge=0, le=MAX_INT)
    occupied_beds: int = Field(ge=0, le=MAX_INT)
    family_beds: int | None = Field(None, ge=0, le=MAX_INT)
    family_beds_by_region: list[FamilyBedsIn] | None = None
    reason: str | None = Field(None, max_length=500)


class ReportOut(BaseModel):
    id: int
    facility_id: int
    period: str
    total_beds: int
    nursing_beds: int
    dementia_beds: int
    occupied_beds: int
    free_beds: int
    family_beds: int
    family_beds_by_region: list[FamilyBedsIn]
    facility_external_id: str | None
    facility_name: str | None
    facility_type: str | None
    operation_mode: str | None
    region_code: str | None
    version: int
    created_at: datetime | None
    updated_at: datetime | None


class ReportPage(BaseModel):
    items: list[ReportOut]
    next_cursor: str | None


class RevisionOut(BaseModel):
    revision: int
    figures: dict[str, Any]
    actor: str
    request_id: str | None
    reason: str | None
    created_at: datetime | None


class RevisionList(BaseModel):
    items: list[RevisionOut]


class ImportOut(BaseModel):
    rows: int
    created: int
    revised: int
    unchanged: int


class Indicators(BaseModel):
    """A region's indicators for one period, rolled up over all its descendants."""

    model_config = ConfigDict(extra="allow")

    region: str
    region_name: str | None
    level: str | None
    period: str
    facilities: int = Field(description="Facilities that reported for the period")
    total_beds: int
    nursing_beds: int
    dementia_beds: int
    occupied_beds: int
    free_beds: int
    family_beds: int = Field(description="Family care beds in homes inside the region")
    nursing_share: float | None
    dementia_share: float | None
    beds_per_1000_elderly: float | None = Field(
        description="Institutional beds per 1,000 residents aged 60+"
    )
    beds_per_1000_elderly_incl_family: float | None
    private_operated_share: float | None = Field(
        description="Beds of public-built private-run and private facilities"
    )
    government_operated_share: float | None = Field(description="Beds of public-run facilities")
    occupancy_rate: float | None
    central_homes: int
    central_homes_meeting_70: int
    central_homes_nursing_70_share: float | None
    elderly_60plus: int | None
    elderly_source: str = Field(
        description="registry (just fetched), cache (our stored copy: fresh, or the registry is unreachable), "
        "unavailable (registry unreachable, nothing stored) or unknown (the registry has no such region)"
    )


class TargetIn(TextChecked):
    model_config = ConfigDict(extra="forbid")

    region_code: str
    region_name: str | None = None
    indicator: str
    comparator: str = Field(
        pattern="^(gt|ge|le|lt|eq)$", description="gt (超过), ge (以上/不低于/达到), le, lt, eq"
    )
    threshold: float
    binding: bool | None = Field(
        None, description="true: binding (约束性); false: expected (预期性)"
    )
    target_year: int = Field(ge=2000, le=2100)
    source_document: str = Field(min_length=1, max_length=300)
    note: str | None = None
    baseline: float | None = None
    baseline_year: int | None = Field(None, ge=1949, le=2100)
    wording: str | None = Field(
        None, max_length=40, description="The comparator in the plan's own words (超过, 不低于)"
    )
    source_file: str | None = Field(None, max_length=200, description="The plan file")
    source_line: str | None = Field(None, max_length=2000, description="The quoted line, verbatim")
    source_table: str | None = Field(
        None, max_length=2000, description="Indicator-table row cells, ' | '-joined"
    )


class TargetOut(TargetIn):
    id: int


class TargetList(BaseModel):
    items: list[TargetOut]


class ChildValue(BaseModel):
    region: str
    region_name: str | None
    value: float | None


class ComplianceItem(BaseModel):
    """One plan target and how the region stands against it."""

    target_id: int | None
    indicator: str
    comparator: str = Field(description="gt (>), ge (≥), le (≤), lt (<) or eq (=)")
    threshold: float
    value: float | None
    met: bool | None = Field(description="null: no data (no beds reported, or no elderly count)")
    gap_beds: int | None = Field(
        description="Beds to convert (shares) or to add (counts) to meet the target"
    )
    gap_beds_if_added: int | None = Field(
        description="New beds of the needed kind to meet a share target"
    )
    message: str
    binding: bool | None = Field(
        description="true: binding (约束性); false: expected (预期性); null: not stated"
    )
    target_year: int | None
    source_document: str | None
    target_region: str
    scope: str = Field(description="own: the region's target; inherited: an ancestor's")
    note: str | None
    worst_children: list[ChildValue] = Field(
        description="Up to 3 child regions below target, worst first"
    )


class ComplianceReport(BaseModel):
    region: str
    region_name: str | None
    level: str | None
    elderly_source: str
    period: str
    totals: dict[str, int]
    items: list[ComplianceItem]
