"""Region rollups of coverage figures: deepest rows only, shares from sums (known/observed)."""

from __future__ import annotations

import pytest

from services.coverage.rollup import deepest_rows, rollup


def row(
    code: str, elderly: float, covered: float, points: int, share_count: float
) -> dict[str, object]:
    return {
        "region_code": code,
        "elderly": elderly,
        "covered_elderly": covered,
        "demand_points": points,
        "covered_share_by_count": share_count,
    }


def test_street_rows_are_dropped_when_their_communities_are_present() -> None:
    rows = [
        row("350203001000", 100, 40, 4, 0.5),  # street = sum of its two communities below
        row("350203001001", 60, 40, 2, 1.0),
        row("350203001002", 40, 0, 2, 0.0),
        row("350203002000", 50, 50, 1, 1.0),  # a street without community rows
    ]
    assert [r["region_code"] for r in deepest_rows(rows)] == [
        "350203001001",
        "350203001002",
        "350203002000",
    ]
    observed = rollup(rows)
    # Worked by hand: elderly 60 + 40 + 50 = 150, covered 40 + 0 + 50 = 90;
    # points 2 + 2 + 1 = 5, covered points 2 + 0 + 1 = 3.
    assert observed["elderly"] == 150
    assert observed["covered_elderly"] == 90
    assert observed["covered_share_by_elderly"] == pytest.approx(90 / 150)
    assert observed["covered_share_by_count"] == pytest.approx(3 / 5)


def test_empty_figures_have_no_shares() -> None:
    observed = rollup([row("350203001001", 0, 0, 0, 0.0)])
    assert observed["covered_share_by_elderly"] is None
    assert observed["covered_share_by_count"] is None
