"""Distance ranking for nearby search: exact order, cursors, walking time, covering boxes (pure).

The database only proposes candidates (PostGIS KNN, SQLite R*Tree); the order a
user sees is decided here, on great-circle distance in meters from
``services.common.geo.haversine_m``, ties broken by facility id. A cursor holds
the last (distance, id) served, so a page never repeats or skips a facility even
when many sit at the same distance.
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from services.common.geo import EARTH_RADIUS_M, haversine_m

# Walking pace of an older adult: 1.0 m/s (3.6 km/h). Healthy adults walk at
# ~1.2–1.4 m/s; guidance for 15-minute care circles and elderly gait studies put
# older pedestrians near 1.0 m/s, so minutes are not optimistic for our users.
WALK_SPEED_MPS = 1.0
METERS_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180.0


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: its last (distance_m, id), how many were served so far,
    and for ``sort=rating`` its rating key (:func:`rating_key`)."""

    distance_m: float
    id: int
    served: int
    query_tag: str = ""
    rating_key: float = 0.0


def straight_line_minutes(distance_m: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """Minutes to walk the straight line at ``WALK_SPEED_MPS``, rounded to 0.1 min.

    A lower bound of the street walk, named for what it is: the gateway's ``walk_minutes``
    are along the street network.
    """
    return np.round(np.asarray(distance_m, dtype=np.float64) / WALK_SPEED_MPS / 60.0, 1)


def encode_cursor(cursor: Cursor) -> str:
    """Opaque URL-safe token; the distance and rating key are kept bit-exact (``float.hex``)."""
    raw = (
        f"{float(cursor.distance_m).hex()}|{cursor.id}|{cursor.served}|{cursor.query_tag}"
        f"|{float(cursor.rating_key).hex()}".encode()
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    """Inverse of :func:`encode_cursor`; ValueError on anything that is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        distance_hex, id_text, served_text, tag, key_hex = raw.split("|")
        cursor = Cursor(
            float.fromhex(distance_hex),
            int(id_text),
            int(served_text),
            tag,
            float.fromhex(key_hex),
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("cursor is not a nearby cursor from this API") from exc
    if not (
        math.isfinite(cursor.distance_m)
        and cursor.distance_m >= 0
        and cursor.served >= 0
        and not math.isnan(cursor.rating_key)
    ):
        raise ValueError("cursor is not a nearby cursor from this API")
    return cursor


def rating_key(stars: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sort key of ``sort=rating``: most stars first, unrated (NaN) last."""
    return np.where(np.isnan(stars), np.inf, -stars)


def page_order(
    ids: NDArray[np.int64],
    distances_m: NDArray[np.float64],
    stars: NDArray[np.float64],
    *,
    sort: str,
    after: Cursor | None,
) -> NDArray[np.intp]:
    """Indexes of a result set in page order, after the cursor's key.

    ``distance``: (distance, id). ``rating``: (rating key, distance, id) — most stars
    first, unrated last, ties nearest first. Keys compare exactly, so a page never
    repeats or skips a facility even when the set changed between pages.
    """
    if sort != "rating":
        return rank(ids, distances_m, after=after)
    keys = rating_key(stars)
    order: NDArray[np.intp] = np.lexsort((ids, distances_m, keys))
    if after is None:
        return order
    k, d, i = keys[order], distances_m[order], ids[order]
    a_k, a_d, a_i = after.rating_key, after.distance_m, after.id
    later: NDArray[np.bool_] = (k > a_k) | ((k == a_k) & ((d > a_d) | ((d == a_d) & (i > a_i))))
    kept: NDArray[np.intp] = order[later]
    return kept


def query_tag(*parts: object) -> str:
    """A short fingerprint of what defines a result list, so a cursor is only used with its own query."""
    return hashlib.blake2s(repr(parts).encode(), digest_size=6).hexdigest()


def rank(
    ids: NDArray[np.int64],
    distances_m: NDArray[np.float64],
    *,
    after: Cursor | None = None,
    within_m: float = math.inf,
) -> NDArray[np.intp]:
    """Indexes of candidates in (distance, id) order, keeping those after ``after`` and within ``within_m``.

    Parameters
    ----------
    ids, distances_m
        Candidate facility ids and their exact great-circle distances (meters).
    after
        The previous page's cursor; only candidates strictly after its (distance, id) stay.
    within_m
        Only candidates at most this far (meters) stay — the radius, or the
        distance up to which the candidate set is known to be complete.
    """
    keep = distances_m <= within_m
    if after is not None:
        keep &= (distances_m > after.distance_m) | (
            (distances_m == after.distance_m) & (ids > after.id)
        )
    index = np.flatnonzero(keep)
    order = np.lexsort((ids[index], distances_m[index]))
    return index[order]


def covering_box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lon, max_lon, min_lat, max_lat) in degrees containing every point within ``radius_m``.

    The longitude half-width uses the cosine of the box's most poleward latitude,
    so the box covers the whole circle; near a pole, or across the antimeridian,
    it falls back to every longitude. A 0.1 % margin absorbs rounding.
    """
    dlat = radius_m * 1.001 / METERS_PER_DEGREE_LAT + 1e-9
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        return -180.0, 180.0, max(min_lat, -90.0), min(max_lat, 90.0)
    cos_lat = math.cos(math.radians(max(abs(min_lat), abs(max_lat))))
    dlon = dlat / cos_lat
    if dlon >= 180.0 or lon - dlon < -180.0 or lon + dlon > 180.0:
        return -180.0, 180.0, min_lat, max_lat
    return lon - dlon, lon + dlon, min_lat, max_lat


def max_corner_distance_m(
    min_lon: float, min_lat: float, max_lon: float, max_lat: float
) -> tuple[float, float, float]:
    """(center lon, center lat, radius_m) of a circle containing a lon/lat box.

    On a sphere, the farthest point of a box from its center is a corner as long
    as the box spans at most 180° of longitude (distance grows with the
    longitude gap on every parallel and is unimodal along every meridian), so
    the largest corner distance bounds the whole box. ``inf`` for wider boxes.
    """
    if max_lon - min_lon > 180.0:
        return 0.0, 0.0, math.inf
    c_lon, c_lat = (min_lon + max_lon) / 2.0, (min_lat + max_lat) / 2.0
    corners_lon = np.array([min_lon, min_lon, max_lon, max_lon])
    corners_lat = np.array([min_lat, max_lat, min_lat, max_lat])
    radius_m = float(np.max(haversine_m(c_lon, c_lat, corners_lon, corners_lat)))
    return c_lon, c_lat, radius_m * 1.000001 + 1.0
