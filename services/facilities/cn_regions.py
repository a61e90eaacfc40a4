"""Build a ``carecircle regions import`` file from Chinese district boundaries and the 2020 census.

Inputs (see ../shared/data/*/SOURCE.md): boundary GeoJSON either as one FeatureCollection
whose features carry an ``adcode`` property (the WGS84 files), or a folder of bare
MultiPolygons named ``<adcode>.geojson`` (the GCJ-02 Amap files, converted to WGS84 here);
and the county census CSV (``区划代码``, ``人口数_合计``, ``家庭户数``, ``pop_60plus``,
``pop_65plus``). Output: one FeatureCollection, WGS84, codes padded to 12 digits, with the
province → city → district hierarchy. Chongqing has no city polygon: its ``500100``
(市辖区) and ``500200`` (县) cities and the ``500000`` municipality are unions of its districts.

Optionally the street/town and community/village code lists of cn-admin-codes (``code``,
``name`` and ``areaCode`` or ``streetCode``): regions below the districts, without
boundaries or population, each with the kind its name states (:mod:`region_kinds`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from services.facilities.region_kinds import kind_from_name
from services.facilities.regions import (
    as_multipolygon,
    geometry_from_geojson,
    geometry_to_geojson,
    level_of_code,
    parent_of_code,
    transform_geometry,
)

PROVINCE_NAMES = {"35": "福建省", "50": "重庆市", "52": "贵州省"}
CHONGQING = "50"
# Divisions renamed after the 2020 census (the boundaries are newer): census code → current code.
# 2021: 龙海市 → 漳州市龙海区, 长泰县 → 漳州市长泰区 (State Council approvals of 2021).
CODE_CHANGES = {"350681": "350604", "350625": "350605"}


def read_boundaries(
    paths: Iterable[Path], crs: str = "wgs84"
) -> dict[str, tuple[str | None, BaseGeometry]]:
    """``{adcode: (name or None, WGS84 MultiPolygon)}`` from FeatureCollection files and/or adcode-named files."""
    out: dict[str, tuple[str | None, BaseGeometry]] = {}
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.geojson")) if path.is_dir() else [path])
    for file in files:
        doc = orjson.loads(file.read_bytes())
        if doc.get("type") == "FeatureCollection":
            for feature in doc["features"]:
                props = feature.get("properties") or {}
                adcode = str(props.get("adcode") or props.get("code") or "")[:6]
                if not adcode:
                    raise ValueError(f"{file}: a feature has no adcode property")
                out[adcode] = (
                    props.get("name"),
                    _wgs84(geometry_from_geojson(feature["geometry"]), crs),
                )
        else:
            geometry = doc.get("geometry") if doc.get("type") == "Feature" else doc
            adcode = file.stem[:6]
            if not adcode.isdigit():
                raise ValueError(f"{file}: bare geometries must be named <adcode>.geojson")
            out[adcode] = (None, _wgs84(geometry_from_geojson(geometry), crs))
    return out


def _wgs84(geometry: BaseGeometry, crs: str) -> BaseGeometry:
    return as_multipolygon(transform_geometry(geometry, from_crs=crs, to_crs="wgs84"))


def read_census(path: Path) -> dict[str, dict[str, Any]]:
    """``{adcode: {name, population, elderly_60plus, elderly_65plus, households}}`` from the census CSV."""
    out: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            adcode = CODE_CHANGES.get(row["区划代码"].strip()[:6], row["区划代码"].strip()[:6])
            name = row["区县"].strip()
            if adcode.endswith("00") and name in (row["市"].strip(), "市辖区", "县"):
                name = row["市"].strip() + ("" if name == row["市"].strip() else name)
            out[adcode] = {
                "name": name,
                "population": _int(row.get("人口数_合计")),
                "elderly_60plus": _int(row.get("pop_60plus")),
                "elderly_65plus": _int(row.get("pop_65plus")),
                "households": _int(row.get("家庭户数")),
            }
    return out


def _int(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    return int(round(float(value)))


def read_codes(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Street/town and community/village regions from cn-admin-codes CSV files (either order).

    A file with a ``streetCode`` column lists communities/villages (12-digit codes, parent
    = that street); one with ``areaCode`` only lists streets/towns (9-digit codes, parent =
    that district). Codes come back padded to 12 digits, parents first.
    """
    rows: list[dict[str, Any]] = []
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = set(reader.fieldnames or ())
            if not {"code", "name"} <= columns or not columns & {"streetCode", "areaCode"}:
                raise ValueError(
                    f"{path}: expected cn-admin-codes columns code,name and streetCode or areaCode, "
                    f"got {', '.join(sorted(columns)) or 'none'}"
                )
            is_community = "streetCode" in columns
            level, width = ("community", 12) if is_community else ("street", 9)
            for number, row in enumerate(reader, start=2):
                code, name = row["code"].strip(), row["name"].strip()
                parent = (row["streetCode"] if is_community else row["areaCode"]).strip()
                if len(code) != width or not code.isdigit() or not code.startswith(parent):
                    raise ValueError(
                        f"{path} line {number}: code {code!r} is not a {width}-digit {level} code "
                        f"inside {parent!r}"
                    )
                rows.append(
                    {
                        "code": code.ljust(12, "0"),
                        "name": name,
                        "level": level,
                        "parent_code": parent.ljust(12, "0"),
                        "kind": kind_from_name(name, level),
                    }
                )
    rows.sort(key=lambda r: (r["level"] == "community", r["code"]))
    return rows


