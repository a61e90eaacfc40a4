"""Facility types as lanes of the SQLite R*Tree: x = lon + LANE_WIDTH × lane(type) (ADR 0074).

Apps nearly always ask for one type ("community stations near me"). In one
shared R*Tree a box then returns every facility inside it and SQLite joins each
to its row only to drop the other types (~9 of 10): that join was most of a
nearby request. Shifting each type into its own copy of the longitude axis makes
a box query for one type touch only that type; no type filter means one box per
lane. The geometry inside a lane is unchanged, so the boxes stay exact supersets
(the R*Tree stores float32 rounded outwards: ~30 m of slack at x ≈ 4,000, only
ever extra candidates, which the exact distance check drops).

Lane numbers are stored in the database: never renumber a type; a new type gets
the next number and a migration that rebuilds ``rtree_facilities``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# Wider than 360° so that lanes never touch, even at ±180° and after float32 rounding.
LANE_WIDTH = 400.0
TYPE_LANES: dict[str, int] = {
    "nursing_home": 0,
    "care_center": 1,
    "community_station": 2,
    "day_care": 3,
    "rural_happiness_home": 4,
    "mutual_aid_point": 5,
    "meal_point": 6,
    "township_home": 7,
    "embedded_home": 8,
}
OTHER_LANE = 9  # any type the list above does not know yet (never dropped from the index)
ALL_LANES: tuple[int, ...] = (*sorted(TYPE_LANES.values()), OTHER_LANE)


def lanes_for(types: Iterable[str]) -> tuple[int, ...]:
    """The lanes holding ``types``; every lane when no type is asked."""
    lanes = sorted({TYPE_LANES.get(type_, OTHER_LANE) for type_ in types})
    return tuple(lanes) or ALL_LANES


def lane_sql(type_column: str) -> str:
    """SQL for the lane of ``type_column`` (used by the triggers that keep the R*Tree)."""
    cases = " ".join(f"WHEN '{type_}' THEN {lane}" for type_, lane in TYPE_LANES.items())
    return f"(CASE {type_column} {cases} ELSE {OTHER_LANE} END)"


def box_conditions(lanes: Sequence[int], alias: str = "r") -> list[str]:
    """One R*Tree box condition per lane, over ``:x0_<lane>``, ``:x1_<lane>``, ``:y0``, ``:y1``."""
    return [
        f"{alias}.min_x <= :x1_{lane} AND {alias}.max_x >= :x0_{lane} "
        f"AND {alias}.min_y <= :y1 AND {alias}.max_y >= :y0"
        for lane in lanes
    ]


def box_params(
    lanes: Sequence[int], min_lon: float, max_lon: float, min_lat: float, max_lat: float
) -> dict[str, float]:
    """The parameters of :func:`box_conditions` for a lon/lat box."""
    params = {"y0": min_lat, "y1": max_lat}
    for lane in lanes:
        params[f"x0_{lane}"] = min_lon + LANE_WIDTH * lane
        params[f"x1_{lane}"] = max_lon + LANE_WIDTH * lane
    return params
