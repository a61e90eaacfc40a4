"""Routes of long queries kept as jobs (services/coverage/tasks.py): poll a task, fetch its result."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from starlette.responses import Response

from services.common.deps import ReadSessionDep
from services.common.exports import Lang
from services.common.negotiation import choose
from services.common.openapi_examples import answer
from services.coverage import examples as ex
from services.coverage import export_tables as tables
from services.coverage import geojson as gj
from services.coverage import tasks
from services.coverage.models import TaskRow
from services.coverage.representations import (
    ALL,
    FILE_EXAMPLES,
    answers,
    file_answer,
    json_answer,
    lang_query,
)
from services.coverage.runtime import CoverageRuntime
from services.coverage.schemas import IdPath, IsochroneIn, TaskOut

router = APIRouter(tags=["coverage"])  # included by api.py under /api/v1/coverage
PREFIX = "/api/v1/coverage/tasks"

AnyFormat = Literal["json", "geojson", "csv", "xlsx", "gpkg"]
PreferHeader = Annotated[
    str | None,
    Header(
        description="`respond-async` (RFC 7240): answer 202 with a task to poll even when small"
    ),
]


def task_out(row: TaskRow, cached: bool = False) -> TaskOut:
    return TaskOut(
        id=row.id,
        kind=row.kind,
        run_id=row.run_id,
        status=row.status,
        progress=row.progress,
        params=row.params,
        error=row.error,
        result=f"{PREFIX}/{row.id}/result",
        cached=cached,
    )


def accepted(rt: CoverageRuntime, kind: str, run_id: int, params: dict[str, Any]) -> Response:
    """202 + Location of the task for this request (200 when that task is already done)."""
    row, new = tasks.submit(rt.write_sessions, kind=kind, run_id=run_id, params=params)
    if new and rt.tasks is not None:
        rt.tasks.submit(row.id)
    return json_answer(
        task_out(row, cached=not new).model_dump(),
        "json",
        headers={"Location": f"{PREFIX}/{row.id}"},
        status=200 if row.status == "done" else 202,
    )


@router.get(
    "/tasks/{task_id}",
    response_model=TaskOut,
    summary="A long query's status and progress (isochrones of many stations, siting)",
    responses=answer(ex.TASK),
)
def get_task(task_id: IdPath, session: ReadSessionDep) -> TaskOut:
    """Status and percentage progress of a task; its result is at ``result`` once done."""
    return task_out(tasks.get(session, task_id))


@router.get(
    "/tasks/{task_id}/result",
    summary="A finished task's result, in the format asked for",
    responses=answers(
        {"geojson": ex.ISOCHRONES_GEOJSON, "json": ex.SITING, **FILE_EXAMPLES},
        description="As the synchronous route answers: isochrones GeoJSON by default (json, "
        "gpkg), siting JSON by default (geojson, csv, xlsx, gpkg)",
    ),
)
def task_result(
    task_id: IdPath,
    session: ReadSessionDep,
    format: Annotated[  # noqa: A002
        AnyFormat | None,
        Query(
            description="One of json, geojson, csv, xlsx, gpkg (isochrones: json, geojson, "
            "gpkg); overrides Accept. Default: what the synchronous route answers."
        ),
    ] = None,
    lang: Annotated[Lang, lang_query()] = "en",
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """The result of a done task (409 with Retry-After while it runs)."""
    row = tasks.finished(session, task_id)
    name = f"run-{row.run_id}-{row.kind}"
    if row.kind == tasks.ISOCHRONES:
        fmt = choose(accept, format, ("json", "geojson", "gpkg"), "geojson")
        if fmt == "json":
            return json_answer({"items": row.result}, fmt)
        fc = gj.isochrone_collection(
            row.result or [], IsochroneIn.model_validate(row.params).minutes
        )
        if fmt == "gpkg":
            return file_answer(fmt, tables.isochrones_table(fc), name, lang)
        return json_answer(fc, fmt)
    fmt = choose(accept, format, ALL, "json")
    if fmt == "json":
        return json_answer(row.result, fmt)
    sites = gj.siting_collection(row.result or {})
    if fmt == "geojson":
        return json_answer(sites, fmt)
    return file_answer(fmt, tables.siting_table(sites), name, lang)