def build_features(
    boundaries: dict[str, tuple[str | None, BaseGeometry]],
    census: dict[str, dict[str, Any]],
    year: int = 2020,
    census_source: str | None = None,
) -> list[dict[str, Any]]:
    """Region features for every adcode in either input, plus provinces and Chongqing's merged cities."""
    codes = set(boundaries) | set(census)
    geometries: dict[str, BaseGeometry | None] = {
        c: boundaries[c][1] if c in boundaries else None for c in codes
    }
    names: dict[str, str] = {}
    for code in codes:
        names[code] = (
            boundaries.get(code, (None, None))[0] or (census.get(code) or {}).get("name") or code
        )
    for city in ("500100", "500200"):
        members = [c for c in codes if c[:4] == city[:4] and c != city]
        parts = [geometries[c] for c in members if geometries[c] is not None]
        # Merge only when every census district of the city has a boundary (else the union would be partial).
        complete = bool(census) and all(geometries[c] is not None for c in members if c in census)
        if parts and complete and geometries.get(city) is None:
            geometries[city] = as_multipolygon(shapely.union_all(parts))
            codes.add(city)
            names.setdefault(city, "重庆市" + ("市辖区" if city == "500100" else "县"))
    for province, name in PROVINCE_NAMES.items():
        if not any(c.startswith(province) for c in codes):
            continue
        code = province + "0000"
        codes.add(code)
        names[code] = name
        if province == CHONGQING and geometries.get(code) is None:
            parts = [
                g
                for c, g in geometries.items()
                if c.startswith(province) and c.endswith("00") and g is not None and c != code
            ]
            geometries[code] = as_multipolygon(shapely.union_all(parts)) if parts else None
    figures = dict(census)
    if CHONGQING + "0000" not in figures and all(c in census for c in ("500100", "500200")):
        figures["500000"] = {
            k: _sum(census["500100"].get(k), census["500200"].get(k))
            for k in ("population", "elderly_60plus", "elderly_65plus", "households")
        }
    features = []
    for code in sorted(codes):
        full = code.ljust(12, "0")
        data = figures.get(code, {})
        geometry = geometries.get(code)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": full,
                    "name": names[code],
                    "level": level_of_code(full),
                    "parent_code": parent_of_code(full),
                    "population": data.get("population"),
                    "elderly_60plus": data.get("elderly_60plus"),
                    "elderly_65plus": data.get("elderly_65plus"),
                    "households": data.get("households"),
                    "year": year if data else None,
                    "population_source": census_source if data else None,
                },
                "geometry": geometry_to_geojson(geometry) if geometry is not None else None,
            }
        )
    return features


def _sum(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def code_features(rows: list[dict[str, Any]], known: set[str]) -> list[dict[str, Any]]:
    """Features for street/community rows; every parent must be a known region or an earlier row."""
    features = []
    seen = set(known)
    for row in rows:
        if row["parent_code"] not in seen:
            raise ValueError(
                f"{row['level']} {row['code']} {row['name']}: its parent {row['parent_code']} is "
                "neither in the boundaries/census nor in the street file"
            )
        seen.add(row["code"])
        features.append(
            {
                "type": "Feature",
                "properties": {**row, "population": None, "elderly_60plus": None, "year": None},
                "geometry": None,
            }
        )
    return features


def build_cn_regions(
    boundaries: Iterable[Path],
    census: Path | None,
    *,
    crs: str = "wgs84",
    year: int = 2020,
    codes: Iterable[Path] = (),
) -> dict[str, Any]:
    """The FeatureCollection ``carecircle regions import`` reads (provinces first, villages last)."""
    features = build_features(
        read_boundaries(boundaries, crs),
        read_census(census) if census else {},
        year,
        census_source=f"{year} census ({census.name})" if census else None,
    )
    finer = read_codes(codes)
    if finer:
        features += code_features(finer, {f["properties"]["code"] for f in features})
    return {"type": "FeatureCollection", "features": features}
