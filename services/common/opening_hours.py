"""Is a facility open at a given moment? Weekly hours read on a named time zone's wall clock (pure).

The one home of this rule (issue 14): the facilities service's nearby answers ``open_now``
with it and filters on it; the gateway passes that answer through.

Hours are ``{"mon": [["08:00", "18:00"], ["19:00", "21:00"]], …}`` in the facility's
local wall-clock time. A span whose close is before its open runs past midnight
(``"fri": [["20:00", "02:00"]]`` is open Saturday 01:30 too); ``24:00`` closes at
midnight. A day absent from known hours is closed that day. Hours that are not
known (``None`` or ``{}``) or cannot be read answer ``None``, never ``False``:
an app can then say "hours unknown" instead of "closed", and an ``open_now``
filter still leaves such places out (only ``True`` passes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Asia/Shanghai"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60

Hours = Mapping[str, Sequence[Sequence[str]]]


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

    >>> from datetime import UTC
    >>> local_moment(datetime(2026, 11, 25, 20, 0, tzinfo=UTC), "Asia/Shanghai")
    ('thu', '04:00')
    """
    tz = zone(tz_name)
    moment = (
        datetime.now(tz)
        if at is None
        else (at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz))
    )
    return WEEKDAYS[moment.weekday()], f"{moment.hour:02d}:{moment.minute:02d}"


def minute_of_day(hhmm: str) -> int:
    """``"HH:MM"`` (00:00–24:00) as minutes after midnight; ValueError otherwise.

    >>> minute_of_day("24:00")
    1440
    """
    hours, sep, minutes = hhmm.partition(":")
    if not (
        sep and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()
    ):
        raise ValueError(f"time of day must be HH:MM, got {hhmm!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"time of day out of range: {hhmm!r}")
    return value


def is_open(hours: Hours | None, weekday: str, hhmm: str) -> bool | None:
    """Whether ``hours`` are open at ``hhmm`` on ``weekday``; None when unknown or unreadable.

    Opening minute open, closing minute closed. Today's spans count from their
    opening; yesterday's overnight spans (close before open) count until their close.

    >>> is_open({"fri": [["20:00", "02:00"]]}, "sat", "01:30")
    True
    >>> is_open(None, "mon", "10:00") is None
    True
    """
    if not hours:
        return None
    try:
        now = minute_of_day(hhmm)
        today = WEEKDAYS.index(weekday)
        for start, end in hours.get(weekday) or ():
            s, e = minute_of_day(start), minute_of_day(end)
            if s <= now < e or (e < s and now >= s):
                return True
        for start, end in hours.get(WEEKDAYS[today - 1]) or ():
            s, e = minute_of_day(start), minute_of_day(end)
            if e < s and now < e:
                return True
        return False
    except (ValueError, TypeError, AttributeError):
        return None


def is_open_at(hours: Hours | None, at: datetime | None, tz_name: str) -> bool | None:
    """:func:`is_open` at the moment ``at`` (None: now) on the wall clock of ``tz_name``."""
    weekday, hhmm = local_moment(at, tz_name)
    return is_open(hours, weekday, hhmm)
