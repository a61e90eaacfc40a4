"""Request and response bodies of the coverage API (pydantic, with OpenAPI examples)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class NetworkFromPath(BaseModel):
    """Import a network file already on the server (e.g. a mounted OSM extract)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"path": "/data/andorra.osm.pbf", "kind": "walk", "name": "Andorra walking"}
            ]
        }
    )
    path: str = Field(..., description=".osm.pbf, GeoJSON/GPKG LineStrings (WGS84) or .npz")
    kind: Literal["walk", "drive"] = "walk"
    name: str | None = None
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
    id: str = Field(..., min_length=1, max_length=128)
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
    name: str = "demand"
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
    """Which facilities to take from the registry snapshot."""

    type: list[str] = Field(default_factory=lambda: ["community_station", "care_center"])
    status: list[str] = Field(default_factory=lambda: ["active"])
    region: str | None = None


class RunIn(BaseModel):
    model_config = ConfigDict(
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
        }
    )
    network_id: int
    demand_set_id: int
    minutes: float = Field(15.0, gt=0, le=240)
    speed_mps: float = Field(1.0, gt=0, le=40, description="1.0 m/s elderly pace; 0.8 frail")
    max_snap_m: float = Field(500.0, gt=0, le=10_000)
    skip_far_stations: bool = False
    stations: list[PointIn] | None = Field(None, description="Explicit stations (scenarios)")
    station_query: StationQuery | None = Field(None, description="Else: facilities snapshot")
    add_stations: list[PointIn] = Field(default_factory=list, description="Scenario: hypothetical")
    close_stations: list[str] = Field(default_factory=list, description="Scenario: ids to drop")
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
    id: str
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
    network: int | None = Field(None, description="Network id (default: the latest walking one)")
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
        None, description="Candidate sites; default: network nodes in the top gap cells"
    )
    default_capacity: float = Field(100.0, gt=0, description="Capacitated form, per site")
    budget: float | None = Field(
        None, gt=0, description="Exact method: total cost limit (candidates carry `cost`)"
    )


class IsochroneIn(BaseModel):
    station_ids: list[str] | None = None
    minutes: list[float] = Field(default_factory=lambda: [5.0, 10.0, 15.0])
    buffer_m: float = Field(50.0, gt=0, le=500)
