"""Reported figures: every rule named, and how they add up over regions (hand-computed)."""

from __future__ import annotations

import pytest

from services.beds.plans.definitions import BY_ID
from services.beds.plans.reported import Reported, figure_errors, rollup

RATE = "destitute_centralized_care_rate"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"indicator": "nope", "value": 1, "source": "s"}, "indicator"),
        ({"indicator": RATE, "value": 60, "source": "s"}, "value"),  # 60 %, written as 60
        ({"indicator": RATE, "numerator": 5, "source": "s"}, "denominator"),
        ({"indicator": RATE, "numerator": 5, "denominator": 4, "source": "s"}, "numerator"),
        ({"indicator": RATE, "numerator": 2.5, "denominator": 4, "source": "s"}, "numerator"),
        ({"indicator": RATE, "numerator": 1, "denominator": 0, "source": "s"}, "denominator"),
        (
            {"indicator": RATE, "value": 0.9, "numerator": 1, "denominator": 2, "source": "s"},
            "value",
        ),
        ({"indicator": RATE, "value": -0.1, "source": "s"}, "value"),
        ({"indicator": RATE, "value": "abc", "source": "s"}, "value"),
        ({"indicator": RATE, "value": 0.5, "source": ""}, "source"),
        ({"indicator": "home_adaptations", "value": 2.5, "source": "s"}, "value"),
        ({"indicator": "home_adaptations", "value": 3, "numerator": 3, "source": "s"}, "numerator"),
        ({"indicator": "home_adaptations", "source": "s"}, "value"),
    ],
)
def test_each_broken_rule_is_named(values: dict[str, object], field: str) -> None:
    checked, errors = figure_errors(values)
    assert checked == {} and field in {f for f, _ in errors}, errors


def test_good_figures() -> None:
    checked, errors = figure_errors(
        {"indicator": RATE, "numerator": "30", "denominator": "40", "source": " 区民政局 "}
    )
    assert errors == [] and checked["value"] == 0.75 and checked["source"] == "区民政局"
    checked, errors = figure_errors(
        {"indicator": "elderly_care_industry_investment", "value": "1.25", "source": "s"}
    )
    assert errors == [] and checked["value"] == 1.25


def rows(*items: tuple[str, float, float | None, float | None]) -> dict[str, Reported]:
    return {
        code: Reported(code, "2025-10", RATE, value, num, den, f"src {code}")
        for code, value, num, den in items
    }


TREE = {
    "990100000000": ("990101000000", "990102000000"),
    "990101000000": ("990101001000", "990101002000"),
}


def kids(code: str) -> tuple[str, ...]:
    return TREE.get(code, ())


def test_rollup_own_report_wins_then_sums_when_every_child_reported() -> None:
    definition = BY_ID[RATE]
    own = rows(("990101000000", 0.5, 10, 20), ("990102000000", 0.8, 8, 10))
    city = rollup("990100000000", definition, own, kids)
    assert (city.value, city.numerator, city.denominator) == (18 / 30, 18, 30)
    # A district's own report wins over its streets' (no double counting).
    own |= rows(("990101001000", 1.0, 100, 100))
    assert rollup("990100000000", definition, own, kids).numerator == 18
    # One district silent: no figure for the city, and it says how many reported.
    partial = rollup("990100000000", definition, rows(("990101000000", 0.5, 10, 20)), kids)
    assert partial.value is None and partial.missing == "1 of 2 sub-regions reported"
    # The silent district's streets all reported: the district sums them.
    streets = rows(
        ("990101001000", 0.5, 1, 2), ("990101002000", 0.5, 3, 6), ("990102000000", 0.8, 8, 10)
    )
    assert rollup("990100000000", definition, streets, kids).denominator == 18
    # Bare shares cannot be added up.
    bare = rows(("990101000000", 0.5, None, None), ("990102000000", 0.8, None, None))
    assert "do not add up" in (rollup("990100000000", definition, bare, kids).missing or "")
    assert rollup("990100000000", definition, {}, kids).missing == "not reported"


def test_counts_add_up() -> None:
    definition = BY_ID["home_adaptations"]
    own = {
        c: Reported(c, "2025-10", "home_adaptations", v, None, None, "s")
        for c, v in (("990101000000", 12.0), ("990102000000", 30.0))
    }
    total = rollup("990100000000", definition, own, kids)
    assert (total.value, total.numerator, total.denominator) == (42.0, 42.0, None)
