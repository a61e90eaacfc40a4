"""A region against one target: met / not met / no data, the gap in natural units, the projection (pure).

No data is not failure: an indicator without a value (no reports this month, no
population, no coverage run) is ``no_data``. The gap is the least whole number of
things — beds, streets, communities, villages, people, facilities — that meets the
target (:mod:`comparators`). Bed shares have two gaps: beds to convert, or new beds.

**Projection.** From the indicator's monthly series: the ordinary least-squares line
through the values of the last 12 months up to the period (at least 3 values, months
without a value skipped), read at December of the target year; shares are kept within
0–100 %, counts at 0 or more. When the period is already at or past that December the
projection is the current value. On track = the projected value meets the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from services.beds.plans.comparators import (
    RAISES,
    count_gap,
    exact,
    is_met,
    least_over,
    share_gaps,
)
from services.beds.plans.definitions import Definition
from services.beds.plans.figures import Figure

Status = Literal["met", "not_met", "no_data"]
WINDOW_MONTHS = 12
MIN_POINTS = 3
METHOD = (
    "least-squares line through the monthly values of the last 12 months (at least 3), "
    "read at December of the target year"
)


@dataclass(frozen=True)
class Check:
    """How a figure stands against a target; ``gap`` in the definition's ``gap_unit``."""

    status: Status
    gap: int | None
    gap_if_added: int | None = None


def status_of(met: bool | None) -> Status:
    return "no_data" if met is None else ("met" if met else "not_met")


def check(figure: Figure, definition: Definition, comparator: str, threshold: float) -> Check:
    """Status and gap of ``figure`` against ``comparator threshold``.

    Shares with counted parts close by moving whole items (``gap``) or adding new ones
    (``gap_if_added``); counts by adding or removing; per-1,000/per-100 figures by adding
    to the numerator (beds, social workers) at the same denominator.
    """
    met = is_met(figure.value, comparator, threshold)
    status = status_of(met)
    if met is None:
        return Check(status, None)
    if met:
        return Check(status, 0, 0 if definition.is_share and figure.denominator else None)
    num, den = figure.numerator, figure.denominator
    if definition.is_share and num is not None and den:
        convert, add = share_gaps(num, den, comparator, threshold)
        return Check(status, convert, add)
    if definition.unit in ("count", "beds", "yuan_100m") and figure.value is not None:
        return Check(status, count_gap(figure.value, comparator, threshold))
    if definition.unit in ("per_1000", "per_100") and num is not None and den:
        per = 1000 if definition.unit == "per_1000" else 100
        wanted = exact(threshold) * exact(den) / per
        if comparator in RAISES:
            return Check(status, least_over(wanted - exact(num), comparator == "gt"))
        return Check(status, least_over(exact(num) - wanted, comparator == "lt"))
    return Check(status, None)


@dataclass(frozen=True)
class Projection:
    """Where the indicator's trend puts it in December of the target year."""

    at: str
    points: int
    projected: float | None
    on_track: bool | None
    method: str = METHOD


def month_index(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def project(
    series: Sequence[tuple[str, float | None]],
    period: str,
    *,
    target_year: int,
    comparator: str,
    threshold: float,
    is_share: bool,
) -> Projection:
    """The projection of ``series`` (``(YYYY-MM, value)``) from ``period`` to December of ``target_year``.

    >>> p = project([("2025-01", 0.50), ("2025-02", 0.52), ("2025-03", 0.54)], "2025-03",
    ...             target_year=2025, comparator="ge", threshold=0.6, is_share=True)
    >>> round(p.projected, 2), p.on_track
    (0.72, True)
    """
    end = f"{target_year:04d}-12"
    now = month_index(period)
    points = [
        (month_index(p), float(v))
        for p, v in series
        if v is not None and now - WINDOW_MONTHS < month_index(p) <= now
    ]
    if period >= end:
        current = next((v for x, v in sorted(points, reverse=True) if x == now), None)
        return Projection(
            end,
            len(points),
            current,
            is_met(current, comparator, threshold) if current is not None else None,
        )
    if len(points) < MIN_POINTS:
        return Projection(end, len(points), None, None)
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx if sxx else 0.0
    projected = mean_y + slope * (month_index(end) - mean_x)
    projected = min(max(projected, 0.0), 1.0) if is_share else max(projected, 0.0)
    return Projection(end, n, projected, bool(is_met(projected, comparator, threshold)))
