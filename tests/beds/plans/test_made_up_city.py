"""Every plan indicator of a made-up city, through the real services, against brute force."""

from __future__ import annotations

from services.beds.plans.assessment import indicator_list
from services.beds.plans.definitions import INDICATOR_IDS
from services.beds.plans.monitor import PlanMonitor
from tests.beds.plans.city import CITY, DISTRICTS, PROVINCE, City
from tests.beds.plans.conftest import close
from tests.beds.plans.oracle import Oracle

REGIONS = (
    PROVINCE,
    CITY,
    *DISTRICTS,
    "990101001000",  # 一街道 (subdistrict, has an elderly count)
    "990102002000",  # 二镇 (town)
    "990101001001",  # a community
    "990103004002",  # a community in a forest farm (no kind on the street)
)


def test_every_indicator_equals_brute_force(monitor: PlanMonitor, city: City) -> None:
    oracle = Oracle(city)
    seen_values: set[str] = set()
    for region in REGIONS:
        observed = {i["indicator"]: i for i in indicator_list(monitor, region, "2025-10")}
        assert list(observed) == list(INDICATOR_IDS)
        known = oracle.all(region, "2025-10")
        for indicator in INDICATOR_IDS:
            item, (value, numerator, denominator) = observed[indicator], known[indicator]
            assert close(item["value"], value), (region, indicator, item, known[indicator])
            if value is not None:
                seen_values.add(indicator)
                assert close(item["numerator"], numerator), (region, indicator, item)
                assert close(item["denominator"], denominator), (region, indicator, item)
    # Nothing compared only as "None == None": every indicator has a value somewhere, except
    # the rural one-hour circle (the made-up run is a 15-minute one).
    assert set(INDICATOR_IDS) - seen_values == {"rural_one_hour_circle_share"}


def test_a_month_without_reports_is_no_data(monitor: PlanMonitor) -> None:
    items = {i["indicator"]: i for i in indicator_list(monitor, CITY, "2025-08")}
    for indicator in ("total_beds", "nursing_share", "county_has_70pct_nursing_facility"):
        assert items[indicator]["value"] is None
    assert items["street_center_coverage"]["value"] is not None  # the registry has no months


def test_no_population_is_said_not_guessed(monitor: PlanMonitor) -> None:
    from services.beds.plans.assessment import indicator_items

    items, figures = indicator_items(monitor, "990103000000", "2025-10")  # no elderly count
    per_1000 = {i["indicator"]: i for i in items}["beds_per_1000_elderly"]
    assert per_1000["value"] is None and per_1000["numerator"] is not None  # beds were reported
    assert (figures["beds_per_1000_elderly"].missing or "").startswith("no population")
    street = indicator_items(monitor, "990102002000", "2025-10")[1]  # streets carry none
    assert street["social_workers_per_1000_elderly"].value is None


def test_children_and_series_equal_brute_force(monitor: PlanMonitor, city: City) -> None:
    """The batched paths (children in one GROUP BY, months in one) against the same oracle."""
    oracle = Oracle(city)
    for parent in (CITY, DISTRICTS[0]):
        ctx = monitor.context(parent)
        children = monitor.child_figures(ctx, "2025-10")
        assert set(children) == {c.code for c in ctx.children}
        for child, figures in children.items():
            known = oracle.all(child, "2025-10")
            for indicator in INDICATOR_IDS:
                assert close(figures[indicator].value, known[indicator][0]), (child, indicator)
    ctx = monitor.context(CITY)
    series = monitor.series_between(ctx, "2025-08", "2025-10")
    for indicator in (
        "total_beds",
        "nursing_share",
        "county_has_70pct_nursing_facility",
        "destitute_centralized_care_rate",
    ):
        for period, value in series[indicator]:
            assert close(value, oracle.all(CITY, period)[indicator][0]), (indicator, period)


def test_a_month_close_feeds_registry_series(monitor: PlanMonitor, city: City) -> None:
    """The registry keeps no history: a closed month keeps its figures for series and projections."""
    kept = monitor.record(CITY, "2025-09")
    known = Oracle(city).registry(CITY)["street_center_coverage"][0]
    assert close(kept["street_center_coverage"].value, known)
    assert "total_beds" not in kept  # bed figures have their own months
    ctx = monitor.context(CITY)
    series = dict(monitor.series_between(ctx, "2025-08", "2025-10")["street_center_coverage"])
    assert series["2025-08"] is None and close(series["2025-09"], known)
    assert series["2025-10"] is None  # not closed yet (a live figure is used for the asked month)
    monitor.record(CITY, "2025-09")  # closing again replaces, never duplicates
    assert dict(monitor.series_between(ctx, "2025-09", "2025-09")["street_center_coverage"])
