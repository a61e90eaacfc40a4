"""circles.py: shares by count/weight, groups, seed indicators (hand-worked)."""

from __future__ import annotations

import numpy as np
import pytest

from services.coverage.circles import group_shares, seed_indicators, shares
from services.coverage.loaders import points_from_records


def test_shares_hand_worked() -> None:
    covered = np.array([True, False, True, False])
    w = np.array([10.0, 30, 0, 60])
    assert shares(covered, w) == (0.5, pytest.approx(0.1))
    assert shares(np.zeros(2, dtype=bool), np.zeros(2)) == (0.0, None)


def test_group_shares_sum_to_the_whole() -> None:
    rng = np.random.default_rng(0)
    g = rng.choice(["a", "b", "c"], 50)
    covered = rng.random(50) < 0.4
    w = rng.integers(0, 10, 50).astype(float)
    groups = group_shares(g, covered, w)
    assert sum(x["elderly"] for x in groups) == w.sum()
    assert sum(x["covered_elderly"] for x in groups) == w[covered].sum()


def test_seed_indicators_hand_worked() -> None:
    demand = points_from_records(
        [
            {"id": "1", "lon": 0, "lat": 0, "elderly": 10, "region_code": "110101001001"},
            {"id": "2", "lon": 0, "lat": 0, "elderly": 30, "region_code": "110101001001"},
            {"id": "3", "lon": 0, "lat": 0, "elderly": 5, "region_code": "110101002001"},
        ],
        "demand",
        True,
    )
    stations = points_from_records(
        [
            {"id": "s", "lon": 0, "lat": 0, "type": "care_center", "region_code": "110101001009"},
            {
                "id": "t",
                "lon": 0,
                "lat": 0,
                "type": "community_station",
                "region_code": "110101002001",
            },
        ],
        "stations",
        False,
    )
    out = seed_indicators(stations, demand, np.array([True, False, False]))
    assert out["share_communities_with_station_within_circle"] == 0.5  # community 001001 only
    assert out["share_communities_majority_covered"] == 0.0  # 10 of 40 < half
    assert out["share_streets_with_comprehensive_center"] == 0.5  # street 110101001 has one
