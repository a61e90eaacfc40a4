"""WGS84 ↔ GCJ-02 ↔ BD-09: the coordinate systems of Chinese map SDKs (vectorised, pure).

Storage is always WGS84 (EPSG:4326). Mobile apps built on AMap/Tencent maps send
and expect GCJ-02 ("Mars coordinates"); Baidu maps use BD-09, a second offset on
top of GCJ-02. Neither is an EPSG datum, so pyproj cannot do it; the PyPI
packages that do (prcoords, eviltransform, coord-convert, …) are unmaintained
and scalar-only, so this module implements the published formulas directly
(Krasovsky 1940 ellipsoid parameters, the widely published polynomial offset).

Directions and accuracy
-----------------------
* WGS84 → GCJ-02 and GCJ-02 → BD-09 are closed-form.
* GCJ-02 → WGS84 and BD-09 → GCJ-02 have no closed form; they are solved by
  fixed-point iteration on the forward function (its Jacobian is ≈ identity, so
  each step gains about three digits). We stop below 1e-10° (≈ 0.01 mm), so a
  round trip is exact to far below the 1 m the API promises.
* GCJ-02 is only applied inside mainland China's bounding box (the rule every
  published implementation uses); points outside are returned unchanged for
  GCJ-02. BD-09 applies its own offset everywhere, as Baidu's SDK does.

All functions take lon/lat in degrees as scalars or arrays (broadcast together)
and return new float64 arrays; inputs are never modified.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

CrsName = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: tuple[str, ...] = get_args(CrsName)

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 formulas.
_KRASOVSKY_A_M = 6_378_245.0
_KRASOVSKY_EE = 0.00669342162296594323
# BD-09 rotates/scales GCJ-02 with this angular factor (π·3000/180).
_BD_X_PI = np.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006

# The box inside which GCJ-02 offsets apply (degrees).
CHINA_MIN_LON, CHINA_MAX_LON = 72.004, 137.8347
CHINA_MIN_LAT, CHINA_MAX_LAT = 0.8293, 55.8271

_INVERSE_TOL_DEG = 1e-10
_INVERSE_MAX_ITER = 30

Array = NDArray[np.float64]


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    lon_a, lat_a = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_a.copy(), lat_a.copy()


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where GCJ-02 applies: inside mainland China's published bounding box (degrees)."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return (
        (lon_a >= CHINA_MIN_LON)
        & (lon_a <= CHINA_MAX_LON)
        & (lat_a >= CHINA_MIN_LAT)
        & (lat_a <= CHINA_MAX_LAT)
    )


def _offset_lat(x: Array, y: Array) -> Array:
    # x, y: degrees east of 105°E and north of 35°N.
    out = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    out += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    out += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return out


def _offset_lon(x: Array, y: Array) -> Array:
    out = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    out += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    out += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return out


def _gcj_delta(lon: Array, lat: Array) -> tuple[Array, Array]:
    """The GCJ-02 offset (degrees) to add to a WGS84 point; zero outside China."""
    x, y = lon - 105.0, lat - 35.0
    rad_lat = np.radians(lat)
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (
        _offset_lat(x, y)
        * 180.0
        / ((_KRASOVSKY_A_M * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    )
    dlon = _offset_lon(x, y) * 180.0 / (_KRASOVSKY_A_M / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS84 → GCJ-02 (degrees); unchanged outside China."""
    lon_a, lat_a = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → WGS84 (degrees) by fixed-point iteration; error < 1e-10° (sub-millimetre).

    A single subtraction of the offset (what most snippets do) is off by up to
    a few metres; iterating ``w ← w − (gcj(w) − g)`` converges in 3–5 steps.
    """
    g_lon, g_lat = _as_arrays(lon, lat)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        err_lon, err_lat = f_lon - g_lon, f_lat - g_lat
        w_lon -= err_lon
        w_lat -= err_lat
        if (
            float(np.max(np.abs(err_lon), initial=0.0)) < _INVERSE_TOL_DEG
            and float(np.max(np.abs(err_lat), initial=0.0)) < _INVERSE_TOL_DEG
        ):
            break
    return w_lon, w_lat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → BD-09 (degrees), Baidu's published closed form."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → GCJ-02 (degrees): the published approximate inverse, refined by iteration."""
    b_lon, b_lat = _as_arrays(lon, lat)
    x, y = b_lon - _BD_DLON, b_lat - _BD_DLAT
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    g_lon, g_lat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = gcj02_to_bd09(g_lon, g_lat)
        err_lon, err_lat = f_lon - b_lon, f_lat - b_lat
        g_lon -= err_lon
        g_lat -= err_lat
        if (
            float(np.max(np.abs(err_lon), initial=0.0)) < _INVERSE_TOL_DEG
            and float(np.max(np.abs(err_lat), initial=0.0)) < _INVERSE_TOL_DEG
        ):
            break
    return g_lon, g_lat


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS84 → BD-09 (degrees) via GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → WGS84 (degrees) via GCJ-02, both inverses iterated."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[Array, Array]:
    """Coordinates given in ``crs`` (wgs84, gcj02, bd09) as WGS84; raises ValueError for other names."""
    crs = check_crs(crs)
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84(lon, lat)
    return _as_arrays(lon, lat)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[Array, Array]:
    """WGS84 coordinates expressed in ``crs`` (wgs84, gcj02, bd09); raises ValueError for other names."""
    crs = check_crs(crs)
    if crs == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if crs == "bd09":
        return wgs84_to_bd09(lon, lat)
    return _as_arrays(lon, lat)


def point_to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """One point in ``crs`` as WGS84 floats (the common case for a query point)."""
    if crs == "wgs84":
        return float(lon), float(lat)
    out_lon, out_lat = to_wgs84(lon, lat, crs)
    return float(out_lon), float(out_lat)


def point_from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """One WGS84 point expressed in ``crs`` as floats."""
    if crs == "wgs84":
        return float(lon), float(lat)
    out_lon, out_lat = from_wgs84(lon, lat, crs)
    return float(out_lon), float(out_lat)


def check_crs(crs: str) -> str:
    """The normalised CRS name; ValueError naming the accepted ones otherwise."""
    name = crs.strip().lower().replace("-", "") if isinstance(crs, str) else crs
    if name not in CRS_NAMES:
        raise ValueError(f"unknown crs {crs!r}; use one of {', '.join(CRS_NAMES)}")
    return str(name)
