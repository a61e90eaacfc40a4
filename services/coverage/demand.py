"""Demand sets: imported from JSON, uploaded files or the region registry; stored versioned.

A demand set is stored as its columns in one compressed blob (:mod:`columnar`); its
``version`` is the hash of those columns, so the same points imported twice are one set
(the second import answers 200 with the stored one).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from services.common.db import transaction
from services.common.errors import InvalidInput
from services.coverage import columnar
from services.coverage import repository as repo
from services.coverage.derive import spread_elderly
from services.coverage.facilities_client import communities_for
from services.coverage.loaders import points_from_records
from services.coverage.models import DemandSetRow
from services.coverage.service import clean
from services.coverage.uploads import point_records

MAX_ID_CHARS = 128
"""Longest point id stored (the results' ``demand_id`` column is 128 characters)."""


def check_ids(records: list[dict[str, Any]], what: str) -> None:
    """Ids fit the results' column: at most 128 characters, no NUL (``ValueError`` naming the row).

    Checked on the values as given: a numpy text array would drop a trailing NUL silently.
    """
    for i, r in enumerate(records):
        text = str(r.get("id", ""))
        if len(text) > MAX_ID_CHARS or "\x00" in text:
            raise ValueError(
                f"{what} row {i + 1}: an id is at most {MAX_ID_CHARS} characters, without NUL"
            )


def import_records(
    write_sessions: sessionmaker[Session],
    *,
    name: str,
    records: list[dict[str, Any]],
    derived: bool,
    source: str | None,
    max_columns: int,
    field: str = "points",
) -> tuple[DemandSetRow, bool]:
    """Check and store demand points; (the set, created?). Errors are 422s naming ``field``."""
    records = clean(records)
    if not records:
        raise InvalidInput("demand is empty", field=field)
    try:
        check_ids(records, "demand")
        ps = points_from_records(records, "demand", need_elderly=True, max_columns=max_columns)
        cols = columnar.columns(ps, "demand")
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc
    version = columnar.version(cols)
    data = columnar.encode(cols)
    with transaction(write_sessions) as session:
        existing = repo.demand_by_version(session=session, version=version)
        if existing is not None:
            return existing, False
        return repo.add_demand_set(
            session=session,
            name=name[:200],
            version=version,
            n_points=len(ps),
            total_elderly=float(ps.elderly.sum()),
            derived=derived,
            source=None if source is None else source[:500],
            data=data,
        )


def import_upload(
    write_sessions: sessionmaker[Session],
    *,
    filename: str,
    raw: bytes,
    name: str | None,
    max_columns: int,
) -> tuple[DemandSetRow, bool]:
    """Demand from an uploaded CSV (``id,lon,lat,elderly[,region_code]``) or GeoJSON."""
    try:
        records = point_records(filename, raw, "demand", max_columns)
    except ValueError as exc:
        raise InvalidInput(f"cannot read demand file: {exc}", field="file") from exc
    return import_records(
        write_sessions,
        name=name or filename,
        records=records,
        derived=False,
        source=f"upload:{filename}",
        max_columns=max_columns,
        field="file",
    )


async def from_registry(
    write_sessions: sessionmaker[Session],
    *,
    facilities_url: str,
    region: str,
    spacing_m: float,
    max_columns: int,
) -> tuple[DemandSetRow, bool, list[dict[str, str]]]:
    """Each community's elderly spread over its area (flagged ``derived``); skipped regions named."""
    regions = await communities_for(facilities_url, region)
    records, skipped = await run_in_threadpool(spread_elderly, regions, spacing_m)
    if not records:
        raise InvalidInput(
            f"no community under {region} has a boundary and an elderly count",
            field="region",
            skipped=skipped,
        )
    row, created = await run_in_threadpool(
        lambda: import_records(
            write_sessions,
            name=f"registry {region}",
            records=records,
            derived=True,
            source=f"registry:{region}",
            max_columns=max_columns,
        )
    )
    return row, created, skipped
