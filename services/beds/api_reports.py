"""Routes that write and read bed reports (thin: parse, call one function, answer)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response

from services.beds import examples as ex
from services.beds import repository, submissions
from services.beds.deps import ClientDep, IdempotencyKey, IfMatch, WriterDep
from services.beds.figures import FamilyBedCount, figure_errors
from services.beds.levels import check_code, column_for
from services.beds.models import BedReport
from services.beds.periods import parse_period
from services.beds.schemas import (
    CorrectionIn,
    FamilyBedsIn,
    ImportOut,
    ReportIn,
    ReportOut,
    ReportPage,
    RevisionList,
    RevisionOut,
)
from services.common import idempotency
from services.common.csv_files import decode_text
from services.common.deps import ReadSessionDep, StateDep, WriteSessionDep
from services.common.errors import InvalidInput, NotFound, UnsupportedMediaType
from services.common.openapi_examples import answer, request_body
from services.common.responses import FastJSONResponse
from services.common.validation import MAX_INT, IdPath, row_number

router = APIRouter(prefix="/api/v1/beds", tags=["reports"])
MAX_CSV_BYTES = 50 * 1024 * 1024


def _period(value: str, field: str) -> str:
    try:
        return parse_period(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc


def _code(value: str, field: str) -> str:
    try:
        return check_code(value, field.split(".")[-1])
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc


def _check_figures(
    body: ReportIn | CorrectionIn, period_error: str | None = None
) -> list[FamilyBedCount] | None:
    """Every broken rule of the body at once (422 naming each field), else the family beds."""
    errors = [
        {"field": f"body.{name}", "message": message}
        for name, message in figure_errors(body.model_dump())
    ]
    if period_error:
        errors.insert(0, {"field": "body.period", "message": period_error})
    if body.family_beds is not None and body.family_beds_by_region is not None:
        errors.append(
            {
                "field": "body.family_beds",
                "message": "give family_beds or family_beds_by_region, not both",
            }
        )
    family = None
    if body.family_beds_by_region is not None:
        family = []
        for index, item in enumerate(body.family_beds_by_region):
            try:
                family.append(
                    FamilyBedCount(check_code(item.region_code, "region_code"), item.beds)
                )
            except ValueError as exc:
                errors.append(
                    {
                        "field": f"body.family_beds_by_region.{index}.region_code",
                        "message": str(exc),
                    }
                )
    if errors:
        raise InvalidInput("; ".join(e["message"] for e in errors), errors=errors)
    return family


def report_out(session: Any, report: BedReport) -> dict[str, Any]:
    family = repository.family_rows(session, report_id=report.id)
    return ReportOut(
        id=report.id,
        facility_id=report.facility_id,
        period=report.period,
        total_beds=report.total_beds,
        nursing_beds=report.nursing_beds,
        dementia_beds=report.dementia_beds,
        occupied_beds=report.occupied_beds,
        free_beds=report.total_beds - report.occupied_beds,
        family_beds=report.family_beds,
        family_beds_by_region=[
            FamilyBedsIn(region_code=f.region_code, beds=f.beds) for f in family
        ],
        facility_external_id=report.facility_external_id,
        facility_name=report.facility_name,
        facility_type=report.facility_type,
        operation_mode=report.operation_mode,
        region_code=report.region_code,
        version=report.version,
        created_at=report.created_at,
        updated_at=report.updated_at,
    ).model_dump(mode="json")


def _etag(version: int) -> str:
    return f'"{version}"'


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportOut,
    summary="Report a facility's beds for a month",
    responses=answer(ex.REPORT, 201),
)
def post_report(
    body: ReportIn,
    state: StateDep,
    session: WriteSessionDep,
    client: ClientDep,
    writer: WriterDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Check the facility with the facilities service, then write revision 1 (409 if the month exists)."""
    writer.require_caller()
    try:
        period, period_error = parse_period(body.period), None
    except ValueError as exc:
        period, period_error = "", str(exc)
    family = _check_figures(body, period_error)
    digest = idempotency.request_digest(body.model_dump())
    key = idempotency.scoped_key(writer.actor, idempotency_key)
    # A plain retry is answered from a read session, before the registry is asked.
    replay = idempotency.replay_committed(state.read_sessions, repository.IDEMPOTENCY, key, digest)
    if replay is not None:
        return replay
    facts = submissions.checked_facility(client, body.facility_id)
    writer.check(facts)
    submissions.check_family_regions(client, family)
    figures = submissions.figures_with_family(body.model_dump(), facts, family)

    def write() -> idempotency.Created:
        report = submissions.create(
            session, period=period, figures=figures, facts=facts, writer=writer, reason=body.reason
        )
        headers = {
            "ETag": _etag(report.version),
            "Location": f"/api/v1/beds/reports/{report.facility_id}/{period}",
        }
        return idempotency.Created(report_out(session, report), headers)

    # The write transaction opens only now (no lock is held while the registry is asked); a retry
    # racing its first try waits there for it, then answers what it answered.
    return idempotency.create_once(
        session, state.read_sessions, repository.IDEMPOTENCY, key, digest, write
    )


