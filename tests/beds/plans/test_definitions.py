"""The indicator vocabulary: every facility type classified once, every indicator defined and labelled."""

from __future__ import annotations

from typing import get_args

from services.beds.plans.definitions import BY_ID, DEFINITIONS, INDICATOR_IDS, REPORTED_IDS
from services.beds.plans.facility_groups import ALL_TYPES, GROUP_OF, INSTITUTIONAL_TYPES, types_in
from services.beds.plans.labels import MISSING_ZH, missing_text, number, target_text
from services.beds.plans.monitor import CIRCLES
from services.beds.plans.registry_figures import REGISTRY_IDS
from services.facilities.vocabulary import FacilityType

ISSUE_IDS = {
    "nursing_share",
    "beds_per_1000_elderly",
    "private_operated_share",
    "government_operated_share",
    "total_beds",
    "street_center_coverage",
    "community_station_coverage",
    "village_mutual_aid_coverage",
    "socialized_operation_rate",
    "center_led_station_rate",
    "county_has_70pct_nursing_facility",
}


def test_every_facility_type_is_in_exactly_one_group() -> None:
    assert set(GROUP_OF) == set(get_args(FacilityType)) == set(ALL_TYPES)
    assert INSTITUTIONAL_TYPES == ("nursing_home", "township_home", "embedded_home")
    assert sorted(types_in("institutional", "community", "rural")) == sorted(ALL_TYPES)


def test_every_indicator_is_defined_once_with_both_languages() -> None:
    assert set(INDICATOR_IDS) >= ISSUE_IDS
    assert len(INDICATOR_IDS) == len(set(INDICATOR_IDS)) == len(DEFINITIONS)
    for d in DEFINITIONS:
        assert d.label_zh and d.label_en and d.definition_zh and d.definition_en, d.id
        assert d.gap_unit_zh and d.gap_unit_en, d.id
    computed = set(REGISTRY_IDS) | set(CIRCLES) | set(REPORTED_IDS)
    assert computed <= set(INDICATOR_IDS)
    assert all(BY_ID[i].source == "registry" for i in REGISTRY_IDS)


def test_numbers_as_a_report_shows_them() -> None:
    assert number(0.571331, "share") == "57.1%" and number(0.6, "share") == "60%"
    assert number(26552, "beds") == "26,552" and number(29.2891, "per_1000") == "29.3"
    assert number(1.25, "yuan_100m") == "1.25 亿元" and number(None, "share") == "—"
    assert target_text("gt", 0.6, "超过", "share", "zh") == "> 60%（超过）"
    assert target_text("ge", 0.5909, None, "share", "en") == "≥ 59.09%"
    assert target_text("ge", 7000, "达到", "beds", "zh") == "≥ 7,000（达到）"


def test_every_missing_reason_reads_in_chinese() -> None:
    reasons = [
        "no bed reports this month",
        "no population: the region has no elderly (60+) count",
        "2 of 3 sub-regions reported",
        "3 of 11 county-level units reported",
        "coverage service unreachable (ConnectError)",
        "the latest coverage run is 60 minutes, not 15",
        "social workers not reported",
        "no streets/towns of this kind loaded here",
    ]
    for reason in reasons:
        assert missing_text(reason, "zh") != reason, reason
    assert missing_text("2 of 3 sub-regions reported", "zh") == "3个下级地区中2个已上报"
    assert len(MISSING_ZH) > 10


def test_docs_define_every_indicator() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "plans.md").read_text(encoding="utf-8")
    for indicator in INDICATOR_IDS:
        assert f"`{indicator}`" in docs, indicator
