"""The shared geodesy against pyproj (docs/decisions/0004: why the service keeps its own two).

* ``haversine_m`` is the great circle on the mean-radius sphere, PostGIS's geography ``<->``
  figure that the nearby search's exactness rests on: pyproj's geodesic on the same sphere is
  the oracle; on the WGS84 ellipsoid the two differ by at most ~0.56 % (the sphere against the meridian's curvature at the equator,
  6,335 km; 0.45 % at the poles).
* ``utm_epsg_for`` is the 6° zone formula: PROJ's database must list its zone among the WGS84
  UTM zones whose area of use holds the point.
"""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from services.common.geo import EARTH_RADIUS_M, haversine_m, utm_epsg_for


def random_pairs(seed: int, n: int, spread_deg: float) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    lon1 = rng.uniform(-180, 180, n)
    lat1 = rng.uniform(-80, 80, n)
    lon2 = (lon1 + rng.uniform(-spread_deg, spread_deg, n) + 180) % 360 - 180
    lat2 = np.clip(lat1 + rng.uniform(-spread_deg, spread_deg, n), -89.9, 89.9)
    return lon1, lat1, lon2, lat2


@pytest.mark.parametrize("spread_deg", [0.001, 0.05, 1.0, 60.0])
def test_haversine_is_pyprojs_geodesic_on_the_same_sphere(spread_deg: float) -> None:
    lon1, lat1, lon2, lat2 = random_pairs(1, 2000, spread_deg)
    _, _, known = Geod(a=EARTH_RADIUS_M, b=EARTH_RADIUS_M).inv(lon1, lat1, lon2, lat2)
    observed = haversine_m(lon1, lat1, lon2, lat2)
    np.testing.assert_allclose(observed, known, rtol=1e-9, atol=1e-6)


def test_haversine_is_within_the_spheres_error_of_the_wgs84_ellipsoid() -> None:
    lon1, lat1, lon2, lat2 = random_pairs(2, 2000, 0.2)  # city scale, where the service works
    _, _, ellipsoid_m = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    ratio = haversine_m(lon1, lat1, lon2, lat2) / ellipsoid_m
    assert np.all(np.abs(ratio - 1) < 0.006)
    assert np.abs(ratio - 1).max() > 0.003  # and the difference is real: a sphere is not WGS84


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(106.55, 29.56), (118.09, 24.48), (104.83, 26.59), (116.4, 39.9), (-73.98, 40.75)]
    + [
        (float(x), float(y))
        for x, y in np.random.default_rng(3).uniform((-179, -79), (179, 83), (15, 2))
    ],
)
def test_utm_zone_is_one_proj_lists_for_the_point(lon: float, lat: float) -> None:
    zones = query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat)
    )
    codes = {int(z.code) for z in zones if z.auth_name == "EPSG"}
    assert utm_epsg_for(lon, lat) in codes, (lon, lat, sorted(codes))
