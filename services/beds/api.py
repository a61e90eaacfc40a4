"""Routes of the beds service's read side: indicators, series, rankings, compliance, targets."""

from __future__ import annotations

import csv
import io
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy.exc import IntegrityError

from services.beds import examples as ex
from services.beds import repository
from services.beds.deps import RollupsDep, WriterDep
from services.beds.indicators import INDICATORS
from services.beds.levels import check_code
from services.beds.periods import parse_period
from services.beds.plans.definitions import INDICATOR_IDS as PLAN_INDICATORS
from services.beds.schemas import ComplianceReport, Indicators, TargetIn, TargetList, TargetOut
from services.common.deps import ReadSessionDep, WriteSessionDep
from services.common.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from services.common.exports import BOM, csv_text
from services.common.openapi_examples import answer, keep_nulls, request_body

router = APIRouter(prefix="/api/v1/beds", tags=["indicators"])

RegionQuery = Query(
    ...,
    description="12-digit division code (6-digit adcodes are padded)",
    examples=["350600000000"],
)
PeriodQuery = Query(
    None,
    description="Month, YYYY-MM (default: the latest month with reports in the region)",
    examples=["2025-06"],
)
CSV_COLUMNS = (
    "region",
    "region_name",
    "period",
    "indicator",
    "comparator",
    "threshold",
    "value",
    "met",
    "gap_beds",
    "gap_beds_if_added",
    "binding",
    "target_year",
    "source_document",
    "scope",
    "worst_children",
    "message",
)


def _region(value: str) -> str:
    try:
        return check_code(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="query.region") from exc


def _period(value: str, field: str = "query.period") -> str:
    try:
        return parse_period(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc


@router.get(
    "/indicators",
    response_model=Indicators,
    summary="A region's indicators for a month",
    responses=answer(ex.INDICATORS),
)
def get_indicators(
    rollups: RollupsDep, region: str = RegionQuery, period: str | None = PeriodQuery
) -> dict[str, Any]:
    """Rolled up over every descendant of the region; elderly counts come from the region registry."""
    code = _region(region)
    return rollups.region_indicators(
        code, rollups.resolve_period(code, _period(period) if period else None)
    )


@router.get(
    "/indicators/series",
    summary="A region's indicators month by month",
    responses=answer(ex.SERIES),
)
def get_series(
    rollups: RollupsDep,
    region: str = RegionQuery,
    first: str = Query(..., alias="from", examples=["2024-01"]),
    last: str = Query(..., alias="to", examples=["2025-12"]),
) -> dict[str, Any]:
    try:
        return rollups.series(
            _region(region), _period(first, "query.from"), _period(last, "query.to")
        )
    except ValueError as exc:
        raise InvalidInput(str(exc), field="query.from") from exc


@router.get(
    "/indicators/children",
    summary="The region's children ranked by one indicator",
    responses=answer(ex.CHILDREN),
)
def get_children(
    rollups: RollupsDep,
    region: str = RegionQuery,
    period: str | None = PeriodQuery,
    indicator: str = Query("nursing_share", description=f"One of {', '.join(INDICATORS)}"),
    order: Literal["asc", "desc"] = Query(
        "asc", description="asc: lowest first (which streets pull the district down)"
    ),
) -> dict[str, Any]:
    if indicator not in INDICATORS:
        raise InvalidInput(
            f"indicator must be one of {', '.join(INDICATORS)}", field="query.indicator"
        )
    code = _region(region)
    return rollups.children(
        code, rollups.resolve_period(code, _period(period) if period else None), indicator, order
    )


@router.get(
    "/compliance",
    response_model=ComplianceReport,
    responses={
        200: {
            "content": {
                "application/json": {"example": keep_nulls(ex.COMPLIANCE)},
                "text/csv": {"example": ex.COMPLIANCE_CSV},
            },
            "description": "JSON, or CSV with format=csv",
        }
    },
    summary="A region against its plan targets (JSON, or CSV with format=csv)",
)
def get_compliance(
    rollups: RollupsDep,
    region: str = RegionQuery,
    period: str | None = PeriodQuery,
    format: Literal["json", "csv"] = Query("json"),
) -> Any:
    """One item per target (the region's own, then its ancestors'): met, value, gap in beds, worst children."""
    code = _region(region)
    report = rollups.compliance(
        code, rollups.resolve_period(code, _period(period) if period else None)
    )
    if format == "json":
        return report
    return Response(
        BOM + compliance_csv(report),  # Excel on Chinese Windows needs the BOM to read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="compliance_{report["region"]}_{report["period"]}.csv"'
        },
    )


def compliance_csv(report: dict[str, Any]) -> str:
    """The compliance report as CSV, one line per target (worst children as ``code:value;…``);
    booleans as true/false, never Python's True/False."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in report["items"]:
        row = {k: csv_text(item.get(k)) for k in CSV_COLUMNS}
        row.update(
            region=report["region"], region_name=report["region_name"], period=report["period"]
        )
        row["worst_children"] = ";".join(
            f"{c['region']}:{c['value']}" for c in item["worst_children"]
        )
        writer.writerow(row)
    return out.getvalue()


@router.get(
    "/targets",
    response_model=TargetList,
    tags=["targets"],
    summary="Plan targets",
    responses=answer(ex.TARGETS),
)
def list_targets(session: ReadSessionDep, region: str | None = Query(None)) -> dict[str, Any]:
    rows = (
        repository.targets_for(session, [_region(region)])
        if region
        else repository.all_targets(session)
    )
    return {"items": [TargetOut.model_validate(r, from_attributes=True) for r in rows]}


@router.post(
    "/targets",
    status_code=201,
    response_model=TargetOut,
    tags=["targets"],
    summary="Add a plan target",
    responses=answer(ex.TARGET, 201),
    openapi_extra=request_body({k: v for k, v in ex.TARGET.items() if k != "id"}),
)
def add_target(body: TargetIn, session: WriteSessionDep, writer: WriterDep) -> Any:
    """Planners and admins only (or anyone in embedded development without identities)."""
    if writer.identity is None and writer.require_identity:
        raise Unauthorized("adding targets needs a gateway-signed identity")
    if writer.identity is not None and writer.identity.role not in ("planner", "admin"):
        raise Forbidden(f"role {writer.identity.role} may not add plan targets")
    if body.indicator not in INDICATORS and body.indicator not in PLAN_INDICATORS:
        raise InvalidInput(
            f"indicator must be one of {', '.join(sorted(set(INDICATORS) | set(PLAN_INDICATORS)))}",
            field="body.indicator",
        )
    values = body.model_dump()
    try:
        values["region_code"] = check_code(body.region_code, "region_code")
    except ValueError as exc:
        raise InvalidInput(str(exc), field="body.region_code") from exc
    if repository.find_target(
        session,
        region_code=values["region_code"],
        indicator=body.indicator,
        comparator=body.comparator,
        target_year=body.target_year,
    ):
        raise Conflict("that region already has a target for this indicator, comparator and year")
    try:
        target = repository.add_target(session, **values)
        session.commit()
    except IntegrityError as exc:
        raise Conflict(
            "that region already has a target for this indicator, comparator and year"
        ) from exc
    return TargetOut.model_validate(target, from_attributes=True)
