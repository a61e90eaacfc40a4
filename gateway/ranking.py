"""Pure helpers of the nearby view: walking-time ranking, its straight-line fallback, open-now.

No HTTP here: lists of dicts in, new lists out (inputs are left unchanged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    value = int(hours) * 60 + int(minutes)
    if not 0 <= value <= 24 * 60:
        raise ValueError(f"time of day out of range: {text!r}")
    return value


def is_open(
    opening_hours: Mapping[str, Sequence[Sequence[str]]] | None, local: datetime
) -> bool | None:
    """Whether a facility is open at the local wall-clock time ``local``; None when hours are unknown.

    ``opening_hours`` is ``{"mon": [["08:00", "18:00"], …], …}``; an interval whose
    end is not after its start runs past midnight (``["20:00", "02:00"]``), so
    the previous day's intervals are checked too. Malformed hours give None.
    """
    if not opening_hours:
        return None
    try:
        now_min = local.hour * 60 + local.minute
        today = DAYS[local.weekday()]
        yesterday = DAYS[(local - timedelta(days=1)).weekday()]
        for start, end in opening_hours.get(today) or ():
            s, e = _minutes(start), _minutes(end)
            if (s < e and s <= now_min < e) or (e <= s and now_min >= s):
                return True
        for start, end in opening_hours.get(yesterday) or ():
            s, e = _minutes(start), _minutes(end)
            if e <= s and now_min < e:
                return True
        return False
    except (ValueError, TypeError, AttributeError):
        return None
