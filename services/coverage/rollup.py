"""Coverage figures of a region from its sub-regions' figures (a district from its communities).

A run stores figures per community and per street; a district or city asks for the sum
over its descendants. Only the deepest rows are summed, so a street and its own
communities are never counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.common.identity import region_prefix


def deepest_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows no other row lies inside (by 12-digit division code)."""
    codes = [str(row["region_code"]) for row in rows]
    return [
        row
        for row, code in zip(rows, codes, strict=True)
        if not any(other != code and other.startswith(region_prefix(code)) for other in codes)
    ]


def rollup(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum elderly, covered elderly and demand points over the deepest rows; shares from the sums.

    >>> rollup([
    ...     {"region_code": "110101001000", "elderly": 30.0, "covered_elderly": 30.0,
    ...      "demand_points": 2, "covered_share_by_count": 1.0},
    ...     {"region_code": "110101001001", "elderly": 30.0, "covered_elderly": 30.0,
    ...      "demand_points": 2, "covered_share_by_count": 1.0},
    ...     {"region_code": "110101002001", "elderly": 10.0, "covered_elderly": 0.0,
    ...      "demand_points": 2, "covered_share_by_count": 0.0},
    ... ])["covered_share_by_elderly"]
    0.75
    """
    leaves = deepest_rows(rows)
    elderly = sum(float(r["elderly"]) for r in leaves)
    covered = sum(float(r["covered_elderly"]) for r in leaves)
    points = sum(int(r["demand_points"]) for r in leaves)
    covered_points = sum(
        round(float(r["covered_share_by_count"] or 0.0) * int(r["demand_points"])) for r in leaves
    )
    return {
        "elderly": elderly,
        "covered_elderly": covered,
        "demand_points": points,
        "covered_share_by_count": covered_points / points if points else None,
        "covered_share_by_elderly": covered / elderly if elderly else None,
        "rolled_up_from": sorted(str(r["region_code"]) for r in leaves),
    }
