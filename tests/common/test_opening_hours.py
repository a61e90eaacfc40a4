"""services/common/opening_hours.py: open now by weekly hours, overnight spans, unknown hours (pure).

Checked by hand and against a brute-force oracle that paints every minute of the week.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.opening_hours import (
    MINUTES_PER_DAY,
    WEEKDAYS,
    is_open,
    is_open_at,
    local_moment,
)

HOURS = {
    "mon": [["08:00", "12:00"], ["14:00", "18:00"]],
    "fri": [["20:00", "02:00"]],
    "sat": [["09:00", "24:00"]],
    "sun": [["22:00", "06:00"]],
}


@pytest.mark.parametrize(
    ("weekday", "hhmm", "known"),
    [
        ("mon", "07:59", False),
        ("mon", "08:00", True),  # opening minute is open
        ("mon", "11:59", True),
        ("mon", "12:00", False),  # closing minute is closed
        ("mon", "13:00", False),  # lunch break
        ("mon", "14:30", True),
        ("tue", "10:00", False),  # day absent = closed
        ("fri", "23:00", True),  # Friday night
        ("sat", "01:30", True),  # after midnight, still Friday's span
        ("sat", "02:00", False),  # Friday's span closed at 02:00
        ("sat", "23:59", True),  # 24:00 closes at midnight
        ("sun", "00:00", False),  # ... so Sunday starts closed
        ("mon", "05:59", True),  # Sunday's overnight span wraps into Monday
        ("mon", "06:00", False),
    ],
)
def test_is_open_hand_checked(weekday: str, hhmm: str, known: bool) -> None:
    assert is_open(HOURS, weekday, hhmm) is known


@pytest.mark.parametrize(
    "hours",
    [None, {}, {"mon": [["8am", "5pm"]]}, {"mon": [["08:00", "25:00"]]}, {"mon": [["08:00"]]}],
)
def test_unknown_or_unreadable_hours_are_unknown_not_closed(hours: Any) -> None:
    assert is_open(hours, "mon", "10:00") is None


def test_local_moment_converts_aware_times_and_reads_naive_ones_in_the_zone() -> None:
    # 2026-11-25 is a Wednesday; 02:30 UTC is 10:30 in Beijing time (UTC+8, no DST).
    assert local_moment(datetime(2026, 11, 25, 2, 30, tzinfo=UTC), "Asia/Shanghai") == (
        "wed",
        "10:30",
    )
    assert local_moment(datetime(2026, 11, 25, 2, 30), "Asia/Shanghai") == ("wed", "02:30")
    # 20:00 UTC on Wednesday is already Thursday 04:00 in Beijing
    assert local_moment(datetime(2026, 11, 25, 20, 0, tzinfo=UTC), "Asia/Shanghai") == (
        "thu",
        "04:00",
    )
    # Friday 18:00 UTC is Saturday 02:00 in Beijing: Friday's overnight span just closed.
    assert is_open_at(HOURS, datetime(2026, 11, 27, 17, 59, tzinfo=UTC), "Asia/Shanghai") is True
    assert is_open_at(HOURS, datetime(2026, 11, 27, 18, 0, tzinfo=UTC), "Asia/Shanghai") is False


def test_unknown_zone_is_named() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        local_moment(None, "Mars/Olympus")


# --- the oracle: paint each minute of the week ---------------------------------------------

WEEK = 7 * MINUTES_PER_DAY


def painted_week(hours: dict[str, list[list[str]]]) -> list[bool]:
    """Every minute of the week, open or not, by painting each span minute by minute."""
    week = [False] * WEEK
    for day, spans in hours.items():
        base = WEEKDAYS.index(day) * MINUTES_PER_DAY
        for start, end in spans:
            s = int(start[:2]) * 60 + int(start[3:])
            e = int(end[:2]) * 60 + int(end[3:])
            length = e - s if e > s else MINUTES_PER_DAY - s + e
            for minute in range(base + s, base + s + length):
                week[minute % WEEK] = True
    return week


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


spans = st.tuples(st.integers(0, MINUTES_PER_DAY - 1), st.integers(0, MINUTES_PER_DAY)).filter(
    lambda span: span[0] != span[1]
)
week_hours = st.dictionaries(
    st.sampled_from(WEEKDAYS),
    st.lists(spans, max_size=3).map(lambda xs: [[_hhmm(s), _hhmm(e)] for s, e in xs]),
    min_size=1,
)


@settings(max_examples=60, deadline=None)
@given(hours=week_hours)
def test_is_open_matches_the_painted_week_at_every_minute(hours: dict[str, Any]) -> None:
    known = painted_week(hours)
    for minute in range(WEEK):
        day, of_day = divmod(minute, MINUTES_PER_DAY)
        observed = is_open(hours, WEEKDAYS[day], _hhmm(of_day))
        assert observed is known[minute], (WEEKDAYS[day], _hhmm(of_day))
