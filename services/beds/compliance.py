"""Whether a region meets its plan targets, and how many beds close the gap (pure).

Gaps are exact: thresholds are read as decimals (0.6 is 3/5, not 0.59999…) and
every bed count is rounded up, so the stated number of beds always suffices.
Two ways to close a share gap are reported, because they differ:

* ``gap_beds``: beds to *convert* (ordinary → nursing-type, or public-run →
  privately operated), the total staying the same: ``ceil(t·T − n)``;
* ``gap_beds_if_added``: *new* beds of the needed kind, the total growing with
  them: ``ceil((t·T − n) / (1 − t))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.beds.indicators import BedTotals
from services.beds.plans.comparators import (
    RAISES,
    SYMBOLS,
    count_gap,
    exact,
    least_over,
    share_gaps,
)
from services.beds.plans.comparators import check_comparator as check_comparator
from services.beds.plans.comparators import is_met as is_met

COMPARATORS = SYMBOLS


@dataclass(frozen=True)
class Target:
    """One plan target: ``indicator comparator threshold`` for ``region_code`` by ``target_year``."""

    region_code: str
    indicator: str
    comparator: str
    threshold: float
    binding: bool | None = None
    target_year: int | None = None
    source_document: str | None = None
    region_name: str | None = None
    note: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Check:
    """How one region stands against one target."""

    value: float | None
    met: bool | None
    gap_beds: int | None
    gap_beds_if_added: int | None
    message: str


def evaluate(target: Target, values: dict[str, Any], totals: BedTotals) -> Check:
    """Check one region's indicator ``values`` (see :func:`indicators.indicators`) against ``target``."""
    value = values.get(target.indicator)
    met = is_met(value, target.comparator, target.threshold)
    t = exact(target.threshold)
    sign = COMPARATORS[check_comparator(target.comparator)]
    wanted = _format(target.indicator, target.threshold)
    if value is None:
        return Check(
            None,
            None,
            None,
            None,
            f"no data: {target.indicator} needs reported beds"
            + (" and the region's elderly population" if "1000" in target.indicator else ""),
        )
    convert: int | None
    add: int | None
    if target.indicator == "nursing_share":
        convert, add = share_gaps(
            totals.institutional_nursing_beds,
            totals.institutional_beds,
            target.comparator,
            target.threshold,
        )
        how = f"{{c}} ordinary beds converted to nursing-type beds, or {{a}} new nursing-type beds, reach {sign} {wanted}"
    elif target.indicator == "private_operated_share":
        convert, add = share_gaps(
            totals.private_beds, totals.total_beds, target.comparator, target.threshold
        )
        how = f"{{c}} public-run beds moved to private operation, or {{a}} new privately operated beds, reach {sign} {wanted}"
    elif target.indicator == "government_operated_share":
        convert, add = share_gaps(
            totals.government_beds, totals.total_beds, target.comparator, target.threshold
        )
        how = f"{{c}} public-run beds moved to private operation, or {{a}} new non-government beds, reach {sign} {wanted}"
    elif target.indicator == "beds_per_1000_elderly" and target.comparator in RAISES:
        elderly = values.get("elderly_60plus") or 0
        convert = add = least_over(
            t * elderly / 1000 - totals.total_beds, target.comparator == "gt"
        )
        how = f"{{a}} more beds reach {sign} {wanted} per 1,000 elderly"
    elif (
        target.indicator in ("total_beds", "nursing_beds", "family_beds")
        and target.comparator in RAISES
    ):
        convert = add = count_gap(int(value), target.comparator, target.threshold)
        how = f"{{a}} more beds reach {sign} {wanted}"
    elif target.indicator == "central_homes_nursing_70_share" and t == 1:
        convert, add = totals.central_homes_gap_beds, None
        how = "{c} ordinary beds converted to nursing-type beds bring every central township home to 70 %"
    else:
        convert = add = None
        how = ""
    if met:
        message = f"met: {_format(target.indicator, value)} {sign} {wanted}"
    elif how:
        message = f"not met: {_format(target.indicator, value)}; " + how.format(
            c=_count(convert), a=_count(add)
        )
    else:
        message = f"not met: {_format(target.indicator, value)}, target {sign} {wanted}"
    if met:
        convert, add = 0, (0 if add is not None else None)
    return Check(value=value, met=met, gap_beds=convert, gap_beds_if_added=add, message=message)


def _format(indicator: str, value: float) -> str:
    if indicator.endswith("_share") or indicator.endswith("_rate"):
        return f"{value * 100:.1f} %".replace(".0 %", " %")
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.1f}"


def _count(beds: int | None) -> str:
    return "—" if beds is None else f"{beds:,}"
