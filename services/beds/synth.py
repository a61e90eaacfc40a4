"""Generated (synthetic) facilities and monthly bed reports for real regions, for demos and docs.

No open register of Chinese care facilities or their beds exists offline, so the
README's compliance report runs on real regions (boundaries and 2020 census
elderly counts from ../shared/data) with facilities and bed figures made up here,
seeded and reproducible. Nothing here is used by the service itself.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

MODES = ("public_run", "public_built_private_run", "private")
MODE_WEIGHTS = (0.4, 0.25, 0.35)
FACILITY_COLUMNS = (
    "external_id",
    "source",
    "name",
    "type",
    "operation_mode",
    "capacity",
    "status",
    "lon",
    "lat",
)
BED_COLUMNS = (
    "facility_external_id",
    "period",
    "total_beds",
    "nursing_beds",
    "dementia_beds",
    "occupied_beds",
    "family_beds",
)
CAPACITY = {"nursing_home": (40, 250), "care_center": (20, 60), "township_home": (60, 150)}
TYPE_LABEL = {
    "nursing_home": "养老院",
    "care_center": "综合养老服务中心",
    "township_home": "中心敬老院",
}


@dataclass(frozen=True)
class District:
    code: str
    name: str
    elderly_60plus: int
    geometry: BaseGeometry

    @classmethod
    def from_region(cls, body: dict[str, Any]) -> District:
        return cls(
            body["code"],
            body["name"],
            int(body.get("elderly_60plus") or 0),
            shape(body["geometry"]),
        )


def _points_inside(
    geometry: BaseGeometry, n: int, rng: np.random.Generator
) -> list[tuple[float, float]]:
    """``n`` uniform random points inside ``geometry`` (rejection sampling in its bounding box)."""
    min_x, min_y, max_x, max_y = geometry.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        x, y = rng.uniform(min_x, max_x, 4 * n), rng.uniform(min_y, max_y, 4 * n)
        inside = shapely.contains_xy(geometry, x, y)
        out += list(zip(x[inside].round(6).tolist(), y[inside].round(6).tolist(), strict=True))
    return out[:n]


def synthesize(
    districts: Sequence[District],
    periods: Sequence[str],
    *,
    beds_per_1000: float = 30.0,
    seed: int = 2026,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Facility rows (``carecircle facilities import``) and bed rows (``carecircle beds import``).

    Each district gets about ``beds_per_1000`` beds per 1,000 residents aged 60+, in
    nursing homes and care centers, plus one central township home (中心敬老院) in
    each county or county-level city. Nursing-type shares start between 30 % and 75 % and creep up
    month by month, as conversion programmes would make them.
    """
    rng = np.random.default_rng(seed)
    facilities: list[dict[str, Any]] = []
    beds: list[dict[str, Any]] = []
    for district in districts:
        wanted_beds = district.elderly_60plus * beds_per_1000 * rng.uniform(0.7, 1.3) / 1000
        # GB/T 2260: district digits 21–99 are counties and county-level cities (01–20: urban districts).
        types = ["township_home"] if int(district.code[4:6]) >= 21 else []
        while sum((CAPACITY[t][0] + CAPACITY[t][1]) / 2 for t in types) < wanted_beds:
            types.append("nursing_home" if rng.random() < 0.8 else "care_center")
        points = _points_inside(district.geometry, len(types), rng)
        for index, (kind, (lon, lat)) in enumerate(zip(types, points, strict=True)):
            external_id = f"SYN-{district.code[:6]}-{index + 1:04d}"
            capacity = int(rng.integers(*CAPACITY[kind]))
            mode = (
                "public_run" if kind == "township_home" else str(rng.choice(MODES, p=MODE_WEIGHTS))
            )
            facilities.append(
                {
                    "external_id": external_id,
                    "source": "synthetic",
                    "name": f"{district.name}第{index + 1}{TYPE_LABEL[kind]}",
                    "type": kind,
                    "operation_mode": mode,
                    "capacity": capacity,
                    "status": "active",
                    "lon": lon,
                    "lat": lat,
                }
            )
            share = rng.uniform(0.3, 0.75)
            for period in periods:
                share = min(1.0, share + rng.uniform(0.0, 0.01))
                nursing = int(capacity * share)
                beds.append(
                    {
                        "facility_external_id": external_id,
                        "period": period,
                        "total_beds": capacity,
                        "nursing_beds": nursing,
                        "dementia_beds": int(capacity * rng.uniform(0, 0.15)),
                        "occupied_beds": int(capacity * rng.uniform(0.5, 0.9)),
                        "family_beds": int(rng.integers(0, 12)) if kind == "care_center" else "",
                    }
                )
    return facilities, beds


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
