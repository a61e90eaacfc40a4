"""Pure helpers of the nearby view: walking-time ranking, its straight-line fallback, and exact
paging in walking order (open-now is the facilities service's answer: services/common/opening_hours.py).

No HTTP here: lists of dicts in, new lists out (inputs are left unchanged).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any


def rank_by_walk(
    stations: Sequence[Mapping[str, Any]], walk: Mapping[int, Mapping[str, Any]], k: int
) -> list[dict[str, Any]]:
    """The ``k`` stations with the fewest walking minutes along the street network.

    Parameters
    ----------
    stations
        Facilities with ``id`` and straight-line ``distance_m`` (metres).
    walk
        ``id`` → ``{"walk_minutes": float | None, "network_distance_m": float | None}`` from the
        coverage service; ``None`` minutes mean unreachable on the network.
    k
        How many to keep.

    Stations unreachable on the network, or missing from ``walk``, go last, in
    straight-line order; ties in minutes are broken by straight-line distance.
    """
    out = []
    for station in stations:
        row = dict(station)
        times = walk.get(int(station["id"]), {})
        row["walk_minutes"] = times.get("walk_minutes")
        row["network_distance_m"] = times.get("network_distance_m")
        out.append(row)
    out.sort(
        key=lambda r: (
            r["walk_minutes"] is None,
            r["walk_minutes"] or 0.0,
            r.get("distance_m") or 0.0,
        )
    )
    return out[:k]


def rank_by_distance(stations: Sequence[Mapping[str, Any]], k: int) -> list[dict[str, Any]]:
    """The fallback when walking times are unavailable: straight-line order, minutes unknown."""
    out = [{**s, "walk_minutes": None, "network_distance_m": None} for s in stations]
    out.sort(key=lambda r: r.get("distance_m") or 0.0)
    return out[:k]


# --- Paging the walking order exactly --------------------------------------------------------
#
# The facilities service hands out stations nearest first (great circle); walking along the
# street network is never shorter than the straight line, so a station not fetched yet — at
# least as far as the farthest fetched — needs at least ``farthest / speed`` minutes. A page
# whose last station beats that is final; otherwise more candidates are fetched.

#: The pace both services assume (ADR 0102; the facilities service's straight-line minutes).
WALK_SPEED_MPS = 1.0
#: Room for the services measuring metres differently (projected network vs great circle).
BOUND_SLACK = 0.99

WalkKey = tuple[float, float, int]


def walk_key(row: Mapping[str, Any]) -> WalkKey:
    """Walking minutes (unreachable: last), then straight-line metres, then id."""
    minutes = row.get("walk_minutes")
    return (
        math.inf if minutes is None else float(minutes),
        float(row.get("distance_m") or 0.0),
        int(row["id"]),
    )


def least_walk_minutes(distance_m: float, speed_mps: float = WALK_SPEED_MPS) -> float:
    """A lower bound of the walking minutes to any station ``distance_m`` or farther away."""
    return distance_m / speed_mps / 60.0 * BOUND_SLACK


def walk_page(
    candidates: Sequence[Mapping[str, Any]],
    after: WalkKey | None,
    limit: int,
    farthest_m: float | None,
) -> tuple[list[dict[str, Any]], bool]:
    """The next ``limit`` candidates in walking order after ``after``, and whether that page is
    final (no station still unfetched could belong on it).

    Parameters
    ----------
    candidates
        Stations with ``walk_minutes`` (None: unreachable), ``distance_m`` and ``id``: every
        station of the result set up to the farthest fetched (the facilities' order).
    after
        The key of the previous page's last station; None for the first page.
    farthest_m
        Straight-line metres of the farthest candidate, or None when every station of the
        result set is among ``candidates``.
    """
    ordered = sorted(candidates, key=walk_key)
    rest = [dict(r) for r in ordered if after is None or walk_key(r) > after]
    page = rest[:limit]
    if farthest_m is None:
        return page, True
    last = page[-1]["walk_minutes"] if len(page) == limit else None
    return page, last is not None and last <= least_walk_minutes(farthest_m)


def encode_cursor(state: Mapping[str, Any]) -> str:
    """An opaque cursor (URL-safe base64 of compact JSON)."""
    raw = json.dumps(state, separators=(",", ":"), allow_nan=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> dict[str, Any]:
    """The state of :func:`encode_cursor`; ValueError when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("cursor is not a next_cursor of this API") from exc
    if not isinstance(state, dict):
        raise ValueError("cursor is not a next_cursor of this API")
    return state
