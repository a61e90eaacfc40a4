"""The GENERATED demo data: reproducible, each facility in a unit of its kind, inside the district."""

from __future__ import annotations

from shapely.geometry import Point, box

from services.beds.plans.definitions import REPORTED_IDS
from services.beds.plans.synth import SOURCE, Area, facilities, reported

AREA = Area(
    "990101000000",
    "1区",
    box(116.0, 39.0, 116.2, 39.2),
    tuple(
        [(f"990101{s:03d}000", f"{s}街道", "subdistrict") for s in range(1, 4)]
        + [
            (f"99010100{s}{c:03d}", f"{c}社区", "urban_community")
            for s in (1, 2, 3)
            for c in range(1, 10)
        ]
        + [(f"99010100{s}{c:03d}", f"{c}村", "village") for s in (1, 2, 3) for c in range(10, 20)]
    ),
)
WHERE = {
    "care_center": "subdistrict",
    "embedded_home": "subdistrict",
    "community_station": "urban_community",
    "meal_point": "urban_community",
    "mutual_aid_point": "village",
    "rural_happiness_home": "village",
}


def test_facilities_are_reproducible_and_placed_by_kind() -> None:
    rows = facilities([AREA], seed=5)
    assert rows == facilities([AREA], seed=5)
    kinds = {code: kind for code, _, kind in AREA.units}
    for row in rows:
        assert kinds[row["region_code"]] == WHERE[row["type"]]
        assert AREA.geometry.contains(Point(row["lon"], row["lat"]))
        assert row["center_id"] == ""
    assert len({r["external_id"] for r in rows}) == len(rows)


def test_a_second_run_only_links_stations_to_their_centres() -> None:
    first = facilities([AREA], seed=5)
    centres = {
        r["external_id"]: i for i, r in enumerate(first, start=100) if r["type"] == "care_center"
    }
    second = facilities([AREA], seed=5, centres=centres)
    changed = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    assert changed and all(
        b["type"] == "community_station" and {k for k in a if a[k] != b[k]} == {"center_id"}
        for a, b in changed
    )
    assert all(
        b["center_id"] == centres[f"PSYN-{b['region_code'][:9]}-care_center"] for _, b in changed
    )


def test_reported_rows_are_marked_generated_and_valid_ids() -> None:
    rows = reported(["990101000000"], "2025-10")
    assert {r["source"] for r in rows} == {SOURCE}
    assert {r["indicator"] for r in rows} <= set(REPORTED_IDS)
