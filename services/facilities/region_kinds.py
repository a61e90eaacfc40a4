"""What a street-level or community-level unit is, read from its official name (pure).

NBS division names end in what the unit is: 街道 (subdistrict), 镇 (town), 乡
(township); 社区居民委员会 / 居委会 (an urban community's residents' committee) or
村民委员会 / 村委会 (a village committee). Anything else (farms, forest farms,
development zones and their 虚拟社区 "virtual communities", 生活区 living areas of
state farms) gets no kind: such units count in no denominator that needs a kind.
Suffixes are checked longest first, so 石龙社区村民委员会 is a village.
"""

from __future__ import annotations

from services.facilities.schemas import RegionKind

STREET_SUFFIXES: tuple[tuple[str, RegionKind], ...] = (
    ("街道办事处", "subdistrict"),
    ("街道", "subdistrict"),
    ("镇", "town"),
    ("乡", "township"),
)
COMMUNITY_SUFFIXES: tuple[tuple[str, RegionKind], ...] = (
    ("村民委员会", "village"),
    ("村委会", "village"),
    ("居民委员会", "urban_community"),
    ("居委会", "urban_community"),
    ("社区", "urban_community"),
)
VIRTUAL_MARK = "虚拟"  # 虚拟社区 / 虚拟生活区: statistical placeholders, not communities


def kind_from_name(name: str, level: str) -> RegionKind | None:
    """The kind of a street-level or community-level unit from its name; None elsewhere.

    >>> kind_from_name("鸿山社区居委会", "community"), kind_from_name("石龙社区村民委员会", "community")
    ('urban_community', 'village')
    >>> kind_from_name("厦港街道", "street"), kind_from_name("天竺山林场", "street") is None
    ('subdistrict', True)
    >>> kind_from_name("火炬高技术开发园虚拟社区", "community") is None
    True
    """
    name = name.strip()
    if level == "street":
        suffixes = STREET_SUFFIXES
    elif level == "community":
        if VIRTUAL_MARK in name:
            return None
        suffixes = COMMUNITY_SUFFIXES
    else:
        return None
    for suffix, kind in suffixes:
        if name.endswith(suffix):
            return kind
    return None
