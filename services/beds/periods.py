"""Reporting periods: calendar months written ``YYYY-MM`` (they sort as text on both engines)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

PERIOD_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 2000


def parse_period(value: str, *, today: date | None = None) -> str:
    """The canonical ``YYYY-MM`` of ``value``; raises ``ValueError`` saying what is wrong.

    A period may not lie after the current month (UTC): beds cannot be reported
    for a month that has not started.
    """
    match = PERIOD_PATTERN.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"period must be YYYY-MM, got {value!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"period month must be 01–12, got {value!r}")
    if year < FIRST_YEAR:
        raise ValueError(f"period must be {FIRST_YEAR}-01 or later, got {value!r}")
    today = today or datetime.now(UTC).date()
    if (year, month) > (today.year, today.month):
        raise ValueError(f"period {value} is in the future (current month is {today:%Y-%m})")
    return f"{year:04d}-{month:02d}"


def periods_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (both ``YYYY-MM``)."""
    year, month = int(first[:4]), int(first[5:])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out