@router.put(
    "/reports/{facility_id}/{period}",
    response_model=ReportOut,
    summary="Correct a report (new revision)",
    responses=answer({**ex.REPORT, "version": 2, "occupied_beds": 165, "free_beds": 86}),
    openapi_extra=request_body(
        {
            "total_beds": 251,
            "nursing_beds": 184,
            "dementia_beds": 34,
            "occupied_beds": 165,
            "reason": "occupied beds miscounted",
        }
    ),
)
def put_report(
    facility_id: IdPath,
    period: str,
    body: CorrectionIn,
    session: WriteSessionDep,
    client: ClientDep,
    writer: WriterDep,
    if_match: IfMatch = None,
) -> Response:
    """A correction needs ``If-Match``; the previous figures stay in the revision history."""
    writer.require_caller()
    period = _period(period, "path.period")
    expected = submissions.parse_if_match(if_match)
    family = _check_figures(body)
    facts = submissions.checked_facility(
        client, facility_id, require_active=False, field="path.facility_id"
    )
    writer.check(facts)
    submissions.check_family_regions(client, family)
    figures = submissions.figures_with_family(body.model_dump(), facts, family)
    report = submissions.correct(
        session,
        period=period,
        figures=figures,
        facts=facts,
        writer=writer,
        expected_version=expected,
        reason=body.reason,
    )
    out = report_out(session, report)
    session.commit()
    return FastJSONResponse(out, headers={"ETag": _etag(report.version)})


@router.get(
    "/reports/{facility_id}/{period}",
    response_model=ReportOut,
    summary="One report (current revision)",
    responses=answer(ex.REPORT),
)
def get_report(facility_id: IdPath, period: str, session: ReadSessionDep) -> Response:
    report = repository.get_report(
        session, facility_id=facility_id, period=_period(period, "path.period")
    )
    if report is None:
        raise NotFound(f"facility {facility_id} has no report for {period}")
    return FastJSONResponse(report_out(session, report), headers={"ETag": _etag(report.version)})


@router.get(
    "/reports/{facility_id}/{period}/revisions",
    response_model=RevisionList,
    summary="Every revision of a report",
    responses=answer(ex.REVISIONS),
)
def get_revisions(facility_id: IdPath, period: str, session: ReadSessionDep) -> dict[str, Any]:
    report = repository.get_report(
        session, facility_id=facility_id, period=_period(period, "path.period")
    )
    if report is None:
        raise NotFound(f"facility {facility_id} has no report for {period}")
    items = [
        RevisionOut.model_validate(r, from_attributes=True)
        for r in repository.revisions(session, report_id=report.id)
    ]
    return {"items": items}


@router.get(
    "/reports",
    response_model=ReportPage,
    summary="List reports (keyset pages)",
    responses=answer(ex.REPORT_PAGE),
)
def list_reports(
    session: ReadSessionDep,
    facility_id: int | None = Query(None, ge=1, le=MAX_INT),
    region: str | None = Query(None, description="12-digit code; includes descendants"),
    period: str | None = Query(None, examples=["2025-06"]),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
) -> dict[str, Any]:
    after = 0
    if cursor:
        try:
            after = row_number(cursor)
        except ValueError:
            raise InvalidInput(
                "cursor is not one this service issued", field="query.cursor"
            ) from None
    code = _code(region, "query.region") if region else None
    rows = repository.list_reports(
        session,
        facility_id=facility_id,
        region_column=column_for(code) if code else None,
        region_code=code,
        period=_period(period, "query.period") if period else None,
        after_id=after,
        limit=limit + 1,
    )
    page = rows[:limit]
    return {
        "items": [report_out(session, r) for r in page],
        "next_cursor": str(page[-1].id) if len(rows) > limit else None,
    }


@router.get(
    "/facilities/{facility_id}/current",
    response_model=ReportOut,
    summary="A facility's latest report",
    responses=answer(ex.REPORT),
)
def current(facility_id: IdPath, session: ReadSessionDep) -> Response:
    """The report of the facility's most recent period (the gateway's nearby view shows free beds)."""
    report = repository.latest_report(session, facility_id=facility_id)
    if report is None:
        raise NotFound(f"facility {facility_id} has no bed report")
    return FastJSONResponse(report_out(session, report), headers={"ETag": _etag(report.version)})


@router.post(
    "/reports/import",
    response_model=ImportOut,
    summary="Import a CSV of reports (all or nothing)",
    responses=answer(ex.IMPORT),
)
async def import_reports(
    request: Request, state: StateDep, client: ClientDep, writer: WriterDep
) -> dict[str, int]:
    """Body: ``text/csv`` with the columns of ``carecircle beds import``; 422 names every bad row."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in ("text/csv", "text/plain", "application/csv"):
        raise UnsupportedMediaType(
            f"send the file as text/csv, got {content_type or 'no content type'}"
        )
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidInput(f"file larger than {MAX_CSV_BYTES} bytes; split it", field="body")
    text = decode_text(raw)  # the same reader as the CLI's: UTF-8 (BOM) or GB18030
    from starlette.concurrency import run_in_threadpool

    result = await run_in_threadpool(
        submissions.import_csv,
        text,
        client=client,
        write_sessions=state.write_sessions,
        writer=writer,
    )
    return result.as_dict()
