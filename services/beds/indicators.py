"""Plan indicators of one region from its summed bed figures (pure; no SQL, no HTTP).

The sums come from one SQL ``GROUP BY`` (:mod:`services.beds.repository`); this
module turns them into shares and rates. Shares are fractions in [0, 1] and are
``None`` when their denominator is zero (no beds reported: nothing to share).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

PRIVATE_MODES = (
    "public_built_private_run",
    "private",
)  # 公建民营 + 民办 = privately operated (民营)
GOVERNMENT_MODES = ("public_run",)  # 公办公营 only
CENTRAL_HOME_TYPES = ("township_home",)  # 敬老院, incl. each county's central township home
# "≥ 70 % nursing beds": exact, so SQL compares integers (nursing·10 ≥ total·7).
CENTRAL_HOME_NURSING_SHARE = Fraction(7, 10)

INDICATORS = (
    "total_beds",
    "nursing_beds",
    "dementia_beds",
    "occupied_beds",
    "family_beds",
    "nursing_share",
    "dementia_share",
    "beds_per_1000_elderly",
    "private_operated_share",
    "government_operated_share",
    "occupancy_rate",
    "central_homes_nursing_70_share",
)


@dataclass(frozen=True)
class BedTotals:
    """Sums over the current reports of one region and period (beds are counts)."""

    facilities: int = 0
    total_beds: int = 0
    nursing_beds: int = 0
    # Beds of institutions (养老机构: plans.facility_groups.INSTITUTIONAL_TYPES) and their nursing-type beds.
    institutional_beds: int = 0
    institutional_nursing_beds: int = 0
    dementia_beds: int = 0
    occupied_beds: int = 0
    private_beds: int = 0
    government_beds: int = 0
    unknown_mode_beds: int = 0
    family_beds: int = 0
    central_homes: int = 0
    central_homes_meeting_70: int = 0
    central_homes_gap_beds: int = 0


def share(part: int, whole: int) -> float | None:
    """``part / whole`` as a fraction, or ``None`` when ``whole`` is 0.

    >>> share(3, 4)
    0.75
    >>> share(0, 0) is None
    True
    """
    if whole < 0 or part < 0:
        raise ValueError(f"counts must be non-negative, got {part}/{whole}")
    return part / whole if whole else None


def per_thousand(beds: int, people: int | None) -> float | None:
    """Beds per 1,000 people; ``None`` without a (positive) population."""
    if people is None or people <= 0:
        return None
    return beds * 1000 / people


def indicators(totals: BedTotals, elderly_60plus: int | None) -> dict[str, Any]:
    """Every indicator of one region.

    Parameters
    ----------
    totals
        Summed figures of the region's current reports for one period.
    elderly_60plus
        Residents aged 60 and over in the region (registry figure), or ``None``.

    Returns
    -------
    dict
        The sums, the shares in [0, 1] and ``beds_per_1000_elderly`` (care beds of every
        reporting facility per 1,000 residents aged 60+; ``..._incl_family`` adds family
        beds). ``nursing_share`` is the plans' 养老机构护理型床位占比: nursing-type beds of
        institutions over institutions' beds (community facilities' beds excluded).
    """
    t = totals
    out: dict[str, Any] = asdict(t)
    out.update(
        elderly_60plus=elderly_60plus,
        nursing_share=share(t.institutional_nursing_beds, t.institutional_beds),
        dementia_share=share(t.dementia_beds, t.total_beds),
        occupancy_rate=share(t.occupied_beds, t.total_beds),
        private_operated_share=share(t.private_beds, t.total_beds),
        government_operated_share=share(t.government_beds, t.total_beds),
        beds_per_1000_elderly=per_thousand(t.total_beds, elderly_60plus),
        beds_per_1000_elderly_incl_family=per_thousand(
            t.total_beds + t.family_beds, elderly_60plus
        ),
        central_homes_nursing_70_share=share(t.central_homes_meeting_70, t.central_homes),
        free_beds=t.total_beds - t.occupied_beds,
    )
    return out
