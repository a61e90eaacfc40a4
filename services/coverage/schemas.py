"""Request and response bodies of the coverage API (pydantic, with OpenAPI examples)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

# Ids are 32-bit integer columns on both engines: anything larger is a 422 naming the field,
# never a database overflow (a 500).
# TODO(lead): use the shared id/integer validation of services/common once merged.
MAX_ID = 2**31 - 1
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
CursorQuery = Annotated[str | None, Query(pattern=r"^\d{1,10}$", max_length=10)]
SLUG = r"^[a-z0-9_]{1,64}$"
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL; refused on every engine alike
# TODO(lead): the shared text validation of services/common once merged.
PointId = Annotated[str, Field(min_length=1, max_length=128, pattern=NO_NUL)]
Name = Annotated[str, Field(max_length=200, pattern=NO_NUL)]
RegionCodePath = Annotated[
    str, Path(pattern=r"^\d{1,12}$", description="Division code (12 digits; shorter is padded)")
]


class NetworkFromPath(BaseModel):
    """Import a network file already on the server (e.g. a mounted OSM extract)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"path": "/data/andorra.osm.pbf", "kind": "walk", "name": "Andorra walking"}
            ]
        }
    )
    path: str = Field(
        ...,
        min_length=1,
        max_length=4096,
        description=".osm.pbf, GeoJSON/GPKG LineStrings (WGS84) or .npz, inside the server's "
        "import folder (COVERAGE_IMPORT_DIR; a relative path is taken from there)",
    )
    kind: Literal["walk", "drive"] = "walk"
    name: Name | None = None
    max_segment_m: float | None = Field(
        None, gt=0, description="Cut longer straight edges so points snap near long roads"
    )


class NetworkOut(BaseModel):
    id: int
    name: str
    kind: str
    version: str
    epsg: int
    n_nodes: int
    n_edges: int
    source: str | None


class PointIn(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    id: PointId
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    elderly: float | None = Field(None, ge=0, description="People aged 60+ at this point")
    elderly_65plus: float | None = Field(None, ge=0)
    elderly_80plus: float | None = Field(None, ge=0)
    region_code: str | None = Field(None, description="12-digit community/street code")
    type: str | None = Field(None, description="Facility type (stations)")
    capacity: float | None = Field(None, ge=0, description="Beds/places (stations, for 2SFCA)")
    cost: float | None = Field(None, ge=0, description="Candidate sites: cost, for a budget")


class DemandIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "estates",
                    "points": [
                        {
                            "id": "e1",
                            "lon": 1.52,
                            "lat": 42.51,
                            "elderly": 120,
                            "region_code": "110101001001",
                        }
                    ],
                }
            ]
        }
    )
    name: Name = "demand"
    points: list[PointIn] = Field(..., description="Demand points with elderly counts")


class DemandOut(BaseModel):
    id: int
    name: str
    version: str
    n_points: int
    total_elderly: float
    derived: bool
    source: str | None
    skipped: list[dict[str, str]] = Field(
        default_factory=list, description="Registry regions that could not be spread (why)"
    )


class DemandFromRegistry(BaseModel):
    """Spread each community's elderly over its area (when nothing finer exists)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"region": "110101001000", "spacing_m": 200}]}
    )
    region: str = Field(..., pattern=r"^\d{12}$", description="12-digit street/district code")
    spacing_m: float = Field(200.0, ge=25, le=5000)


class StationQuery(BaseModel):
    """Which facilities to take from the registry snapshot (the facilities service knows the slugs)."""

    type: list[Annotated[str, Field(pattern=SLUG)]] = Field(
        default_factory=lambda: ["community_station", "care_center"], max_length=50
    )
    status: list[Annotated[str, Field(pattern=SLUG)]] = Field(
        default_factory=lambda: ["active"], max_length=10
    )
    region: str | None = Field(None, pattern=r"^\d{12}$", description="12-digit region code")


class RunIn(BaseModel):
    model_config = ConfigDict(
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "network_id": 1,
                    "demand_set_id": 1,
                    "minutes": 15,
                    "speed_mps": 1.0,
                    "stations": [{"id": "s1", "lon": 1.52, "lat": 42.507, "type": "care_center"}],
                }
            ]
        },
    )
    network_id: DbId
    demand_set_id: DbId
    minutes: float = Field(15.0, gt=0, le=240)
    speed_mps: float = Field(1.0, gt=0, le=40, description="1.0 m/s elderly pace; 0.8 frail")
    max_snap_m: float = Field(500.0, gt=0, le=10_000)
    skip_far_stations: bool = False
    stations: list[PointIn] | None = Field(
        None, max_length=100_000, description="Explicit stations (scenarios)"
    )
    station_query: StationQuery | None = Field(None, description="Else: facilities snapshot")
    add_stations: list[PointIn] = Field(
        default_factory=list, max_length=10_000, description="Scenario: hypothetical"
    )
    close_stations: list[PointId] = Field(
        default_factory=list, max_length=100_000, description="Scenario: ids to drop"
    )
    gap_resolution: int = Field(9, ge=5, le=11, description="H3 resolution of gap cells")


class RunOut(BaseModel):
    id: int
    status: str
    progress: int
    network_id: int
    demand_set_id: int
    registry_version: int | None
    params: dict[str, Any]
    error: dict[str, Any] | None
    cached: bool = False


class PointResult(BaseModel):
    id: str
    elderly: float
    minutes: float | None
    nearest_station: str | None
    access_2sfca: float | None


class PointPage(BaseModel):
    items: list[PointResult]
    next_cursor: str | None


class WalkStation(BaseModel):
    id: PointId
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)


class WalkTimesIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"lon": 1.521, "lat": 42.507, "stations": [{"id": "7", "lon": 1.53, "lat": 42.51}]}
            ]
        }
    )
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    stations: list[WalkStation] = Field(..., max_length=1000)
    network: DbId | None = Field(None, description="Network id (default: the latest walking one)")
    speed_mps: float = Field(1.0, gt=0, le=40)


class WalkTime(BaseModel):
    id: str
    walk_minutes: float | None
    network_distance_m: float | None


class WalkTimesOut(BaseModel):
    items: list[WalkTime]


class SitingIn(BaseModel):
    k: int = Field(..., ge=1, le=50)
    method: Literal["greedy", "exact", "capacitated"] = "greedy"
    candidates: list[PointIn] | None = Field(
        None,
        max_length=10_000,
        description="Candidate sites; default: network nodes in the top gap cells",
    )
    default_capacity: float = Field(100.0, gt=0, description="Capacitated form, per site")
    budget: float | None = Field(
        None, gt=0, description="Exact method: total cost limit (candidates carry `cost`)"
    )


class IsochroneIn(BaseModel):
    station_ids: list[PointId] | None = Field(None, max_length=1000)
    minutes: list[Annotated[float, Field(gt=0, le=240)]] = Field(
        default_factory=lambda: [5.0, 10.0, 15.0], min_length=1, max_length=12
    )
    buffer_m: float = Field(50.0, gt=0, le=500)


class TaskOut(BaseModel):
    """A long query on a run kept as a job: poll it, then fetch ``result``."""

    id: int
    kind: str
    run_id: int
    status: str
    progress: int
    params: dict[str, Any]
    error: dict[str, Any] | None
    result: str = Field(description="Where the result is, once status is done")
    cached: bool = False
