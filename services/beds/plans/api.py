"""Routes of plan monitoring (``/api/v1/plans``): indicators, compliance, reports, reported figures."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from services.beds import examples as ex
from services.beds.deps import WriterDep, get_client
from services.beds.levels import check_code
from services.beds.periods import parse_period
from services.beds.plans import repository
from services.beds.plans.assessment import assess, indicator_list
from services.beds.plans.coverage_client import CoverageClient
from services.beds.plans.definitions import BY_ID, DEFINITIONS, INDICATOR_IDS
from services.beds.plans.monitor import PlanMonitor
from services.beds.plans.report import MEDIA_TYPES, filename, render
from services.beds.plans.schemas import (
    ImportOutcome,
    IndicatorItem,
    ReportedIn,
    ReportedOut,
    ReportedPage,
    ReportedRevision,
)
from services.beds.plans.submissions import check_writer, parse_csv, submit
from services.common.csv_files import decode_text
from services.common.deps import ReadSessionDep, StateDep
from services.common.errors import InvalidInput, NotFound, UnsupportedMediaType
from services.common.openapi_examples import answer
from services.common.validation import IdPath, row_number

router = APIRouter(prefix="/api/v1/plans", tags=["plans"])
COVERAGE_KEY = "coverage_client"
MAX_CSV_BYTES = 5 * 1024 * 1024

RegionQuery = Query(
    ...,
    description="12-digit division code (6-digit adcodes are padded)",
    examples=["350600000000"],
)
PeriodQuery = Query(
    None,
    description="Month, YYYY-MM (default: the latest month with bed reports in the region)",
    examples=["2025-10"],
)


def get_monitor(state: StateDep) -> PlanMonitor:
    coverage: CoverageClient | None = state.extras.get(COVERAGE_KEY)
    return PlanMonitor(
        read_sessions=state.read_sessions,
        write_sessions=state.write_sessions,
        facilities=get_client(state),
        coverage=coverage,
    )


MonitorDep = Annotated[PlanMonitor, Depends(get_monitor)]


def _region(value: str) -> str:
    try:
        return check_code(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="query.region") from exc


def _period(monitor: PlanMonitor, code: str, value: str | None, field: str = "query.period") -> str:
    if value is None:
        return monitor.resolve_period(code, None)
    try:
        return parse_period(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc


def _indicator(value: str) -> str:
    if value not in BY_ID:
        raise InvalidInput(
            f"indicator must be one of {', '.join(INDICATOR_IDS)}; got {value!r}",
            field="query.indicator",
        )
    return value


@router.get(
    "/indicators",
    response_model=list[IndicatorItem],
    summary="Every plan indicator of a region",
    responses=answer(ex.PLAN_INDICATORS),
)
def get_indicators(
    monitor: MonitorDep, region: str = RegionQuery, period: str | None = PeriodQuery
) -> list[dict[str, Any]]:
    """The same list as `carecircle plan indicators --format json`: value, parts, unit, own targets."""
    code = _region(region)
    return indicator_list(monitor, code, _period(monitor, code, period))


@router.get(
    "/indicators/children",
    summary="The region's children ranked by one plan indicator",
    responses=answer(ex.PLAN_CHILDREN),
)
def get_children(
    monitor: MonitorDep,
    region: str = RegionQuery,
    indicator: str = Query(..., examples=["street_center_coverage"]),
    period: str | None = PeriodQuery,
    order: Literal["asc", "desc"] = Query("asc", description="asc: lowest first"),
) -> dict[str, Any]:
    code, name = _region(region), _indicator(indicator)
    month = _period(monitor, code, period)
    ctx = monitor.context(code)
    figures = monitor.child_figures(ctx, month)
    items = [
        {
            "region": child.code,
            "region_name": child.name,
            "value": figures[child.code][name].value,
            "numerator": figures[child.code][name].numerator,
            "denominator": figures[child.code][name].denominator,
            "missing": figures[child.code][name].missing,
        }
        for child in ctx.children
    ]
    valued = sorted(
        (i for i in items if i["value"] is not None),
        key=lambda i: (i["value"], i["region"]),
        reverse=order == "desc",
    )
    return {
        "region": code,
        "region_name": ctx.region.name,
        "period": month,
        "indicator": name,
        "order": order,
        "items": valued + [i for i in items if i["value"] is None],
    }


@router.get(
    "/indicators/series",
    summary="One plan indicator of a region month by month",
    responses=answer(ex.PLAN_SERIES),
)
def get_series(
    monitor: MonitorDep,
    region: str = RegionQuery,
    indicator: str = Query(..., examples=["nursing_share"]),
    first: str = Query(..., alias="from", examples=["2025-01"]),
    last: str = Query(..., alias="to", examples=["2025-10"]),
) -> dict[str, Any]:
    """Bed and reported indicators from their months; registry and coverage ones from month closes."""
    code, name = _region(region), _indicator(indicator)
    start, end = (
        _period(monitor, code, first, "query.from"),
        _period(monitor, code, last, "query.to"),
    )
    if start > end:
        raise InvalidInput(f"from ({start}) is after to ({end})", field="query.from")
    if (int(end[:4]) - int(start[:4])) * 12 > 240:
        raise InvalidInput("at most 20 years per series", field="query.from")
    ctx = monitor.context(code)
    values = monitor.series_between(ctx, start, end)[name]
    return {
        "region": code,
        "indicator": name,
        "unit": BY_ID[name].unit,
        "items": [{"period": p, "value": v} for p, v in values],
    }


@router.get(
    "/compliance",
    summary="A region against every applicable plan target",
    responses=answer(ex.PLAN_COMPLIANCE),
)
def get_compliance(
    monitor: MonitorDep, region: str = RegionQuery, period: str | None = PeriodQuery
) -> dict[str, Any]:
    """Targets binding first: status, gap, projection, worst children, quoted line; all indicators."""
    code = _region(region)
    return assess(monitor, code, _period(monitor, code, period))


@router.get(
    "/report",
    response_class=Response,
    responses={
        200: {
            "content": {
                t: {"example": ex.PLAN_REPORT_CSV} if t.startswith("text/csv") else {}
                for t in MEDIA_TYPES.values()
            }
        }
    },
    summary="The compliance report as a file: HTML, Excel or CSV; Chinese or English",
)
def get_report(
    monitor: MonitorDep,
    region: str = RegionQuery,
    period: str | None = PeriodQuery,
    format: Literal["html", "xlsx", "csv"] = Query("html"),  # noqa: A002
    lang: Literal["zh", "en"] = Query("zh"),
) -> Response:
    code = _region(region)
    body = assess(monitor, code, _period(monitor, code, period))
    return Response(
        render(body, format, lang),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename(body, format)}"'},
    )


@router.get(
    "/definitions",
    summary="What every plan indicator counts, and where its figures come from",
    responses=answer(ex.PLAN_DEFINITIONS),
)
def get_definitions() -> dict[str, Any]:
    return {"items": [d.__dict__ | {"inheritable": d.inheritable} for d in DEFINITIONS]}


@router.get(
    "/targets",
    summary="Plan targets with their comparators, kinds and quoted lines",
    responses=answer(ex.PLAN_TARGETS),
)
def get_targets(session: ReadSessionDep, region: str | None = Query(None)) -> dict[str, Any]:
    from services.beds import repository as beds_repository

    rows = (
        beds_repository.targets_for(session, [_region(region)])
        if region
        else beds_repository.all_targets(session)
    )
    return {
        "items": [
            {c.name: getattr(r, c.name) for c in r.__table__.columns}
            for r in rows
            if r.indicator in BY_ID
        ]
    }


def _out(figure: Any) -> dict[str, Any]:
    return ReportedOut.model_validate(figure, from_attributes=True).model_dump()


@router.post(
    "/reported",
    response_model=ImportOutcome,
    tags=["reported"],
    summary="Report a figure",
    responses=answer(ex.REPORTED_OUTCOME),
)
def post_reported(body: ReportedIn, monitor: MonitorDep, state: StateDep, writer: WriterDep) -> Any:
    """New, corrected (a new revision) or unchanged; officials report inside their region."""
    values = body.model_dump(exclude={"reason"})
    outcome = submit(
        [(1, values)],
        client=monitor.facilities,
        write_sessions=state.write_sessions,
        writer=writer,
        reason=body.reason,
    )
    return outcome.as_dict()


@router.post(
    "/reported/import",
    response_model=ImportOutcome,
    tags=["reported"],
    summary="Import reported figures (text/csv)",
    responses=answer(ex.REPORTED_OUTCOME),
)
async def import_reported(
    request: Request, monitor: MonitorDep, state: StateDep, writer: WriterDep
) -> Any:
    """Columns region_code,period,indicator,value,numerator,denominator,source[,note]; all or nothing."""
    check_writer(writer)  # 401/403 before the body is read or parsed
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in ("text/csv", "text/plain", "application/csv"):
        raise UnsupportedMediaType(
            f"send the file as text/csv, got {content_type or 'no content type'}"
        )
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidInput(f"file larger than {MAX_CSV_BYTES} bytes; split it", field="body")
    text = decode_text(raw)  # the same reader as the CLI's: UTF-8 (BOM) or GB18030
    outcome = await run_in_threadpool(
        lambda: submit(
            parse_csv(text),
            client=monitor.facilities,
            write_sessions=state.write_sessions,
            writer=writer,
            reason="csv import",
        )
    )
    return outcome.as_dict()


def _cursor(value: str | None) -> int:
    if not value:
        return 0
    try:
        return row_number(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this service issued", field="query.cursor") from None


@router.get(
    "/reported",
    response_model=ReportedPage,
    tags=["reported"],
    summary="Reported figures",
    responses=answer(ex.REPORTED_PAGE),
)
def list_reported(
    session: ReadSessionDep,
    region: str | None = Query(None, description="A region; includes everything inside it"),
    period: str | None = Query(None),
    indicator: str | None = Query(None),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None),
) -> dict[str, Any]:
    rows = repository.list_reported(
        session,
        code=_region(region) if region else None,
        period=period,
        indicator=indicator,
        after_id=_cursor(cursor),
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode().rstrip("=") if more else None
    )
    return {"items": [_out(r) for r in rows], "next_cursor": next_cursor}


@router.get(
    "/reported/{figure_id}/revisions",
    response_model=list[ReportedRevision],
    tags=["reported"],
    summary="Every revision of a reported figure",
    responses=answer(ex.REPORTED_REVISIONS),
)
def reported_revisions(figure_id: IdPath, session: ReadSessionDep) -> list[dict[str, Any]]:
    if repository.reported_by_id(session, figure_id) is None:
        raise NotFound(f"no reported figure {figure_id}")
    return [
        {
            "revision": r.revision,
            "figures": r.figures,
            "source": r.source,
            "actor": r.actor,
            "request_id": r.request_id,
            "reason": r.reason,
        }
        for r in repository.reported_revisions(session, figure_id=figure_id)
    ]
