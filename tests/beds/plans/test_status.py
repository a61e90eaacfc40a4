"""Status, gap in natural units and the projection (hand-computed, and against numpy's fit)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.beds.plans.definitions import BY_ID
from services.beds.plans.figures import Figure
from services.beds.plans.status import check, month_index, project


def test_no_data_is_not_failure() -> None:
    result = check(
        Figure(None, missing="no bed reports this month"), BY_ID["nursing_share"], "ge", 0.6
    )
    assert (result.status, result.gap) == ("no_data", None)


def test_gaps_in_natural_units() -> None:
    # 9 of 20 streets/towns have a centre; ≥ 60 % needs 12: 3 more streets.
    streets = check(Figure(0.45, 9, 20), BY_ID["street_center_coverage"], "ge", 0.6)
    assert (streets.status, streets.gap) == ("not_met", 3)
    # every village (全覆盖): 70 of 80 → 10 villages
    villages = check(Figure(70 / 80, 70, 80), BY_ID["village_mutual_aid_coverage"], "ge", 1.0)
    assert (villages.gap, villages.gap_if_added) == (10, None)
    # 11 town centres wanted, 8 registered: 3
    assert check(Figure(8, 8, None), BY_ID["town_centers"], "ge", 11).gap == 3
    # 39 per 1,000 of 250,000 elderly = 9,750 beds; 9,000 reported: 750 beds
    assert check(Figure(36.0, 9000, 250_000), BY_ID["beds_per_1000_elderly"], "ge", 39).gap == 750
    # one social worker per 1,000 of 120,000 elderly: 120 needed, 75 reported → 45
    assert (
        check(Figure(0.625, 75, 120_000), BY_ID["social_workers_per_1000_elderly"], "ge", 1).gap
        == 45
    )
    # 15-minute circle, people: 800.5 of 1,000 elderly covered, ≥ 90 % → 100 more (99.5 rounded up)
    assert (
        check(Figure(0.8005, 800.5, 1000.0), BY_ID["fifteen_minute_circle_share"], "ge", 0.9).gap
        == 100
    )
    # a bare reported share has no countable gap
    assert check(Figure(0.5), BY_ID["certified_staff_rate"], "ge", 0.9).gap is None
    # government-operated at most 40 %: 520 of 1,000 → move 120 beds, or add 300 others
    gov = check(Figure(0.52, 520, 1000), BY_ID["government_operated_share"], "le", 0.4)
    assert (gov.gap, gov.gap_if_added) == (120, 300)
    assert check(Figure(0.39, 39, 100), BY_ID["government_operated_share"], "le", 0.4).gap == 0


def test_projection_hand_computed_and_its_limits() -> None:
    rising = [("2025-01", 0.50), ("2025-02", 0.52), ("2025-03", 0.54)]
    p = project(rising, "2025-03", target_year=2025, comparator="ge", threshold=0.6, is_share=True)
    assert (
        round(p.projected, 6) == 0.72 and p.on_track is True and p.points == 3 and p.at == "2025-12"
    )
    too_short = project(
        rising[:2], "2025-02", target_year=2025, comparator="ge", threshold=0.6, is_share=True
    )
    assert (too_short.projected, too_short.on_track) == (None, None)
    past = project(
        rising, "2025-03", target_year=2022, comparator="ge", threshold=0.6, is_share=True
    )
    assert (past.projected, past.on_track) == (0.54, False)  # target year over: the current value
    falling = [(f"2024-{m:02d}", 0.30 - 0.05 * m) for m in range(1, 13)]
    clipped = project(
        falling, "2024-12", target_year=2026, comparator="ge", threshold=0.1, is_share=True
    )
    assert clipped.projected == 0.0  # a share is never projected below 0 %
    gaps = [("2025-01", 10.0), ("2025-02", None), ("2025-03", 14.0), ("2025-04", 16.0)]
    p = project(gaps, "2025-04", target_year=2025, comparator="ge", threshold=30, is_share=False)
    assert p.points == 3  # months without a value are skipped


@settings(deadline=None, max_examples=60)
@given(
    values=st.lists(st.floats(0, 1000, allow_nan=False), min_size=3, max_size=12),
    year=st.integers(2025, 2030),
)
def test_projection_equals_numpy_least_squares(values: list[float], year: int) -> None:
    periods = [f"2024-{m:02d}" for m in range(1, len(values) + 1)]
    series = list(zip(periods, values, strict=True))
    p = project(
        series, periods[-1], target_year=year, comparator="ge", threshold=500, is_share=False
    )
    x = np.array([month_index(q) for q in periods], dtype=float)
    slope, intercept = np.polyfit(x, np.array(values), 1)
    known = max(0.0, slope * month_index(f"{year}-12") + intercept)
    assert abs(p.projected - known) <= 1e-6 * max(1.0, abs(known))
