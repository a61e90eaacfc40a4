"""Comparators as written and the least change that meets a target (oracle: brute-force search)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.beds.plans.comparators import (
    COMPARATORS,
    check_comparator,
    compare,
    count_gap,
    exact,
    share_gaps,
)

OPS = {
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "le": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
}


def smallest(ok, limit: int = 5000) -> int | None:  # type: ignore[no-untyped-def]
    return next((x for x in range(limit) if ok(x)), None)


def test_words_and_exact_decimals() -> None:
    assert COMPARATORS == ("gt", "ge", "le", "lt", "eq")
    assert compare(0.6, "gt", 0.6) is False and compare(0.6, "ge", 0.6) is True  # 超过 vs 不低于
    assert compare(0.55, "ge", 0.55) and exact(0.55) == Fraction(11, 20)
    assert compare(0.4, "le", 0.4) and not compare(0.4, "lt", 0.4)
    with pytest.raises(ValueError, match="comparator must be one of gt, ge, le, lt, eq"):
        check_comparator("gte")


@settings(deadline=None, max_examples=200)
@given(
    whole=st.integers(0, 300),
    part_frac=st.fractions(0, 1),
    pct=st.integers(0, 100),
    comparator=st.sampled_from(["gt", "ge", "le", "lt"]),
)
def test_share_gaps_are_least_sufficient(
    whole: int, part_frac: Fraction, pct: int, comparator: str
) -> None:
    part = int(whole * part_frac)
    t = Fraction(pct, 100)
    op = OPS[comparator]
    convert, add = share_gaps(part, whole, comparator, pct / 100)
    if comparator in ("gt", "ge"):  # move items into the part / add items inside it
        known_convert = smallest(
            lambda x: part + x <= whole and whole > 0 and op(Fraction(part + x, whole), t),
            whole + 2,
        )
        known_add = (
            None
            if t == 1
            else smallest(lambda x: whole + x > 0 and op(Fraction(part + x, whole + x), t))
        )
    else:  # move items out of the part / add items outside it
        known_convert = smallest(
            lambda x: x <= part and whole > 0 and op(Fraction(part - x, whole), t), part + 2
        )
        known_add = (
            None
            if t == 0
            else smallest(lambda x: whole + x > 0 and op(Fraction(part, whole + x), t))
        )
    if whole > 0:
        assert convert == known_convert, (part, whole, comparator, t)
    if whole > 0 and known_add is not None:
        assert add == known_add, (part, whole, comparator, t)


@settings(deadline=None, max_examples=100)
@given(
    value=st.integers(0, 500), threshold=st.integers(0, 500), comparator=st.sampled_from(list(OPS))
)
def test_count_gap_is_least_sufficient(value: int, threshold: int, comparator: str) -> None:
    gap = count_gap(value, comparator, threshold)
    sign = 1 if comparator in ("gt", "ge") else -1
    known = smallest(
        lambda x: value + sign * x >= 0 and OPS[comparator](value + sign * x, threshold), 1002
    )
    assert gap == known
