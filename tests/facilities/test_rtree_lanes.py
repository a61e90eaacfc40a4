"""The SQLite R*Tree's type lanes (ADR 0074): the migration and the code place every type alike."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
from sqlalchemy import text

from services.common.db import make_engine
from services.common.migrate import upgrade
from services.facilities import rtree_lanes
from services.facilities.schemas import FACILITY_TYPES
from services.facilities.vocabulary import FacilityType

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "facilities" / "versions"
_WHEN = re.compile(r"WHEN '(\w+)' THEN (\d+)")
_ELSE = re.compile(r"ELSE (\d+) END")


def newest_lane_case() -> tuple[str, dict[str, int], int]:
    """The lanes of the newest facilities migration that writes the lane CASE (file names sort by date)."""
    for path in sorted(MIGRATIONS.glob("*.py"), reverse=True):
        text = path.read_text(encoding="utf-8")
        whens = _WHEN.findall(text)
        if whens:
            other = _ELSE.search(text)
            assert other is not None, f"{path.name}: a lane CASE without ELSE"
            return path.name, {slug: int(lane) for slug, lane in whens}, int(other.group(1))
    raise AssertionError(f"no migration under {MIGRATIONS} writes the lane CASE")


def test_every_known_type_has_its_own_lane_and_no_type_means_every_lane() -> None:
    assert set(rtree_lanes.TYPE_LANES) == set(FACILITY_TYPES)
    lanes = list(rtree_lanes.TYPE_LANES.values())
    assert len(set(lanes)) == len(lanes) and rtree_lanes.OTHER_LANE not in lanes
    assert rtree_lanes.lanes_for(()) == rtree_lanes.ALL_LANES
    assert rtree_lanes.lanes_for(["day_care", "nursing_home", "day_care"]) == (0, 3)
    assert rtree_lanes.lanes_for(["not_yet_known"]) == (rtree_lanes.OTHER_LANE,)


def test_the_lanes_follow_the_vocabulary_in_order() -> None:
    slugs = get_args(FacilityType)
    assert tuple(rtree_lanes.TYPE_LANES) == slugs == tuple(FACILITY_TYPES)
    assert [rtree_lanes.TYPE_LANES[s] for s in slugs[: rtree_lanes.OTHER_LANE]] == list(
        range(min(len(slugs), rtree_lanes.OTHER_LANE))
    )


def test_the_newest_migration_writes_the_lanes_the_code_searches() -> None:
    """Fails when a type is added (or moved) without a migration rebuilding the R*Tree."""
    name, lanes, other = newest_lane_case()
    assert (lanes, other) == (rtree_lanes.TYPE_LANES, rtree_lanes.OTHER_LANE), (
        f"{name}'s lane CASE differs from services/facilities/vocabulary.py: add a facilities "
        f"migration rebuilding rtree_facilities with {rtree_lanes.lane_sql('NEW.type')} "
        "(steps in vocabulary.py's docstring)"
    )


def test_the_migration_case_is_read_as_written() -> None:
    """The oracle for the check above: the CASE text a migration holds parses to its lanes."""
    assert _WHEN.findall(rtree_lanes.lane_sql("NEW.type"))[:2] == [
        ("nursing_home", "0"),
        ("care_center", "1"),
    ]


def test_lanes_never_touch_even_at_the_antimeridian() -> None:
    lane_box = rtree_lanes.box_params((0, 1), -180.0, 180.0, -90.0, 90.0)
    assert lane_box["x1_0"] < lane_box["x0_1"]


@pytest.mark.parametrize("type_", [*FACILITY_TYPES, "not_yet_known"])
def test_migrated_rtree_puts_each_type_in_the_lane_the_code_searches(
    tmp_path: Path, type_: str
) -> None:
    url = f"sqlite:///{tmp_path / 'lanes.sqlite3'}"
    upgrade("facilities", url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO facilities (external_id, source, name, name_normalized, type, "
                    "services, services_mask, status, lon, lat, version) VALUES ('L-1', 'test', "
                    "'站', '站', :type, '[]', 0, 'active', 179.5, 29.5, 1)"
                ),
                {"type": type_},
            )
            (lane,) = rtree_lanes.lanes_for([type_])
            params = rtree_lanes.box_params((lane,), 179.4, 179.6, 29.4, 29.6)
            (box,) = rtree_lanes.box_conditions((lane,))
            hits = conn.execute(
                text(f"SELECT r.id FROM rtree_facilities r WHERE {box}"), params
            ).all()
            others = [other for other in rtree_lanes.ALL_LANES if other != lane]
            elsewhere = " OR ".join(f"({b})" for b in rtree_lanes.box_conditions(others))
            stray = conn.execute(
                text(f"SELECT r.id FROM rtree_facilities r WHERE {elsewhere}"),
                rtree_lanes.box_params(others, -180.0, 180.0, -90.0, 90.0),
            ).all()
        assert len(hits) == 1 and stray == []
    finally:
        engine.dispose()
