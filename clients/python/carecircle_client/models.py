"""What the gateway answers, as typed objects (each keeps the whole answer in ``raw``).

Field names are the API's (docs/contracts.md). Coordinates are in the CRS the call asked
for (``crs=``); distances in metres; minutes at an older adult's pace of 1.0 m/s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Weekday → opening intervals, e.g. ``{"mon": [("08:00", "18:00")]}``; an interval whose end
#: is not after its start runs past midnight.
OpeningHours = dict[str, list[tuple[str, str]]]


def _hours(raw: Any) -> OpeningHours | None:
    if not raw:
        return None
    return {day: [(str(a), str(b)) for a, b in spans] for day, spans in raw.items()}


@dataclass(frozen=True)
class Facility:
    """One facility's record (``GET /api/v1/facilities/{id}``)."""

    id: int
    name: str
    type: str
    type_label: str | None
    status: str
    lon: float
    lat: float
    services: list[str]
    star_rating: int | None
    opening_hours: OpeningHours | None
    phone: str | None
    address: str | None
    region_code: str | None
    version: int | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Facility:
        return cls(
            id=int(data["id"]),
            name=str(data["name"]),
            type=str(data["type"]),
            type_label=data.get("type_label"),
            status=str(data.get("status", "active")),
            lon=float(data["lon"]),
            lat=float(data["lat"]),
            services=list(data.get("services") or []),
            star_rating=data.get("star_rating"),
            opening_hours=_hours(data.get("opening_hours")),
            phone=data.get("phone"),
            address=data.get("address"),
            region_code=data.get("region_code"),
            version=data.get("version"),
            raw=data,
        )


@dataclass(frozen=True)
class Station(Facility):
    """One item of the one-call nearby: the facility, how far, how long a walk, free beds.

    ``straight_line_minutes`` is the straight line at 1.0 m/s (the same figure the facilities
    service gives); ``walk_minutes`` the street network's (None: unreachable on foot, or the
    coverage service was unavailable — see ``NearbyPage.degraded``).
    """

    distance_m: float = 0.0
    straight_line_minutes: float | None = None
    walk_minutes: float | None = None
    network_distance_m: float | None = None
    free_beds: int | None = None
    beds_period: str | None = None
    open_now: bool | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Station:
        base = Facility.from_json(data)
        return cls(
            **{name: getattr(base, name) for name in Facility.__dataclass_fields__},
            distance_m=float(data.get("distance_m") or 0.0),
            straight_line_minutes=data.get("straight_line_minutes"),
            walk_minutes=data.get("walk_minutes"),
            network_distance_m=data.get("network_distance_m"),
            free_beds=data.get("free_beds"),
            beds_period=data.get("beds_period"),
            open_now=data.get("open_now"),
        )


@dataclass(frozen=True)
class NearbyPage:
    """One page of ``GET /api/v1/nearby``."""

    items: list[Station]
    total: int | None
    next_cursor: str | None
    ranking: str
    degraded: list[str]
    degraded_reasons: dict[str, str]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NearbyPage:
        return cls(
            items=[Station.from_json(item) for item in data.get("items", [])],
            total=data.get("total"),
            next_cursor=data.get("next_cursor"),
            ranking=str(data.get("ranking", "")),
            degraded=list(data.get("degraded") or []),
            degraded_reasons=dict(data.get("degraded_reasons") or {}),
        )


@dataclass(frozen=True)
class BedReport:
    """A facility's latest bed report (``GET /api/v1/beds/facilities/{id}/current``)."""

    facility_id: int
    period: str
    total_beds: int
    occupied_beds: int | None
    free_beds: int | None
    nursing_beds: int | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BedReport:
        return cls(
            facility_id=int(data["facility_id"]),
            period=str(data["period"]),
            total_beds=int(data["total_beds"]),
            occupied_beds=data.get("occupied_beds"),
            free_beds=data.get("free_beds"),
            nursing_beds=data.get("nursing_beds"),
            raw=data,
        )
