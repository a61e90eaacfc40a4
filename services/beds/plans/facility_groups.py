"""Which facility types count for which plan indicator, derived from the one type vocabulary.

Every type of ``services.facilities.vocabulary.FacilityType`` is classified once here
(a test fails when a new type is left out); every group the indicators use is
derived from that classification, never written as a second list of strings.

Why these groups:

* **institutional** (养老机构): nursing homes (养老机构), township homes (敬老院, the
  特困人员供养服务设施 registered as care institutions) and community-embedded homes
  (嵌入式养老机构, small institutions with residential beds). The plans' nursing-type
  share is "养老机构护理型床位占比": it counts these facilities' beds only.
* **community** (社区/居家): comprehensive centres (综合养老服务中心), community stations
  (养老服务站), day-care centres (日间照料中心) and meal points (助餐点): home and
  community care, counted in 养老服务床位 (care beds) but not in institutional shares.
* **rural** (农村互助): rural happiness homes (农村幸福院) and mutual-aid points
  (互助养老点): village-level mutual aid.
"""

from __future__ import annotations

from typing import Literal, get_args

from services.facilities.vocabulary import FacilityType

Group = Literal["institutional", "community", "rural"]

GROUP_OF: dict[FacilityType, Group] = {
    "nursing_home": "institutional",
    "township_home": "institutional",
    "embedded_home": "institutional",
    "care_center": "community",
    "community_station": "community",
    "day_care": "community",
    "meal_point": "community",
    "rural_happiness_home": "rural",
    "mutual_aid_point": "rural",
}
ALL_TYPES: tuple[FacilityType, ...] = get_args(FacilityType)


def types_in(*groups: Group) -> tuple[FacilityType, ...]:
    """The types of ``groups``, in vocabulary order.

    >>> types_in("rural")
    ('rural_happiness_home', 'mutual_aid_point')
    """
    return tuple(t for t in ALL_TYPES if GROUP_OF[t] in groups)


INSTITUTIONAL_TYPES = types_in("institutional")
HOME_COMMUNITY_TYPES = types_in("community", "rural")
# The units each coverage indicator looks for, named by role (each a subset of the vocabulary):
CENTER_TYPES: tuple[FacilityType, ...] = ("care_center",)  # 街道/乡镇综合养老服务中心
STATION_TYPES: tuple[FacilityType, ...] = tuple(
    t for t in types_in("community") if t != "meal_point"
)  # a centre, station or day-care centre gives a community its station services
VILLAGE_TYPES = types_in("rural")  # 互助养老点 and 农村幸福院
TOWNSHIP_HOME_TYPES: tuple[FacilityType, ...] = ("township_home",)  # 敬老院
EMBEDDED_TYPES: tuple[FacilityType, ...] = ("embedded_home",)
MUTUAL_AID_TYPES: tuple[FacilityType, ...] = ("mutual_aid_point",)
