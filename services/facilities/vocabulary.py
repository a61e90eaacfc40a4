"""The facilities service's vocabularies, each written once (docs/contracts.md, "One home for each rule").

Each vocabulary is one ``Literal`` (what pydantic validates and mypy checks). The tuples, the
Chinese label tables, the SQLite R*Tree lanes (:mod:`services.facilities.rtree_lanes`) and their
SQL CASE are derived from it with :func:`typing.get_args`. CRS names live in
:mod:`services.facilities.crs` (``CrsName``), opening hours in their own module.

Adding a facility type
----------------------
1. Append the slug at the **end** of ``FacilityType`` and its Chinese name to
   ``_FACILITY_TYPE_LABELS`` (a missing label fails at import, an unknown key fails mypy).
   A slug's position is its R*Tree lane (ADR 0074): never reorder or remove one.
2. Add a facilities migration that rebuilds ``rtree_facilities`` with the new CASE, written
   out as text (copy ``2026_12_01_0005_nearby_by_type.py``; paste ``rtree_lanes.lane_sql``'s
   output). ``tests/facilities/test_rtree_lanes.py`` fails until the newest migration's CASE
   and this vocabulary agree.
3. Place it in one of the plan groups (``services/beds/plans/facility_groups.py``; its test fails
   until you do).

``SERVICES`` order is the bit order of ``facilities.services_mask`` (bit ``i`` set =
``SERVICES[i]`` offered), so never reorder ``ServiceSlug`` either: append new services at the end.

>>> FACILITY_TYPES["community_station"]
'社区养老服务站'
>>> SERVICES.index("meal"), STATUSES[-1]
(0, 'closed')
"""

from __future__ import annotations

from typing import Literal, get_args

FacilityType = Literal[
    "nursing_home",
    "care_center",
    "community_station",
    "day_care",
    "rural_happiness_home",
    "mutual_aid_point",
    "meal_point",
    "township_home",
    "embedded_home",
]
_FACILITY_TYPE_LABELS: dict[FacilityType, str] = {
    "nursing_home": "养老机构",
    "care_center": "街道/乡镇综合养老服务中心",
    "community_station": "社区养老服务站",
    "day_care": "日间照料中心",
    "rural_happiness_home": "农村幸福院",
    "mutual_aid_point": "互助养老点",
    "meal_point": "老年助餐点",
    "township_home": "敬老院",
    "embedded_home": "嵌入式养老机构",
}
FACILITY_TYPE_SLUGS: tuple[FacilityType, ...] = get_args(FacilityType)
#: slug → Chinese name, in the Literal's order (a type without a label is a KeyError at import).
FACILITY_TYPES: dict[str, str] = {slug: _FACILITY_TYPE_LABELS[slug] for slug in FACILITY_TYPE_SLUGS}

ServiceSlug = Literal[
    "meal",
    "bathing",
    "cleaning",
    "medical",
    "mobility",
    "emergency",
    "recreation",
    "day_care",
    "respite",
    "home_visits",
]
SERVICES: tuple[str, ...] = get_args(ServiceSlug)

OperationMode = Literal["public_run", "public_built_private_run", "private"]
_OPERATION_MODE_LABELS: dict[OperationMode, str] = {
    "public_run": "公办公营",
    "public_built_private_run": "公建民营",
    "private": "民办",
}
OPERATION_MODES: dict[str, str] = {
    mode: _OPERATION_MODE_LABELS[mode] for mode in get_args(OperationMode)
}

Status = Literal["planned", "active", "suspended", "closed"]
STATUSES: tuple[str, ...] = get_args(Status)

RegionLevel = Literal["province", "city", "district", "street", "community"]
REGION_LEVELS: tuple[str, ...] = get_args(RegionLevel)

# What a street-level or community-level unit is, from its official name (region_kinds.py):
# 街道 subdistrict, 镇 town, 乡 township; 社区/居委会 urban community, 村 village.
RegionKind = Literal["subdistrict", "town", "township", "urban_community", "village"]
REGION_KINDS: tuple[str, ...] = get_args(RegionKind)
