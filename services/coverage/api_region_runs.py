"""Routes of many-region coverage (services/coverage/region_runs.py): submit, poll.

Kept out of api.py (already long); included by app.py under /api/v1/coverage.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from services.common.deps import ReadSessionDep, role_guard
from services.common.openapi_examples import answer
from services.coverage import region_runs
from services.coverage.runtime import RuntimeDep
from services.coverage.schemas import DbId, IdPath, PointIn, RunIn, StationQuery

router = APIRouter(prefix="/api/v1/coverage", tags=["coverage"])
PLANNERS_ONLY = [Depends(role_guard("planner", action="run coverage jobs"))]

RegionCode = Annotated[
    str, Field(pattern=r"^\d{1,12}$", description="Division code (12 digits; shorter is padded)")
]


class RegionIn(BaseModel):
    """One region: its own network and demand; stations given, or the registry's in it."""

    model_config = ConfigDict(allow_inf_nan=False)
    region_code: RegionCode
    network_id: DbId
    demand_set_id: DbId
    stations: list[PointIn] | None = Field(
        None,
        max_length=100_000,
        description="Explicit stations; else the facilities registry's stations in this region "
        "(station_query with region = region_code)",
    )


class RegionRunIn(BaseModel):
    model_config = ConfigDict(
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "minutes": 15,
                    "regions": [
                        {"region_code": "350203", "network_id": 1, "demand_set_id": 1},
                        {"region_code": "350205", "network_id": 2, "demand_set_id": 2},
                    ],
                }
            ]
        },
    )
    regions: list[RegionIn] = Field(min_length=1, max_length=1000)
    minutes: float = Field(15.0, gt=0, le=240)
    speed_mps: float = Field(1.0, gt=0, le=40, description="1.0 m/s elderly pace; 0.8 frail")
    max_snap_m: float = Field(500.0, gt=0, le=10_000)
    skip_far_stations: bool = False
    station_query: StationQuery | None = Field(
        None, description="Type and status of registry stations (its region is each region's)"
    )

    @model_validator(mode="after")
    def _codes_once(self) -> RegionRunIn:
        seen: set[str] = set()
        for r in self.regions:
            if r.region_code in seen:
                raise ValueError(f"region_code {r.region_code} is listed twice")
            seen.add(r.region_code)
        return self

    def runs(self) -> list[tuple[str, RunIn]]:
        """Each region as the body of an ordinary run."""
        out = []
        for r in self.regions:
            query = None
            if r.stations is None:
                base = self.station_query or StationQuery()
                query = base.model_copy(update={"region": r.region_code.ljust(12, "0")})
            body = RunIn(
                network_id=r.network_id,
                demand_set_id=r.demand_set_id,
                minutes=self.minutes,
                speed_mps=self.speed_mps,
                max_snap_m=self.max_snap_m,
                skip_far_stations=self.skip_far_stations,
                stations=r.stations,
                station_query=query,
            )
            out.append((r.region_code, body))
        return out


EXAMPLE: dict[str, Any] = {
    "id": 1,
    "status": "running",
    "progress": 50,
    "regions_total": 2,
    "regions_done": 1,
    "regions_failed": 0,
    "totals": {
        "demand_points": 1200,
        "covered_points": 840,
        "elderly": 3100.0,
        "covered_elderly": 2250.0,
        "covered_share_by_count": 0.7,
        "covered_share_by_elderly": 0.7258,
    },
    "regions": [
        {
            "region_code": "350203",
            "run_id": 7,
            "status": "done",
            "progress": 100,
            "run": "/api/v1/coverage/runs/7",
            "summary": {
                "demand_points": 1200,
                "covered_points": 840,
                "elderly": 3100.0,
                "covered_elderly": 2250.0,
                "covered_share_by_count": 0.7,
                "covered_share_by_elderly": 0.7258,
            },
        },
        {
            "region_code": "350205",
            "run_id": 8,
            "status": "running",
            "progress": 40,
            "run": "/api/v1/coverage/runs/8",
        },
    ],
}


@router.post(
    "/region-runs",
    status_code=202,
    dependencies=PLANNERS_ONLY,
    response_model=dict,
    summary="Coverage of many regions, each its own network: one run per region (planners)",
    responses=answer({**EXAMPLE, "status": "queued", "progress": 0}, 202),
)
async def submit_region_runs(body: RegionRunIn, rt: RuntimeDep, response: Response) -> Any:
    """One coverage run per region, queued for every replica's workers (a large region is
    split on Dask like any run); 202 + Location to poll. Regions already computed with the
    same inputs are not computed again; the same request gives the same region-run."""
    row, new_ids = await region_runs.submit(
        read_sessions=rt.read_sessions,
        write_sessions=rt.write_sessions,
        cache=rt.networks,
        snapshots=rt.snapshots,
        regions=body.runs(),
    )
    for run_id in new_ids:
        rt.jobs.submit(run_id)
    out = await run_in_threadpool(region_runs.read_status, rt.read_sessions, row.id)
    response.status_code = 200 if out["status"] in region_runs.FINISHED else 202
    response.headers["Location"] = f"/api/v1/coverage/region-runs/{row.id}"
    return out


@router.get(
    "/region-runs/{region_run_id}",
    response_model=dict,
    summary="A many-region run: regions done, each region's figures, totals",
    responses=answer(EXAMPLE),
)
def get_region_run(region_run_id: IdPath, session: ReadSessionDep) -> Any:
    """Status (queued, running, done once every region finished; failed if none is done),
    progress as the share of regions finished, per-region figures and totals over the done ones."""
    return region_runs.status(session, region_run_id)
