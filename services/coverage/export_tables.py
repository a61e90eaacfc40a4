"""Which columns a coverage result has in an exported file, and with how many decimals.

Pure: results (the routes' JSON and GeoJSON) in, ``(columns, rows, geometries)`` out, for
:mod:`services.common.exports` to write as CSV, xlsx or GeoPackage. Decimals are what a
report shows: minutes to 1 decimal (6 s), coordinates to 6 (≈ 10 cm), elderly counts to
1 (demand derived from the registry is fractional), 2SFCA access to 4.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from services.common.exports import Column

Table = tuple[list[Column], list[dict[str, Any]], list[dict[str, Any] | None]]

POINT_COLUMNS: Final = [
    Column("id", "编号"),
    Column("elderly", "老年人数", 1),
    Column("minutes", "步行分钟", 1),
    Column("nearest_station", "最近站点"),
    Column("covered", "是否覆盖"),
    Column("access_2sfca", "可达性(2SFCA)", 4),
    Column("lon", "经度", 6),
    Column("lat", "纬度", 6),
]
GAP_COLUMNS: Final = [
    Column("rank", "排名"),
    Column("cell", "H3网格"),
    Column("uncovered_elderly", "未覆盖老年人数", 1),
    Column("uncovered_points", "未覆盖点数"),
]
SITING_COLUMNS: Final = [
    Column("rank", "顺序"),
    Column("id", "候选点"),
    Column("marginal_elderly", "新增覆盖老年人数", 1),
    Column("lon", "经度", 6),
    Column("lat", "纬度", 6),
]
ISOCHRONE_COLUMNS: Final = [
    Column("station_id", "站点"),
    Column("minutes", "步行分钟", 1),
    Column("status", "状态"),
    Column("detail", "说明"),
]


def _features(fc: dict[str, Any], columns: Sequence[Column]) -> Table:
    rows = [{c.name: f["properties"].get(c.name) for c in columns} for f in fc["features"]]
    return list(columns), rows, [f.get("geometry") for f in fc["features"]]


def points_table(fc: dict[str, Any]) -> Table:
    """A run's points (their GeoJSON collection) as rows with lon/lat columns."""
    columns, rows, geometries = _features(fc, POINT_COLUMNS)
    for row, g in zip(rows, geometries, strict=True):
        row["lon"], row["lat"] = g["coordinates"] if g else (None, None)
    return columns, rows, geometries


def gaps_table(fc: dict[str, Any]) -> Table:
    """Gap hexagons, worst first."""
    return _features(fc, GAP_COLUMNS)


def siting_table(fc: dict[str, Any]) -> Table:
    """Chosen sites in pick order."""
    columns, rows, geometries = _features(fc, SITING_COLUMNS)
    for row, g in zip(rows, geometries, strict=True):
        row["lon"], row["lat"] = g["coordinates"] if g else (None, None)
    return columns, rows, geometries


def isochrones_table(fc: dict[str, Any]) -> Table:
    """One row per station and minute value (polygons in the GeoPackage only)."""
    return _features(fc, ISOCHRONE_COLUMNS)
