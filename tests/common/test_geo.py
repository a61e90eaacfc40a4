"""Shared geodesy: haversine against pyproj's geodesic, UTM zones, coordinate checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod

from services.common.geo import haversine_m, require_same_crs, utm_epsg_for, validate_lon_lat

WGS84_GEOD = Geod(ellps="WGS84")


@given(st.floats(-179, 179), st.floats(-80, 80), st.floats(-0.05, 0.05), st.floats(-0.05, 0.05))
def test_haversine_is_within_the_known_0_6_percent_of_the_ellipsoid(
    lon: float, lat: float, dlon: float, dlat: float
) -> None:
    lon2, lat2 = lon + dlon, lat + dlat
    _, _, ellipsoid_m = WGS84_GEOD.inv(lon, lat, lon2, lat2)
    sphere_m = float(haversine_m(lon, lat, lon2, lat2))
    assert sphere_m == pytest.approx(ellipsoid_m, rel=6e-3, abs=1e-6)


def test_haversine_known_distance_one_degree_of_latitude() -> None:
    # 1° of arc on the 6,371,008.8 m sphere, worked out by hand: 2πR/360.
    assert float(haversine_m(0, 0, 0, 1)) == pytest.approx(2 * np.pi * 6_371_008.8 / 360)


def test_haversine_is_vectorised() -> None:
    out = haversine_m([0, 0], [0, 0], [0, 1], [1, 0])
    assert out.shape == (2,)


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [(118.09, 24.48, 32650), (106.63, 29.72, 32648), (24.94, 60.17, 32635), (-70.0, -33.0, 32719)],
)
def test_utm_zone(lon: float, lat: float, epsg: int) -> None:
    assert utm_epsg_for(lon, lat) == epsg


def test_coordinate_checks() -> None:
    validate_lon_lat(118.0, 24.0)
    with pytest.raises(ValueError, match="lon"):
        validate_lon_lat(181.0, 0)
    with pytest.raises(ValueError, match="lat"):
        validate_lon_lat(0, float("nan"))
    with pytest.raises(ValueError, match="CRS mismatch"):
        require_same_crs("EPSG:4326", "EPSG:32650")
