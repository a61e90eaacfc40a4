"""Plan indicators computed from the facility registry and the region tree (pure).

A unit (street/town, community/village) is *covered* when an active facility of the
indicator's types is registered in it: its ``region_code`` is the unit or lies inside
it. Regions without boundaries are normal; a facility belongs to the region its record
names. Units are told apart by ``kind`` (from their names: region_kinds.py); units
without a kind (farms, zones, virtual communities) count in no denominator.

A facility is *urban* when the community it names is an urban community, or — named
at street level, or in a community without a kind — when its street is a subdistrict
(街道). Facilities named only at district level or above are neither urban nor rural.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.beds.indicators import PRIVATE_MODES
from services.beds.plans.facility_groups import (
    CENTER_TYPES,
    EMBEDDED_TYPES,
    HOME_COMMUNITY_TYPES,
    INSTITUTIONAL_TYPES,
    MUTUAL_AID_TYPES,
    STATION_TYPES,
    TOWNSHIP_HOME_TYPES,
    VILLAGE_TYPES,
)
from services.beds.plans.figures import Figure, count_figure, share_figure
from services.common.identity import region_prefix

STREETS = frozenset({"subdistrict", "town", "township"})
TOWNS = frozenset({"town", "township"})


@dataclass(frozen=True)
class Unit:
    """A region as the registry describes it."""

    code: str
    name: str | None
    level: str
    kind: str | None = None
    parent_code: str | None = None
    elderly_60plus: int | None = None


@dataclass(frozen=True)
class Facility:
    """A facility as the registry's snapshot describes it."""

    id: int
    type: str
    status: str
    region_code: str | None
    operation_mode: str | None = None
    star_rating: int | None = None
    center_id: int | None = None


# (level, unit kinds, facility types) of each unit-coverage indicator
UNIT_COVERAGE: dict[str, tuple[str, frozenset[str], tuple[str, ...]]] = {
    "street_center_coverage": ("street", STREETS, CENTER_TYPES),
    "town_center_coverage": ("street", TOWNS, CENTER_TYPES),
    "town_residential_care_coverage": ("street", TOWNS, INSTITUTIONAL_TYPES),
    "street_embedded_home_coverage": ("street", frozenset({"subdistrict"}), EMBEDDED_TYPES),
    "community_station_coverage": ("community", frozenset({"urban_community"}), STATION_TYPES),
    "village_mutual_aid_coverage": ("community", frozenset({"village"}), VILLAGE_TYPES),
    "village_service_coverage": ("community", frozenset({"village"}), HOME_COMMUNITY_TYPES),
    "home_community_service_coverage": (
        "community",
        frozenset({"urban_community", "village"}),
        HOME_COMMUNITY_TYPES,
    ),
}
REGISTRY_IDS = (
    *UNIT_COVERAGE,
    "town_centers",
    "embedded_homes",
    "mutual_aid_points",
    "socialized_operation_rate",
    "center_led_station_rate",
    "township_home_socialized_rate",
    "star_rated_share",
    "star_3plus_share",
)


def street_key(code: str | None) -> str | None:
    """The street-level unit a region code lies in (None above street level)."""
    if code is None or len(region_prefix(code)) <= 6:
        return None
    return code[:9] + "000"


def community_key(code: str | None) -> str | None:
    """The community-level unit a region code is (None above community level)."""
    if code is None or len(region_prefix(code)) <= 9:
        return None
    return code


def inside(code: str | None, region: str) -> bool:
    return code is not None and code.startswith(region_prefix(region))


class Registry:
    """Units and active facilities, indexed once; figures for any region below."""

    def __init__(self, units: Iterable[Unit], facilities: Iterable[Facility]) -> None:
        self.units = {u.code: u for u in units}
        self.facilities = [f for f in facilities if f.status == "active"]
        self.center_ids = {f.id for f in self.facilities if f.type in CENTER_TYPES}

    def kind(self, code: str | None) -> str | None:
        unit = self.units.get(code) if code else None
        return unit.kind if unit else None

    def is_urban(self, facility: Facility) -> bool | None:
        """True in an urban community or a subdistrict, False in a village or town; None unknown."""
        community = self.kind(community_key(facility.region_code))
        if community in ("urban_community", "village"):
            return community == "urban_community"
        street = self.kind(street_key(facility.region_code))
        if street is None:
            return None
        return street == "subdistrict"

    def units_in(self, region: str, level: str, kinds: frozenset[str]) -> list[Unit]:
        """Units of ``level`` and ``kinds`` that are ``region`` or lie inside it."""
        prefix = region_prefix(region)
        return [
            u
            for u in self.units.values()
            if u.level == level and u.kind in kinds and u.code.startswith(prefix)
        ]

    def facilities_in(self, region: str, types: Sequence[str]) -> list[Facility]:
        prefix = region_prefix(region)
        return [
            f
            for f in self.facilities
            if f.type in types and f.region_code is not None and f.region_code.startswith(prefix)
        ]

    def unit_coverage(self, region: str, indicator: str) -> tuple[Figure, list[Unit]]:
        """The share of units with a facility of the indicator's types, and the units without one."""
        level, kinds, types = UNIT_COVERAGE[indicator]
        units = self.units_in(region, level, kinds)
        key = street_key if level == "street" else community_key
        have = {key(f.region_code) for f in self.facilities_in(region, types)}
        lacking = [u for u in units if u.code not in have]
        noun = "streets/towns" if level == "street" else "communities/villages"
        figure = share_figure(
            len(units) - len(lacking), len(units), missing=f"no {noun} of this kind loaded here"
        )
        return figure, sorted(lacking, key=lambda u: u.code)

    def figures(self, region: str) -> dict[str, Figure]:
        """Every registry indicator of ``region`` (the region and everything inside it)."""
        out = {name: self.unit_coverage(region, name)[0] for name in UNIT_COVERAGE}
        centers = self.facilities_in(region, CENTER_TYPES)
        out["town_centers"] = count_figure(
            sum(1 for f in centers if self.kind(street_key(f.region_code)) in TOWNS)
        )
        out["embedded_homes"] = count_figure(len(self.facilities_in(region, EMBEDDED_TYPES)))
        out["mutual_aid_points"] = count_figure(len(self.facilities_in(region, MUTUAL_AID_TYPES)))
        urban = [f for f in self.facilities_in(region, STATION_TYPES) if self.is_urban(f)]
        known = [f for f in urban if f.operation_mode is not None]
        out["socialized_operation_rate"] = share_figure(
            sum(1 for f in known if f.operation_mode in PRIVATE_MODES),
            len(known),
            missing="no urban community facility with a recorded operation mode",
        )
        stations = [f for f in urban if f.type == "community_station"]
        out["center_led_station_rate"] = share_figure(
            sum(1 for f in stations if f.center_id in self.center_ids),
            len(stations),
            missing="no urban community station registered",
        )
        homes = [
            f
            for f in self.facilities_in(region, TOWNSHIP_HOME_TYPES)
            if f.operation_mode is not None
        ]
        out["township_home_socialized_rate"] = share_figure(
            sum(1 for f in homes if f.operation_mode in PRIVATE_MODES),
            len(homes),
            missing="no township home with a recorded operation mode",
        )
        institutions = self.facilities_in(region, INSTITUTIONAL_TYPES)
        for name, stars in (("star_rated_share", 1), ("star_3plus_share", 3)):
            out[name] = share_figure(
                sum(1 for f in institutions if (f.star_rating or 0) >= stars),
                len(institutions),
                missing="no active institution registered",
            )
        return out
