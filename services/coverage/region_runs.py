"""Many regions' coverage in one request: one ordinary run per region, polled together.

Why runs and not a new kind of job: each region then has everything a run has — the
cache (the same region asked again is not recomputed), the lease (a dead replica's region
is taken over, ADR 0111), partitions on Dask for a large region (ADR 0110), and its
results at the usual run routes. Every replica's job pool takes regions from the queue, so
regions run side by side on as many replicas as are up. The region-run row only lists the
runs; status, progress (regions done) and the totals are read from them when polled.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from services.common.db import transaction
from services.common.errors import CareError, InvalidInput, NotFound
from services.coverage import runs
from services.coverage.facilities_client import SnapshotCache
from services.coverage.models import RegionRunRow, RunRow
from services.coverage.networks import NetworkCache
from services.coverage.schemas import RunIn

FINISHED = ("done", "failed")


async def submit(
    *,
    read_sessions: sessionmaker[Session],
    write_sessions: sessionmaker[Session],
    cache: NetworkCache,
    snapshots: SnapshotCache,
    regions: list[tuple[str, RunIn]],
) -> tuple[RegionRunRow, list[int]]:
    """Queue each region's run (checked like ``POST /runs``; a bad region is a 422 naming
    ``regions[i].field``); (the region-run, ids of runs that are new and must be started)."""
    listed, new_ids = [], []
    for i, (code, body) in enumerate(regions):
        try:
            row, new = await runs.submit(
                read_sessions=read_sessions,
                write_sessions=write_sessions,
                cache=cache,
                snapshots=snapshots,
                body=body,
            )
        except InvalidInput as exc:
            fields = [e.get("field") for e in exc.extra.get("errors", []) if e.get("field")]
            field = f"regions[{i}]" + (f".{fields[0]}" if fields else "")
            raise InvalidInput(f"region {code}: {exc.detail}", field=field) from None
        except CareError as exc:
            exc.detail = f"region {code}: {exc.detail}"
            raise
        listed.append({"region_code": code, "run_id": row.id})
        if new:
            new_ids.append(row.id)
    key = hashlib.sha256(json.dumps(listed, sort_keys=True).encode()).hexdigest()
    return await run_in_threadpool(_store, write_sessions, key, listed), new_ids


def _store(
    write_sessions: sessionmaker[Session], key: str, listed: list[dict[str, Any]]
) -> RegionRunRow:
    """The region-run of these runs: the stored one, or a new row (a concurrent twin wins)."""
    with transaction(write_sessions) as session:
        found = session.scalar(select(RegionRunRow).where(RegionRunRow.cache_key == key))
        if found is None:
            try:
                with session.begin_nested():
                    found = RegionRunRow(cache_key=key, regions=listed)
                    session.add(found)
            except IntegrityError:
                found = session.scalar(select(RegionRunRow).where(RegionRunRow.cache_key == key))
                if found is None:
                    raise
        session.expunge(found)
    return found


def status(session: Session, region_run_id: int) -> dict[str, Any]:
    """A region-run as its runs stand now: status, regions done, per-region figures, totals."""
    row = session.get(RegionRunRow, region_run_id)
    if row is None:
        raise NotFound(f"region-run {region_run_id} not found")
    ids = [int(r["run_id"]) for r in row.regions]
    by_id = {r.id: r for r in session.scalars(select(RunRow).where(RunRow.id.in_(ids)))}
    items = [region_item(r["region_code"], by_id.get(int(r["run_id"]))) for r in row.regions]
    return {"id": row.id, **add_up(items), "regions": items}


def read_status(read_sessions: sessionmaker[Session], region_run_id: int) -> dict[str, Any]:
    with read_sessions() as session:
        return status(session, region_run_id)


def region_item(code: str, run: RunRow | None) -> dict[str, Any]:
    """One region's line: its run's status and, once done, its headline figures."""
    if run is None:
        return {"region_code": code, "run_id": None, "status": "failed",
                "error": {"detail": "its run was deleted"}}  # fmt: skip
    item: dict[str, Any] = {
        "region_code": code,
        "run_id": run.id,
        "status": run.status,
        "progress": run.progress,
        "run": f"/api/v1/coverage/runs/{run.id}",
    }
    if run.status == "done" and run.summary is not None:
        s = run.summary
        item["summary"] = {k: s.get(k) for k in SUMMARY_KEYS}
    if run.status == "failed":
        item["error"] = run.error
    return item


SUMMARY_KEYS = (
    "demand_points",
    "covered_points",
    "elderly",
    "covered_elderly",
    "covered_share_by_count",
    "covered_share_by_elderly",
)


def add_up(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Status, progress and totals over the regions (pure; totals over the done ones).

    >>> a = {"status": "done", "summary": {"demand_points": 3, "covered_points": 1,
    ...      "elderly": 4.0, "covered_elderly": 1.0}}
    >>> out = add_up([a, {"status": "running"}])
    >>> out["status"], out["progress"], out["regions_done"], out["totals"]["demand_points"]
    ('running', 50, 1, 3)
    """
    n = len(items)
    done = [i for i in items if i["status"] == "done"]
    finished = sum(1 for i in items if i["status"] in FINISHED)
    failed = sum(1 for i in items if i["status"] == "failed")
    if finished < n:
        state = "running" if any(i["status"] == "running" for i in items) or done else "queued"
    else:
        state = "done" if done else "failed"
    points = sum(int(i["summary"]["demand_points"]) for i in done)
    covered_points = sum(int(i["summary"]["covered_points"]) for i in done)
    elderly = sum(float(i["summary"]["elderly"]) for i in done)
    covered = sum(float(i["summary"]["covered_elderly"]) for i in done)
    return {
        "status": state,
        "progress": int(100 * finished / n) if n else 100,
        "regions_total": n,
        "regions_done": len(done),
        "regions_failed": failed,
        "totals": {
            "demand_points": points,
            "covered_points": covered_points,
            "elderly": elderly,
            "covered_elderly": covered,
            "covered_share_by_count": covered_points / points if points else None,
            "covered_share_by_elderly": covered / elderly if elderly > 0 else None,
        },
    }
