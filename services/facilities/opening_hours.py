"""Is a facility open at a given moment? Weekly hours evaluated in a named time zone (pure).

Hours are stored as ``{"mon": [["08:00", "18:00"], ["19:00", "21:00"]], …}`` in the
facility's local wall-clock time (validated by ``schemas.validate_opening_hours``:
open < close, ``24:00`` allowed as a closing time, no overnight spans). A missing
day means closed that day; ``None`` (hours unknown) is never reported as open,
so a user filtering on "open now" is not sent to a door that may be shut.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Asia/Shanghai"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ValueError naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as {DEFAULT_TZ}"
        ) from exc


def local_moment(at: datetime | None, tz_name: str) -> tuple[str, str]:
    """(weekday slug, "HH:MM") of ``at`` on the wall clock of ``tz_name``.

    Parameters
    ----------
    at
        The moment; naive values are read as wall-clock time in ``tz_name``,
        aware ones are converted to it. ``None`` means now.
    tz_name
        IANA zone of the facility's hours (China has one: ``Asia/Shanghai``).
    """
    tz = zone(tz_name)
    moment = (
        datetime.now(tz)
        if at is None
        else (at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz))
    )
    return WEEKDAYS[moment.weekday()], f"{moment.hour:02d}:{moment.minute:02d}"


def is_open(hours: dict[str, Any] | None, weekday: str, hhmm: str) -> bool:
    """True when a span of ``hours[weekday]`` contains ``hhmm`` (open inclusive, close exclusive).

    Zero-padded ``HH:MM`` strings compare like times, so no parsing is needed.
    """
    if not hours:
        return False
    return any(len(span) == 2 and span[0] <= hhmm < span[1] for span in hours.get(weekday) or ())
