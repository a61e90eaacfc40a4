"""CRS constants and the small geodesy every service shares (WGS84 lon/lat in degrees)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

WGS84 = "EPSG:4326"
EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius, as used by PostGIS ST_DistanceSphere


def haversine_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle distance in meters on the mean-radius sphere (vectorised)."""
    lon1r, lat1r, lon2r, lat2r = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2)
    )
    dlat = lat2r - lat1r
    dlon = lon2r - lon1r
    a = np.sin(dlat / 2) ** 2 + np.cos(lat1r) * np.cos(lat2r) * np.sin(dlon / 2) ** 2
    return np.asarray(
        2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64
    )


def utm_epsg_for(lon: float, lat: float) -> int:
    """The WGS84 / UTM zone EPSG code containing a point: a metric CRS for local networks."""
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def require_same_crs(left: str, right: str) -> None:
    """Refuse to mix coordinates from two CRSs (the classic silent-wrong-answer bug)."""
    if left.upper() != right.upper():
        raise ValueError(f"CRS mismatch: {left} vs {right}; transform one side first")


def validate_lon_lat(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"lon must be within [-180, 180], got {lon}")
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"lat must be within [-90, 90], got {lat}")
