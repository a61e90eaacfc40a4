"""Bulk import and export of facilities and regions (CSV and GeoJSON).

Imports are validated in full before anything is written: every bad row is named
(row number, field, reason) and, if there is one, nothing is written (all-or-nothing,
one transaction). Facilities upsert by ``(source, external_id)``; regions by code.
Exports stream in id order, a batch at a time, so memory stays flat.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import orjson
from pydantic import ValidationError
from sqlalchemy.orm import Session

from services.common.csv_files import CsvRows, decode_text
from services.common.errors import InvalidInput
from services.facilities import crs as crs_mod
from services.facilities import registry
from services.facilities import repository as repo
from services.facilities.regions import (
    assign_regions,
    city_prefix,
    is_within,
)
from services.facilities.schemas import (
    FACILITY_TYPES,
    OPERATION_MODES,
    STATUSES,
    FacilityIn,
)

Format = Literal["csv", "geojson"]
MAX_REPORTED_ERRORS = 1000
REQUIRED_COLUMNS = ("external_id", "name", "type", "lon", "lat")
OPTIONAL_COLUMNS = (
    "source",
    "services",
    "operation_mode",
    "operator",
    "star_rating",
    "status",
    "capacity",
    "opening_hours",
    "phone",
    "address",
    "region_code",
    "center_id",
    "verified_on",
)
# Columns our own export writes that an import accepts and ignores (so exports re-import).
IGNORED_COLUMNS = ("id", "type_label", "version", "created_at", "updated_at")
EXPORT_COLUMNS = (
    "id",
    *REQUIRED_COLUMNS[:3],
    "source",
    *[c for c in OPTIONAL_COLUMNS if c != "source"],
    "lon",
    "lat",
)
TYPE_BY_LABEL = {label: slug for slug, label in FACILITY_TYPES.items()}
MODE_BY_LABEL = {label: slug for slug, label in OPERATION_MODES.items()}


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    default_source: str = "registry"
    crs: str = "wgs84"
    allow_outside_region: bool = False


class RowErrors:
    """Collects ``{"row", "field", "message"}`` problems; ``raise_if_any`` turns them into one 422."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.count = 0

    def add(self, row: int, field: str | None, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append({"row": row, "field": field, "message": message})

    def raise_if_any(self, what: str) -> None:
        if self.count:
            first = self.items[0]
            shown = "" if self.count <= len(self.items) else f" (first {len(self.items)} listed)"
            raise InvalidInput(
                f"{self.count} problem(s) in the {what}, nothing was written{shown}; first: row {first['row']} "
                f"{first['field'] or ''}: {first['message']}",
                errors=self.items,
                error_count=self.count,
            )


# --- small parsers ----------------------------------------------------------------------------


def decode(body: bytes) -> str:
    """Text of an import, the same for every import (services/common/csv_files.py)."""
    return decode_text(body)


def format_from_content_type(content_type: str) -> Format | None:
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return "csv"
    if kind in ("application/geo+json", "application/json"):
        return "geojson"
    return None


def format_from_path(path: str) -> Format:
    lower = path.lower()
    if lower.endswith((".geojson", ".json")):
        return "geojson"
    if lower.endswith((".csv", ".txt")):
        return "csv"
    raise ValueError(f"cannot tell the format of {path!r}; use .csv or .geojson (or --format)")


def split_slugs(value: str | None, field: str) -> list[str]:
    """``"a,b"`` → ``["a", "b"]``, checked against the known type or status slugs (422 naming the field)."""
    if not value:
        return []
    items = [v.strip() for v in value.split(",") if v.strip()]
    known = FACILITY_TYPES if field == "type" else STATUSES
    bad = [v for v in items if v not in known]
    if bad:
        raise InvalidInput(f"unknown {field} {', '.join(bad)}; use {', '.join(known)}", field=field)
    return items


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _coerce_row(raw: dict[str, Any], default_source: str) -> dict[str, Any]:
    """Text cells → the JSON types FacilityIn expects (blank cells are absent, lists split on ; or |)."""
    row: dict[str, Any] = {
        k: v for k, v in raw.items() if not is_blank(v) and k not in IGNORED_COLUMNS
    }
    row.setdefault("source", default_source)
    if isinstance(row.get("type"), str):
        row["type"] = TYPE_BY_LABEL.get(row["type"].strip(), row["type"].strip())
    if isinstance(row.get("operation_mode"), str):
        row["operation_mode"] = MODE_BY_LABEL.get(
            row["operation_mode"].strip(), row["operation_mode"].strip()
        )
    if isinstance(row.get("services"), str):
        row["services"] = [
            s.strip()
            for s in row["services"].replace("|", ";").replace(",", ";").split(";")
            if s.strip()
        ]
    if isinstance(row.get("opening_hours"), str):
        try:
            row["opening_hours"] = orjson.loads(row["opening_hours"])
        except orjson.JSONDecodeError:
            raise ValueError(
                'opening_hours|must be JSON like {"mon": [["08:00", "18:00"]]}'
            ) from None
    for key in ("external_id", "region_code"):
        if key in row and not isinstance(row[key], str):
            row[key] = str(row[key])
    if isinstance(row.get("region_code"), str) and len(row["region_code"].strip()) == 6:
        row["region_code"] = row["region_code"].strip().ljust(12, "0")
    return row


def parse_facility_csv(text: str, errors: RowErrors) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a facility CSV as ``(row number, cells)``; row 1 is the first line after the header."""
    reader = CsvRows(text, first_row=1)
    header = reader.header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        errors.add(
            0,
            ",".join(missing),
            f"missing required column(s) {', '.join(missing)}; "
            f"a CSV needs at least {','.join(REQUIRED_COLUMNS)}",
        )
    unknown = [
        c for c in header if c and c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS + IGNORED_COLUMNS
    ]
    if unknown:
        errors.add(
            0,
            ",".join(unknown),
            f"unknown column(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}",
        )
    if errors.count:
        return []
    rows = []
    for number, cells in reader:
        if None in cells:
            errors.add(
                number,
                None,
                f"row has {len(header) + len(cells[None])} cells; the header has {len(header)}",
            )
            continue
        rows.append((number, cells))
    return rows


def parse_facility_geojson(text: str, errors: RowErrors) -> list[tuple[int, dict[str, Any]]]:
    """Point features as ``(feature number, properties + lon/lat)``; feature 1 is the first."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        errors.add(0, None, f"not valid JSON: {exc}")
        return []
    features = (
        doc.get("features")
        if isinstance(doc, dict) and doc.get("type") == "FeatureCollection"
        else None
    )
    if not isinstance(features, list):
        errors.add(0, None, "expected a GeoJSON FeatureCollection")
        return []
    rows = []
    for number, feature in enumerate(features, start=1):
        geometry = (feature or {}).get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            errors.add(number, "geometry", "each feature needs a Point geometry")
            continue
        coords = geometry.get("coordinates")
        if not (isinstance(coords, list) and len(coords) >= 2):
            errors.add(number, "geometry", "Point coordinates must be [lon, lat]")
            continue
        props = dict(feature.get("properties") or {})
        unknown = [
            k for k in props if k not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS + IGNORED_COLUMNS
        ]
        if unknown:
            errors.add(number, ",".join(unknown), f"unknown propert(ies) {', '.join(unknown)}")
            continue
        if "external_id" not in props and feature.get("id") is not None:
            props["external_id"] = str(feature["id"])
        props["lon"], props["lat"] = coords[0], coords[1]
        rows.append((number, props))
    return rows


def validate_facility_rows(
    rows: Sequence[tuple[int, dict[str, Any]]], options: ImportOptions, errors: RowErrors
) -> list[tuple[int, FacilityIn]]:
    """Each row as a FacilityIn in WGS84, or its problems recorded; duplicate keys in the file are errors."""
    valid: list[tuple[int, FacilityIn]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, raw in rows:
        try:
            cells = _coerce_row(raw, options.default_source)
        except ValueError as exc:
            field, _, message = str(exc).partition("|")
            errors.add(number, field, message)
            continue
        if "external_id" not in cells:
            errors.add(number, "external_id", "required: imports upsert by (source, external_id)")
            continue
        try:
            data = FacilityIn.model_validate(cells)
        except ValidationError as exc:
            for err in exc.errors():
                errors.add(number, ".".join(str(p) for p in err["loc"]) or None, str(err["msg"]))
            continue
        key = (data.source, data.external_id or "")
        if key in seen:
            errors.add(
                number, "external_id", f"external_id {data.external_id!r} repeats row {seen[key]}"
            )
            continue
        seen[key] = number
        valid.append((number, data))
    if options.crs != "wgs84" and valid:
        lon, lat = crs_mod.to_wgs84(
            [d.lon for _, d in valid], [d.lat for _, d in valid], options.crs
        )
        valid = [
            (n, d.model_copy(update={"lon": float(x), "lat": float(y)}))
            for (n, d), x, y in zip(valid, lon.tolist(), lat.tolist(), strict=True)
        ]
    return valid


def derive_regions(
    session: Session,
    valid: Sequence[tuple[int, FacilityIn]],
    options: ImportOptions,
    errors: RowErrors,
) -> list[str | None]:
    """Region code per row: deepest covering polygon, checked against a declared code's city."""
    regions = repo.regions_with_geometry(session=session)
    if not regions:
        return [d.region_code for _, d in valid]
    lon = np.array([d.lon for _, d in valid], dtype=float)
    lat = np.array([d.lat for _, d in valid], dtype=float)
    derived = assign_regions(lon, lat, regions)
    cities_loaded = {city_prefix(code) for code, _, _ in regions}
    out: list[str | None] = []
    for (number, data), found in zip(valid, derived, strict=True):
        declared = data.region_code
        if declared is None:
            out.append(found)
            continue
        city = city_prefix(declared)
        if found is not None and found.startswith(city):
            out.append(declared if is_within(declared, found) else found)
        elif options.allow_outside_region or not any(c.startswith(city) for c in cities_loaded):
            out.append(declared)
        else:
            errors.add(
                number,
                "lon",
                f"point ({data.lon:.6f}, {data.lat:.6f}) lies outside every loaded region of "
                f"city {city.ljust(12, '0')} (region_code {declared}); fix it or allow_outside_region",
            )
            out.append(None)
    return out


# --- facility import --------------------------------------------------------------------------


def import_facilities(
    session: Session, text: str, fmt: Format, *, options: ImportOptions, actor: registry.Actor
) -> dict[str, Any]:
    """Validate every row, then upsert all of them in the caller's transaction (caller commits).

    Raises InvalidInput (422) listing each bad row when any row is bad; nothing is written then.
    Returns the report: total, created, updated, unchanged, registry_version.
    """
    errors = RowErrors()
    parsed = (
        parse_facility_csv(text, errors) if fmt == "csv" else parse_facility_geojson(text, errors)
    )
    valid = validate_facility_rows(parsed, options, errors)
    region_codes = derive_regions(session, valid, options, errors)
    centers = {d.center_id for _, d in valid if d.center_id is not None}
    known_centers = repo.existing_ids(session=session, ids=centers) if centers else set()
    for number, data in valid:
        if data.center_id is not None and data.center_id not in known_centers:
            errors.add(number, "center_id", f"center_id {data.center_id} names no facility")
    if actor.identity is not None:
        for (number, _), code in zip(valid, region_codes, strict=True):
            try:
                registry.check_may_write(actor, [code])
            except Exception as exc:  # noqa: BLE001 - Forbidden carries the reason we report
                errors.add(number, "region_code", str(exc))
    errors.raise_if_any("import")

    existing = repo.external_ids(
        session=session, source_keys=[(d.source, d.external_id or "") for _, d in valid]
    )
    if actor.identity is not None:
        for number, data in valid:
            old = existing.get((data.source, data.external_id or ""))
            if old is not None:
                try:
                    registry.check_may_write(actor, [old["region_code"]])
                except Exception as exc:  # noqa: BLE001
                    errors.add(number, "external_id", f"updates facility {old['id']}: {exc}")
        errors.raise_if_any("import")
    inserts, updates, audits_update = [], [], []
    unchanged = 0
    for (_, data), code in zip(valid, region_codes, strict=True):
        values = registry.facility_columns(data, code)
        old = existing.get((data.source, data.external_id or ""))
        if old is None:
            inserts.append(values)
            continue
        if all(old.get(k) == v for k, v in values.items()):
            unchanged += 1
            continue
        updates.append({"id": old["id"], **values})
        audits_update.append((old, values))
    report: dict[str, Any] = {
        "dry_run": options.dry_run,
        "total": len(valid),
        "created": len(inserts),
        "updated": len(updates),
        "unchanged": unchanged,
        "errors": [],
    }
    if options.dry_run or not (inserts or updates):
        report["registry_version"] = repo.registry_version(session=session)
        return report
    repo.bulk_insert_facilities(session=session, rows=inserts)
    inserted = repo.ids_for_keys(
        session=session, source_keys=[(v["source"], v["external_id"]) for v in inserts]
    )
    new_ids = [inserted[(v["source"], v["external_id"])] for v in inserts]
    repo.bulk_update_facilities(session=session, rows=updates)
    entries = [
        {
            "facility_id": fid,
            "action": "import",
            "actor": actor.name,
            "request_id": actor.request_id,
            "before": None,
            "after": _jsonable(values),
        }
        for fid, values in zip(new_ids, inserts, strict=True)
    ]
    entries += [
        {
            "facility_id": old["id"],
            "action": "import",
            "actor": actor.name,
            "request_id": actor.request_id,
            "before": _jsonable(old),
            "after": _jsonable(values),
        }
        for old, values in audits_update
    ]
    repo.add_audits(session=session, entries=entries)
    report["registry_version"] = repo.bump_registry_version(session=session)
    return report


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    skip = ("name_normalized", "services_mask", "geog")
    return {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if k not in skip
    }


# --- facility export --------------------------------------------------------------------------


def export_chunks(
    sessions: Callable[[], Session],
    *,
    fmt: Format,
    types: Sequence[str] = (),
    statuses: Sequence[str] = (),
    region: str | None = None,
    crs: str = "wgs84",
    bom: bool = False,
) -> Iterator[bytes]:
    """The export as byte chunks (one per database batch), opening its own read session.

    ``bom``: start a CSV with a UTF-8 byte-order mark, for files people open in Excel
    (without it Excel on Chinese Windows reads GBK and garbles the names); the import
    drops it again.
    """
    with sessions() as session:
        if fmt == "csv":
            yield (b"\xef\xbb\xbf" if bom else b"") + _csv_line(EXPORT_COLUMNS)
        else:
            yield b'{"type":"FeatureCollection","features":['
        first = True
        for batch in repo.iter_facilities(
            session=session, types=types, statuses=statuses, region=region
        ):
            lon, lat = crs_mod.from_wgs84([r["lon"] for r in batch], [r["lat"] for r in batch], crs)
            for r, x, y in zip(batch, lon.tolist(), lat.tolist(), strict=True):
                r["lon"], r["lat"] = round(x, 7), round(y, 7)
            if fmt == "csv":
                yield b"".join(_csv_line([_cell(r, c) for c in EXPORT_COLUMNS]) for r in batch)
            else:
                parts = [orjson.dumps(_feature(r), default=str) for r in batch]
                yield (b"" if first else b",") + b",".join(parts)
            first = False
        if fmt == "geojson":
            yield b"]}"


def _csv_line(cells: Sequence[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode()


def _cell(row: dict[str, Any], column: str) -> Any:
    value = row.get(column)
    if value is None:
        return ""
    if column == "services":
        return ";".join(value)
    if column == "opening_hours":
        return orjson.dumps(value).decode()
    return value


def _feature(row: dict[str, Any]) -> dict[str, Any]:
    props = {c: row.get(c) for c in EXPORT_COLUMNS if c not in ("lon", "lat", "id")}
    props["type_label"] = FACILITY_TYPES[row["type"]]
    props["version"] = row["version"]
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
        "properties": props,
    }
