"""Indicator math on summed figures: a hand-computed example and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.beds.indicators import BedTotals, indicators, per_thousand, share


def test_hand_computed_indicators() -> None:
    # 200 beds: 120 nursing, 30 dementia, 155 occupied; 140 private, 50 public-run, 10 unknown;
    # 100,000 residents aged 60+; 2 central homes of which 1 has >= 70 % nursing beds;
    # 150 of the beds (90 nursing) are in institutions, 50 (30 nursing) in community centres.
    totals = BedTotals(
        facilities=4,
        total_beds=200,
        nursing_beds=120,
        institutional_beds=150,
        institutional_nursing_beds=90,
        dementia_beds=30,
        occupied_beds=155,
        private_beds=140,
        government_beds=50,
        unknown_mode_beds=10,
        family_beds=12,
        central_homes=2,
        central_homes_meeting_70=1,
        central_homes_gap_beds=8,
    )
    observed = indicators(totals, 100_000)
    known = {
        "nursing_share": 0.6,
        "dementia_share": 0.15,
        "occupancy_rate": 0.775,
        "private_operated_share": 0.7,
        "government_operated_share": 0.25,
        "beds_per_1000_elderly": 2.0,
        "beds_per_1000_elderly_incl_family": 2.12,
        "central_homes_nursing_70_share": 0.5,
        "free_beds": 45,
    }
    for name, value in known.items():
        assert observed[name] == pytest.approx(value), name


def test_no_beds_means_no_share_rather_than_zero() -> None:
    observed = indicators(BedTotals(), None)
    assert observed["nursing_share"] is None
    assert observed["occupancy_rate"] is None
    assert observed["beds_per_1000_elderly"] is None
    assert per_thousand(10, 0) is None


def test_share_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        share(-1, 3)


@settings(deadline=None, max_examples=150)  # shared CI machine: no per-example deadline
@given(
    total=st.integers(0, 10_000),
    nursing_frac=st.floats(0, 1),
    private_frac=st.floats(0, 1),
    government_frac=st.floats(0, 1),
)
def test_shares_are_fractions_and_operation_modes_add_up(
    total: int, nursing_frac: float, private_frac: float, government_frac: float
) -> None:
    private = int(total * private_frac)
    government = int((total - private) * government_frac)
    totals = BedTotals(
        total_beds=total,
        nursing_beds=int(total * nursing_frac),
        institutional_beds=total,
        institutional_nursing_beds=int(total * nursing_frac),
        private_beds=private,
        government_beds=government,
        unknown_mode_beds=total - private - government,
    )
    observed = indicators(totals, 1000)
    for name in ("nursing_share", "private_operated_share", "government_operated_share"):
        assert observed[name] is None if total == 0 else 0 <= observed[name] <= 1
    if total:
        modes = (
            observed["private_operated_share"]
            + observed["government_operated_share"]
            + totals.unknown_mode_beds / total
        )
        assert modes == pytest.approx(1.0)
