"""Facility types as lanes of the SQLite R*Tree: x = lon + LANE_WIDTH × lane(type) (ADR 0074).

Apps nearly always ask for one type ("community stations near me"). In one
shared R*Tree a box then returns every facility inside it and SQLite joins each
to its row only to drop the other types (~9 of 10): that join was most of a
nearby request. Shifting each type into its own copy of the longitude axis makes
a box query for one type touch only that type; no type filter means one box per
lane. The geometry inside a lane is unchanged, so the boxes stay exact supersets
(the R*Tree stores float32 rounded outwards: ~30 m of slack at x ≈ 4,000, only
ever extra candidates, which the exact distance check drops).

Lane numbers are stored in the database: a type's lane is its position in
``vocabulary.FacilityType`` (never reordered; a new type is appended, gets the next
lane and needs a migration that rebuilds ``rtree_facilities`` with :func:`lane_sql`'s
CASE — the steps are in :mod:`services.facilities.vocabulary`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from services.facilities.vocabulary import FACILITY_TYPE_SLUGS

# Wider than 360° so that lanes never touch, even at ±180° and after float32 rounding.
LANE_WIDTH = 400.0
OTHER_LANE = 9  # stored: the lane of a type the index does not know (migration 0005)


def _lane(position: int) -> int:
    """A type's lane is its position in the vocabulary, stepping over ``OTHER_LANE``."""
    return position if position < OTHER_LANE else position + 1


TYPE_LANES: dict[str, int] = {slug: _lane(i) for i, slug in enumerate(FACILITY_TYPE_SLUGS)}
ALL_LANES: tuple[int, ...] = tuple(sorted({*TYPE_LANES.values(), OTHER_LANE}))


def lanes_for(types: Iterable[str]) -> tuple[int, ...]:
    """The lanes holding ``types``; every lane when no type is asked."""
    lanes = sorted({TYPE_LANES.get(type_, OTHER_LANE) for type_ in types})
    return tuple(lanes) or ALL_LANES


def lane_sql(type_column: str) -> str:
    """SQL for the lane of ``type_column``: the CASE the R*Tree's triggers compute.

    Migrations write it out as text (frozen as they ran); the test of this module
    checks the newest one against this.
    """
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
