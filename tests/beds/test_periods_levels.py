"""Periods (YYYY-MM, not in the future) and region level codes."""

from __future__ import annotations

from datetime import date

import pytest

from services.beds.levels import ancestor_codes, check_code, child_column, column_for, level_of
from services.beds.periods import parse_period, periods_between

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("text", "known"), [("2025-06", "2025-06"), (" 2024-12 ", "2024-12"), ("2000-01", "2000-01")]
)
def test_valid_periods(text: str, known: str) -> None:
    assert parse_period(text, today=TODAY) == known


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("2025-07", "future"),
        ("2025-13", "01–12"),
        ("2025-00", "01–12"),
        ("2025/06", "YYYY-MM"),
        ("1999-12", "2000"),
        ("25-06", "YYYY-MM"),
    ],
)
def test_bad_periods_say_why(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_period(text, today=TODAY)


def test_periods_between_crosses_years() -> None:
    assert periods_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert periods_between("2025-02", "2025-01") == []


def test_ancestor_codes_of_a_community() -> None:
    known = {
        "province_code": "350000000000",
        "city_code": "350600000000",
        "district_code": "350602000000",
        "street_code": "350602001000",
        "community_code": "350602001001",
    }
    assert ancestor_codes("350602001001") == known


def test_ancestor_codes_stop_at_the_codes_own_level() -> None:
    observed = ancestor_codes("350602000000")
    assert observed["district_code"] == "350602000000"
    assert observed["street_code"] is None and observed["community_code"] is None
    assert ancestor_codes(None) == {k: None for k in observed}


def test_levels_and_columns() -> None:
    assert level_of("500112000000") == "district"
    assert column_for("520200000000") == "city_code"
    assert child_column("350602000000") == "street_code"
    assert child_column("350602001001") is None
    # Registry children decide: Chongqing's districts hang straight under the municipality.
    assert child_column("500000000000", ["500112000000", "500101000000"]) == "district_code"


def test_check_code_pads_adcodes_and_refuses_junk() -> None:
    assert check_code("350600") == "350600000000"
    for bad in ("35060", "abc", "000000000000", "3506000000001"):
        with pytest.raises(ValueError, match="12-digit"):
            check_code(bad)
