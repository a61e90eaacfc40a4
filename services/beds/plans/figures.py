"""One indicator's figure for one region: value, numerator, denominator, and why it may be missing (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """``value`` = ``numerator / denominator`` for shares (scaled for per-1,000 figures).

    ``value`` is ``None`` when there is nothing to measure; ``missing`` then says why in
    a few words ("no population", "no reports this month", "no coverage run", …).
    ``provenance`` names where the figure comes from (for reports).
    """

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    missing: str | None = None
    provenance: str | None = None


def share_figure(part: int | float, whole: int | float, *, missing: str) -> Figure:
    """``part / whole``; no value (``missing``) when ``whole`` is 0.

    >>> share_figure(3, 4, missing="none").value, share_figure(0, 0, missing="no units").missing
    (0.75, 'no units')
    """
    if whole < 0 or part < 0 or part > whole:
        raise ValueError(f"a share needs 0 <= part <= whole, got {part}/{whole}")
    if not whole:
        return Figure(None, part, whole, missing=missing)
    return Figure(part / whole, part, whole)


def count_figure(count: int | float) -> Figure:
    return Figure(count, count, None)


def scaled_figure(
    part: int | float, whole: int | float | None, per: int, *, missing: str
) -> Figure:
    """``part × per / whole`` (beds per 1,000 elderly); no value without a positive ``whole``."""
    if whole is None or whole <= 0:
        return Figure(None, part, whole, missing=missing)
    return Figure(part * per / whole, part, whole)
