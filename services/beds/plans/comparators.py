"""Comparators as the plans write them, compared exactly, and the least change that meets them (pure).

The plans distinguish "超过 60%" (strictly above: ``gt``) from "60%以上", "不低于60%",
"达到60%" (at least: ``ge``) and "≤40%", "不超过40%" (at most: ``le``). Thresholds are
read as the decimals written (0.55 is 11/20, not the float 0.55000000000000004), so a
share of exactly 55 % meets "≥ 55 %" and does not meet "超过 55 %".

Gaps are the least whole number of things (beds, units, people) that meets the
target, found in closed form and checked against a brute-force search in the tests.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Literal, get_args

Comparator = Literal["gt", "ge", "le", "lt", "eq"]
COMPARATORS: tuple[Comparator, ...] = get_args(Comparator)
SYMBOLS: dict[Comparator, str] = {"gt": ">", "ge": "≥", "le": "≤", "lt": "<", "eq": "="}
RAISES: frozenset[Comparator] = frozenset({"gt", "ge"})  # met by raising the value


def exact(value: float | int | Fraction) -> Fraction:
    """The decimal a person wrote (0.55 → 11/20), not its binary float."""
    if isinstance(value, Fraction):
        return value
    return Fraction(Decimal(repr(value))) if isinstance(value, float) else Fraction(value)


def check_comparator(value: str) -> Comparator:
    """``value`` when it is a known comparator; ValueError naming the choices otherwise."""
    for comparator in COMPARATORS:
        if value == comparator:
            return comparator
    raise ValueError(f"comparator must be one of {', '.join(COMPARATORS)}, got {value!r}")


def compare(value: float | int | Fraction, comparator: str, threshold: float | int) -> bool:
    """``value comparator threshold``, exactly.

    >>> compare(0.6, "gt", 0.6), compare(0.6, "ge", 0.6), compare(0.39, "le", 0.4)
    (False, True, True)
    """
    observed, wanted = exact(value), exact(threshold)
    match check_comparator(comparator):
        case "gt":
            return observed > wanted
        case "ge":
            return observed >= wanted
        case "le":
            return observed <= wanted
        case "lt":
            return observed < wanted
        case _:
            return observed == wanted


def is_met(value: float | int | None, comparator: str, threshold: float | int) -> bool | None:
    """:func:`compare`, or ``None`` when there is no value (no data is not "not met")."""
    return None if value is None else compare(value, comparator, threshold)


def least_over(x: Fraction, strict: bool) -> int:
    """The least whole n ≥ 0 with n ≥ x (``strict``: n > x).

    >>> least_over(Fraction(3, 2), False), least_over(Fraction(2), True), least_over(Fraction(-1), True)
    (2, 3, 0)
    """
    if strict:
        return math.floor(x) + 1 if x >= 0 else 0
    return max(0, math.ceil(x))


def count_gap(value: float | int, comparator: str, threshold: float | int) -> int | None:
    """Whole units to add (``gt``/``ge``) or remove (``le``/``lt``) so a count meets the target."""
    v, t = exact(value), exact(threshold)
    match check_comparator(comparator):
        case "gt" | "ge":
            return least_over(t - v, comparator == "gt")
        case "le" | "lt":
            gap = least_over(v - t, comparator == "lt")
            return gap if gap <= v else None  # a count cannot go below zero
        case _:
            return None


def share_gaps(
    part: int | float, whole: int | float, comparator: str, threshold: float | int
) -> tuple[int | None, int | None]:
    """``(convert, add)`` for a share ``part / whole`` to meet ``comparator threshold``.

    ``convert``: items moved into (``gt``/``ge``) or out of (``le``/``lt``) the part, the
    whole unchanged (ordinary beds made nursing-type; streets given a centre).
    ``add``: new items added to the whole, inside the part (``gt``/``ge``) or outside it
    (``le``/``lt``); ``None`` when no number of additions can do it (a 100 % target).
    """
    t, p, w = exact(threshold), exact(part), exact(whole)
    comparator = check_comparator(comparator)
    if comparator == "eq" or w < 0 or p < 0:
        return None, None
    strict = comparator in ("gt", "lt")
    if comparator in RAISES:
        short = t * w - p
        convert = least_over(short, strict) if t < 1 or not strict else None
        if convert is not None and convert > w - p:
            convert = None  # not enough items outside the part to move in
        add = least_over(short / (1 - t), strict) if t < 1 else None
        return convert, add
    over = p - t * w
    convert = least_over(over, strict)
    if convert > p:
        convert = None
    add = least_over(p / t - w, strict) if t > 0 else None
    return convert, add
