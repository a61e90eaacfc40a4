"""services/facilities/crs.py against published reference points, both ways, and round trips.

Reference points are the test vectors that the widely used open implementations
publish (eviltransform's Shanghai/Shenzhen/Beijing WGS84↔GCJ-02 fixtures; the
Tiananmen-area point 116.404, 39.915 of wandergis/coordtransform, and a
Heilongjiang point checked against an online converter, for BD-09).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from services.common.geo import haversine_m
from services.facilities import crs

# (wgs lon, wgs lat, gcj lon, gcj lat)
WGS_GCJ = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),  # Beijing, Tiananmen area
]
# (gcj lon, gcj lat, bd lon, bd lat)
GCJ_BD = [(116.404, 39.915, 116.41036949371029, 39.92133699351022)]
# (wgs lon, wgs lat, bd lon, bd lat)
WGS_BD = [
    (116.404, 39.915, 116.41662724378733, 39.922699552216216),
    (122.99395597, 44.99804071, 123.00636516028885, 45.0063690918959),
]

ONE_CM_M = 0.01
ONE_M = 1.0


def _meters(lon1: object, lat1: object, lon2: object, lat2: object) -> float:
    return float(np.max(haversine_m(lon1, lat1, lon2, lat2)))


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), WGS_GCJ)
def test_wgs84_to_gcj02_matches_published_points(
    wlon: float, wlat: float, glon: float, glat: float
) -> None:
    observed = crs.wgs84_to_gcj02(wlon, wlat)
    assert _meters(*observed, glon, glat) < ONE_CM_M


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), WGS_GCJ)
def test_gcj02_to_wgs84_inverts_published_points_below_a_metre(
    wlon: float, wlat: float, glon: float, glat: float
) -> None:
    observed = crs.gcj02_to_wgs84(glon, glat)
    assert _meters(*observed, wlon, wlat) < ONE_CM_M


def test_single_subtraction_would_not_be_good_enough() -> None:
    """The naive inverse (subtract the offset once) is metres off: the iteration is needed."""
    wlon, wlat, glon, glat = WGS_GCJ[2]
    d_lon, d_lat = (
        a - b for a, b in zip(crs.wgs84_to_gcj02(glon, glat), (glon, glat), strict=True)
    )
    assert _meters(glon - d_lon, glat - d_lat, wlon, wlat) > 0.1
    assert _meters(*crs.gcj02_to_wgs84(glon, glat), wlon, wlat) < 0.001


@pytest.mark.parametrize(("glon", "glat", "blon", "blat"), GCJ_BD)
def test_gcj02_bd09_published_points_both_ways(
    glon: float, glat: float, blon: float, blat: float
) -> None:
    assert _meters(*crs.gcj02_to_bd09(glon, glat), blon, blat) < ONE_CM_M
    assert _meters(*crs.bd09_to_gcj02(blon, blat), glon, glat) < ONE_CM_M


@pytest.mark.parametrize(("wlon", "wlat", "blon", "blat"), WGS_BD)
def test_wgs84_bd09_published_points_both_ways(
    wlon: float, wlat: float, blon: float, blat: float
) -> None:
    assert _meters(*crs.wgs84_to_bd09(wlon, wlat), blon, blat) < ONE_CM_M
    assert _meters(*crs.bd09_to_wgs84(blon, blat), wlon, wlat) < ONE_CM_M


def test_vectorised_equals_pointwise_and_leaves_input_alone() -> None:
    lon = np.array([p[0] for p in WGS_GCJ])
    lat = np.array([p[1] for p in WGS_GCJ])
    before = lon.copy()
    out_lon, out_lat = crs.wgs84_to_bd09(lon, lat)
    for i in range(len(lon)):
        one = crs.wgs84_to_bd09(lon[i], lat[i])
        assert (float(one[0]), float(one[1])) == (out_lon[i], out_lat[i])
    np.testing.assert_array_equal(lon, before)


def test_outside_china_gcj02_is_identity() -> None:
    lon = np.array(
        [-0.1276, 2.3522, -74.006, 151.2093, 139.6917]
    )  # London, Paris, NY, Sydney, Tokyo
    lat = np.array([51.5072, 48.8566, 40.7128, -33.8688, 35.6895])
    for fn in (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84):
        out_lon, out_lat = fn(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)


china_lon = st.floats(min_value=73.7, max_value=134.7)
china_lat = st.floats(min_value=18.2, max_value=53.5)


@settings(max_examples=200, deadline=None)
@given(china_lon, china_lat)
def test_round_trips_stay_below_one_metre(lon: float, lat: float) -> None:
    for name in ("gcj02", "bd09"):
        there = crs.from_wgs84(lon, lat, name)
        back = crs.to_wgs84(*there, name)
        assert _meters(*back, lon, lat) < ONE_M
        # and the other way round: a point given in name, to WGS84 and back
        back_there = crs.from_wgs84(*crs.to_wgs84(lon, lat, name), name)
        assert _meters(*back_there, lon, lat) < ONE_M


def test_offset_is_the_familiar_few_hundred_metres() -> None:
    lon, lat = 116.404, 39.915
    assert 300 < _meters(*crs.wgs84_to_gcj02(lon, lat), lon, lat) < 800
    assert 500 < _meters(*crs.wgs84_to_bd09(lon, lat), lon, lat) < 1500


def test_unknown_crs_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown crs 'epsg:3857'.*wgs84, gcj02, bd09"):
        crs.to_wgs84(1.0, 2.0, "epsg:3857")
    assert crs.check_crs("GCJ-02") == "gcj02"


def test_point_helpers_return_floats() -> None:
    lon, lat = crs.point_from_wgs84(116.404, 39.915, "gcj02")
    assert isinstance(lon, float) and isinstance(lat, float)
    assert _meters(*crs.point_to_wgs84(lon, lat, "gcj02"), 116.404, 39.915) < ONE_CM_M
    assert crs.point_to_wgs84(1.5, 2.5, "wgs84") == (1.5, 2.5)


def test_real_amap_boundaries_land_on_the_wgs84_ones(shared_data: Path) -> None:
    """Real data: AMap's GCJ-02 district outlines, converted, move onto the WGS84 outlines.

    The two sources were drawn independently (and the WGS84 one simplified), so they never
    coincide; but converting must remove most of the ~500 m offset and raise the overlap.
    """
    folder = shared_data / "cn-admin-districts"
    wgs = json.loads(
        (folder / "wgs84" / "districts_xiamen_zhangzhou_chongqing_liupanshui.geojson").read_text()
    )
    wgs_by_code = {f["properties"]["adcode"]: shape(f["geometry"]) for f in wgs["features"]}
    checked = 0
    for path in sorted((folder / "gcj02").glob("*.geojson")):
        if path.stem not in wgs_by_code:
            continue
        gcj = shape(json.loads(path.read_text()))
        converted = shapely.transform(
            gcj, lambda xy: np.column_stack(crs.gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
        )
        truth = wgs_by_code[path.stem]
        before = _meters(gcj.centroid.x, gcj.centroid.y, truth.centroid.x, truth.centroid.y)
        after = _meters(
            converted.centroid.x, converted.centroid.y, truth.centroid.x, truth.centroid.y
        )
        if not path.stem.startswith("35"):  # inland: no islands or sea to disagree about
            assert before - after > 300.0, (path.stem, before, after)  # the offset is ~500 m

        def iou(a: object, b: object = truth) -> float:
            return float(a.intersection(b).area / a.union(b).area)  # type: ignore[attr-defined]

        assert iou(converted) > iou(gcj), path.stem
        checked += 1
    assert checked >= 2
