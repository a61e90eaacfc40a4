"""services/facilities/opening_hours.py: open now by weekly hours and a time zone (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.facilities.opening_hours import is_open, local_moment

HOURS = {"mon": [["08:00", "12:00"], ["14:00", "18:00"]], "sat": [["09:00", "24:00"]]}


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
        ("sat", "23:59", True),  # 24:00 closes at midnight
    ],
)
def test_is_open_hand_checked(weekday: str, hhmm: str, known: bool) -> None:
    assert is_open(HOURS, weekday, hhmm) is known


def test_unknown_hours_are_never_open() -> None:
    assert is_open(None, "mon", "10:00") is False
    assert is_open({}, "mon", "10:00") is False


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


def test_unknown_zone_is_named() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        local_moment(None, "Mars/Olympus")
