"""Targets met or not, and the exact number of beds that closes each gap (oracle: brute-force search)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.beds.compliance import Target, evaluate, exact, is_met
from services.beds.indicators import BedTotals, indicators


def check(
    indicator: str, comparator: str, threshold: float, totals: BedTotals, elderly: int | None = None
):  # type: ignore[no-untyped-def]
    return evaluate(
        Target("350600000000", indicator, comparator, threshold),
        indicators(totals, elderly),
        totals,
    )


def institutional(total: int, nursing: int, **more: int) -> BedTotals:
    """Totals where every bed is in an institution (the beds the nursing share counts)."""
    return BedTotals(
        total_beds=total,
        nursing_beds=nursing,
        institutional_beds=total,
        institutional_nursing_beds=nursing,
        **more,
    )


def test_nursing_share_gap_hand_computed() -> None:
    # 1,000 beds, 388 nursing-type: 60 % needs 600, so 212 conversions; or x new ones with
    # (388 + x) / (1000 + x) >= 0.6  ->  x >= 212 / 0.4 = 530.
    observed = check("nursing_share", "ge", 0.60, institutional(1000, 388))
    assert (observed.met, observed.gap_beds, observed.gap_beds_if_added) == (False, 212, 530)
    assert "212 ordinary beds converted" in observed.message and "530 new" in observed.message


def test_threshold_is_read_as_the_decimal_written() -> None:
    # 0.55 * 1000 is 550.0000000000001 in floats; 550 nursing beds of 1,000 meet 55 %.
    assert exact(0.55) == Fraction(11, 20)
    observed = check("nursing_share", "ge", 0.55, institutional(1000, 550))
    assert observed.met is True and observed.gap_beds == 0
    assert is_met(0.55, "ge", 0.55) is True


def test_strictly_above_is_not_at_least() -> None:
    # Zhangzhou: "护理型床位占比超过60%": exactly 600 of 1,000 is not above 60 %; one conversion is.
    at = check("nursing_share", "gt", 0.60, institutional(1000, 600))
    assert (at.met, at.gap_beds, at.gap_beds_if_added) == (False, 1, 1)
    assert check("nursing_share", "ge", 0.60, institutional(1000, 600)).met is True
    # 388 of 1,000: 213 conversions (601 > 600), or 531 new nursing beds ((388+531)/(1531) > 0.6).
    below = check("nursing_share", "gt", 0.60, institutional(1000, 388))
    assert (below.gap_beds, below.gap_beds_if_added) == (213, 531)


def test_community_beds_are_not_in_the_nursing_share() -> None:
    # 100 institutional beds (60 nursing) and 50 beds of community centres (none nursing):
    # 养老机构护理型床位占比 = 60 / 100, not 60 / 150; total care beds stay 150.
    totals = BedTotals(
        total_beds=150, nursing_beds=60, institutional_beds=100, institutional_nursing_beds=60
    )
    values = indicators(totals, 5000)
    assert values["nursing_share"] == 0.6 and values["beds_per_1000_elderly"] == 30.0


def test_government_share_at_most_hand_computed() -> None:
    # 1,000 beds, 520 public-run; <= 40 %: move 120 to private operation, or add 300 non-government beds.
    observed = check(
        "government_operated_share", "le", 0.40, BedTotals(total_beds=1000, government_beds=520)
    )
    assert (observed.met, observed.gap_beds, observed.gap_beds_if_added) == (False, 120, 300)


def test_beds_per_thousand_and_total_beds_hand_computed() -> None:
    # 39 per 1,000 of 250,000 elderly = 9,750 beds; 9,000 reported -> 750 more.
    per_1000 = check("beds_per_1000_elderly", "ge", 39, BedTotals(total_beds=9000), elderly=250_000)
    assert (per_1000.met, per_1000.gap_beds, per_1000.value) == (False, 750, 36.0)
    total = check("total_beds", "ge", 7000, BedTotals(total_beds=6543))
    assert (total.met, total.gap_beds) == (False, 457)


def test_central_homes_gap_comes_from_the_per_home_sum() -> None:
    totals = BedTotals(
        total_beds=90,
        nursing_beds=60,
        central_homes=2,
        central_homes_meeting_70=1,
        central_homes_gap_beds=8,
    )
    observed = check("central_homes_nursing_70_share", "ge", 1.0, totals)
    assert (observed.met, observed.value, observed.gap_beds) == (False, 0.5, 8)


def test_no_reported_beds_is_no_data_not_a_failure() -> None:
    observed = check("nursing_share", "ge", 0.6, BedTotals(total_beds=20))  # community beds only
    assert observed.met is None and observed.gap_beds is None and "no data" in observed.message
    no_elderly = check("beds_per_1000_elderly", "ge", 39, BedTotals(total_beds=10), elderly=None)
    assert no_elderly.met is None


def _smallest(ok, limit: int = 100_000) -> int:  # type: ignore[no-untyped-def]
    """The least x >= 0 with ok(x): the oracle every gap is checked against."""
    for x in range(limit):
        if ok(x):
            return x
    raise AssertionError("no x found")


@settings(deadline=None, max_examples=150)  # shared CI machine: no per-example deadline
@given(total=st.integers(1, 400), part_frac=st.floats(0, 1), pct=st.integers(1, 99))
def test_share_gaps_are_the_least_sufficient_numbers(
    total: int, part_frac: float, pct: int
) -> None:
    part = int(total * part_frac)
    t = Fraction(pct, 100)
    threshold = pct / 100
    raise_check = check("nursing_share", "ge", threshold, institutional(total, part))
    assert raise_check.gap_beds == _smallest(lambda x: Fraction(part + x, total) >= t)
    assert raise_check.gap_beds_if_added == _smallest(lambda x: Fraction(part + x, total + x) >= t)
    above = check("nursing_share", "gt", threshold, institutional(total, part))
    if above.gap_beds is not None:
        assert above.gap_beds == _smallest(lambda x: Fraction(part + x, total) > t)
    else:  # not enough ordinary beds left to convert
        assert Fraction(total, total) <= t or all(
            Fraction(part + x, total) <= t for x in range(total - part + 1)
        )
    assert above.gap_beds_if_added == _smallest(lambda x: Fraction(part + x, total + x) > t)
    lower = check(
        "government_operated_share",
        "le",
        threshold,
        BedTotals(total_beds=total, government_beds=part),
    )
    assert lower.gap_beds == _smallest(lambda x: Fraction(max(part - x, 0), total) <= t)
    assert lower.gap_beds_if_added == _smallest(lambda x: Fraction(part, total + x) <= t)
    assert raise_check.met == (Fraction(part, total) >= t)
    assert lower.met == (Fraction(part, total) <= t)


@settings(deadline=None, max_examples=150)  # shared CI machine: no per-example deadline
@given(total=st.integers(0, 5000), elderly=st.integers(1, 200_000), per_1000=st.integers(1, 60))
def test_beds_per_thousand_gap_is_least_sufficient(total: int, elderly: int, per_1000: int) -> None:
    observed = check(
        "beds_per_1000_elderly", "ge", per_1000, BedTotals(total_beds=total), elderly=elderly
    )
    assert observed.gap_beds == _smallest(
        lambda x: Fraction((total + x) * 1000, elderly) >= per_1000, 20_000
    )


def test_unknown_comparator_is_refused() -> None:
    with pytest.raises(ValueError, match="comparator"):
        is_met(0.5, "gte", 0.4)
