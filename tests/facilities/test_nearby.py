"""services/facilities/nearby.py: ranking, cursors, walking minutes, covering boxes (pure)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.geo import haversine_m
from services.facilities import nearby


def test_rank_orders_by_distance_then_id() -> None:
    ids = np.array([5, 3, 9, 1], dtype=np.int64)
    d = np.array([10.0, 10.0, 2.0, 30.0])
    known = [2, 1, 0, 3]  # 9 (2 m), then 3 and 5 tied at 10 m (id order), then 1
    assert nearby.rank(ids, d).tolist() == known


def test_rank_after_cursor_splits_a_tie_by_id() -> None:
    ids = np.array([5, 3, 9, 1], dtype=np.int64)
    d = np.array([10.0, 10.0, 2.0, 30.0])
    after = nearby.Cursor(distance_m=10.0, id=3, served=2)
    assert nearby.rank(ids, d, after=after).tolist() == [
        0,
        3,
    ]  # id 5 (same distance, larger id), then id 1


def test_rank_within_drops_farther_candidates() -> None:
    ids = np.array([1, 2, 3], dtype=np.int64)
    d = np.array([100.0, 50.0, 150.0])
    assert nearby.rank(ids, d, within_m=100.0).tolist() == [1, 0]


@given(
    st.floats(min_value=0, max_value=2e7, allow_nan=False),
    st.integers(1, 2**40),
    st.integers(0, 10**6),
)
def test_cursor_round_trips_bit_exact(distance_m: float, facility_id: int, served: int) -> None:
    cursor = nearby.Cursor(distance_m, facility_id, served, nearby.query_tag(distance_m, served))
    assert nearby.decode_cursor(nearby.encode_cursor(cursor)) == cursor


@pytest.mark.parametrize("token", ["", "nonsense", "aWR8MTI", "LTEuMHwxfDE"])
def test_foreign_cursors_are_refused(token: str) -> None:
    with pytest.raises(ValueError, match="not a nearby cursor"):
        nearby.decode_cursor(token)


def test_straight_line_minutes_at_one_metre_per_second() -> None:
    known = [0.0, 1.0, 15.0, 2.5]  # 0 m, 60 m, 900 m (a 15-minute circle at 1 m/s), 150 m
    assert nearby.straight_line_minutes(np.array([0.0, 60.0, 900.0, 150.0])).tolist() == known


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-179.0, max_value=179.0),
    st.floats(min_value=-85.0, max_value=85.0),
    st.floats(min_value=1.0, max_value=200_000.0),
    st.floats(min_value=0.0, max_value=2 * math.pi),
)
def test_covering_box_contains_the_circle(
    lon: float, lat: float, radius_m: float, bearing: float
) -> None:
    """A point at exactly radius_m in any direction lies inside the box (oracle: haversine)."""
    min_lon, max_lon, min_lat, max_lat = nearby.covering_box(lon, lat, radius_m)
    # walk radius_m along the bearing on the sphere (direct geodesic problem on a sphere)
    delta = radius_m / 6_371_008.8
    lat1, lon1 = math.radians(lat), math.radians(lon)
    lat2 = math.asin(
        math.sin(lat1) * math.cos(delta) + math.cos(lat1) * math.sin(delta) * math.cos(bearing)
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(delta) * math.cos(lat1),
        math.cos(delta) - math.sin(lat1) * math.sin(lat2),
    )
    p_lon, p_lat = math.degrees(lon2), math.degrees(lat2)
    assert float(haversine_m(lon, lat, p_lon, p_lat)) == pytest.approx(radius_m, rel=1e-6)
    if min_lon > -180.0 or max_lon < 180.0:
        assert min_lon <= p_lon <= max_lon
    assert min_lat <= p_lat <= max_lat


def test_max_corner_distance_circle_covers_box_edges() -> None:
    box = (106.0, 29.0, 107.5, 30.2)
    c_lon, c_lat, radius_m = nearby.max_corner_distance_m(*box)
    edge_lon = np.concatenate(
        [np.linspace(box[0], box[2], 50), np.full(50, box[0]), np.full(50, box[2])]
    )
    edge_lat = np.concatenate(
        [np.full(50, box[1]), np.linspace(box[1], box[3], 50), np.linspace(box[1], box[3], 50)]
    )
    assert float(np.max(haversine_m(c_lon, c_lat, edge_lon, edge_lat))) <= radius_m
    assert nearby.max_corner_distance_m(-170.0, 0.0, 170.0, 1.0)[2] == math.inf
