"""Bulk import of administrative regions (GeoJSON features or CSV rows with optional WKT).

Validated in full before anything is written (code vs level, parent known and above,
polygonal geometry), then upserted by code in one transaction; the registry version is
bumped once.
"""

from __future__ import annotations

from typing import Any

import orjson
import shapely
from pydantic import ValidationError
from sqlalchemy.orm import Session

from services.common.csv_files import CsvRows
from services.common.identity import region_prefix
from services.common.validation import check_bounds
from services.facilities import repository as repo
from services.facilities.bulk import Format, RowErrors, is_blank
from services.facilities.region_kinds import kind_from_name
from services.facilities.regions import (
    LEVEL_DEPTH,
    LEVEL_DIGITS,
    as_multipolygon,
    geometry_from_geojson,
    parent_of_code,
    transform_geometry,
)
from services.facilities.schemas import RegionIn

# --- regions ----------------------------------------------------------------------------------


def parse_region_rows(
    text: str, fmt: Format, crs: str, errors: RowErrors
) -> list[tuple[int, dict[str, Any], Any]]:
    """``(row number, properties, geometry-or-None)`` from GeoJSON features or CSV rows (optional ``wkt``)."""
    out: list[tuple[int, dict[str, Any], Any]] = []
    if fmt == "csv":
        for number, cells in CsvRows(text, first_row=1):
            props = {k.strip(): v for k, v in cells.items() if k and not is_blank(v)}
            geometry = None
            if "wkt" in props:
                try:
                    geometry = shapely.from_wkt(props.pop("wkt"))
                except Exception as exc:  # noqa: BLE001 - shapely raises GEOSException subclasses
                    errors.add(number, "wkt", f"not valid WKT: {exc}")
                    continue
            out.append((number, props, geometry))
        return out
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        errors.add(0, None, f"not valid JSON: {exc}")
        return out
    if not (
        isinstance(doc, dict)
        and doc.get("type") == "FeatureCollection"
        and isinstance(doc.get("features"), list)
    ):
        errors.add(0, None, "expected a GeoJSON FeatureCollection")
        return out
    for number, feature in enumerate(doc["features"], start=1):
        if not isinstance(feature, dict):
            errors.add(number, None, "not a GeoJSON Feature")
            continue
        geometry = None
        if feature.get("geometry") is not None:
            try:
                geometry = geometry_from_geojson(feature["geometry"])
            except ValueError as exc:
                errors.add(number, "geometry", str(exc))
                continue
        out.append((number, dict(feature.get("properties") or {}), geometry))
    return out


def import_regions(
    session: Session, text: str, fmt: Format, *, dry_run: bool = False, crs: str = "wgs84"
) -> dict[str, Any]:
    """Validate every region (code vs level, parent known and shallower), then upsert all by code."""
    errors = RowErrors()
    parsed = parse_region_rows(text, fmt, crs, errors)
    valid: list[tuple[int, RegionIn, Any]] = []
    seen: dict[str, int] = {}
    for number, props, geometry in parsed:
        try:
            region = RegionIn.model_validate(props)
        except ValidationError as exc:
            for err in exc.errors():
                errors.add(number, ".".join(str(p) for p in err["loc"]) or None, str(err["msg"]))
            continue
        if region.kind is None:
            region.kind = kind_from_name(region.name, region.level)
        if len(region_prefix(region.code)) > LEVEL_DIGITS[region.level]:
            errors.add(
                number, "level", f"code {region.code} is too specific for level {region.level}"
            )
            continue
        if region.code in seen:
            errors.add(number, "code", f"code {region.code} repeats row {seen[region.code]}")
            continue
        if geometry is not None:
            try:
                geometry = as_multipolygon(transform_geometry(geometry, from_crs=crs))
                check_bounds(*geometry.bounds)  # WGS84 now; the same check for both engines
            except ValueError as exc:
                errors.add(number, "geometry", str(exc))
                continue
        seen[region.code] = number
        valid.append((number, region, geometry))
    levels: dict[str, str] = {r.code: r.level for _, r, _ in valid}
    missing_parents = {
        r.parent_code for _, r, _ in valid if r.parent_code and r.parent_code not in levels
    }
    levels.update(repo.region_levels(session=session, codes=missing_parents))
    rows = []
    for number, region, geometry in valid:
        parent = region.parent_code
        if parent is None:
            implied = parent_of_code(region.code)
            parent = (
                implied
                if implied in levels
                or (implied and repo.region_levels(session=session, codes=[implied]))
                else None
            )
        elif parent not in levels:
            errors.add(
                number, "parent_code", f"parent_code {parent} is neither in this file nor loaded"
            )
            continue
        if (
            parent is not None
            and parent in levels
            and LEVEL_DEPTH[levels[parent]] >= LEVEL_DEPTH[region.level]
        ):
            errors.add(
                number,
                "parent_code",
                f"parent {parent} ({levels[parent]}) is not above {region.level}",
            )
            continue
        rows.append({**region.model_dump(), "parent_code": parent, "geom": geometry})
    errors.raise_if_any("region import")
    report: dict[str, Any] = {
        "dry_run": dry_run,
        "total": len(rows),
        "created": 0,
        "updated": 0,
        "errors": [],
    }
    if dry_run:
        existing = repo.existing_region_codes(session=session, codes=[r["code"] for r in rows])
        report["created"], report["updated"] = len(rows) - len(existing), len(existing)
        report["registry_version"] = repo.registry_version(session=session)
        return report
    report["created"], report["updated"] = repo.upsert_regions(session=session, rows=rows)
    report["registry_version"] = repo.bump_registry_version(session=session)
    return report
