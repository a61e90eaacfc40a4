"""Parse a bed-report CSV file and name every bad row (pure; facilities are checked later).

Columns: ``facility_external_id,period,total_beds,nursing_beds,dementia_beds,occupied_beds``,
optional ``family_beds`` (counted in the facility's region unless the optional
``family_region_code`` names the homes' region) and ``source`` (the facility
registry's source, when one external id exists in several sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.beds.figures import COUNT_FIELDS, figure_errors
from services.beds.levels import check_code
from services.beds.periods import parse_period
from services.common.csv_files import CsvRows

REQUIRED = ("facility_external_id", "period", *COUNT_FIELDS)
OPTIONAL = ("family_beds", "family_region_code", "source")
MAX_ROWS = 200_000


@dataclass(frozen=True)
class CsvRow:
    """One parsed line (``line`` is the 1-based line number in the file, header = 1)."""

    line: int
    facility_external_id: str
    source: str | None
    period: str
    total_beds: int
    nursing_beds: int
    dementia_beds: int
    occupied_beds: int
    family_beds: int | None
    family_region_code: str | None


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.line, "field": self.field, "message": self.message}


def _int(text: str) -> int | str:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return text


def parse_bed_csv(text: str, *, today: date | None = None) -> tuple[list[CsvRow], list[RowError]]:
    """Every valid row, and an error for every bad cell, duplicate or missing column."""
    reader = CsvRows(text, first_row=2)
    header = reader.header
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return [], [RowError(1, name, f"missing column {name}") for name in missing]
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if unknown:
        return [], [
            RowError(1, name, f"unknown column {name}; expected {', '.join(REQUIRED + OPTIONAL)}")
            for name in unknown
        ]
    rows: list[CsvRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str | None, str], int] = {}
    for line, raw in reader:
        if line - 1 > MAX_ROWS:
            errors.append(RowError(line, "file", f"more than {MAX_ROWS} rows; split the file"))
            break
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            errors.append(RowError(line, "row", "more cells than columns"))
            continue
        row_errors: list[RowError] = []
        external_id = cells["facility_external_id"]
        if not external_id:
            row_errors.append(
                RowError(line, "facility_external_id", "facility_external_id is empty")
            )
        try:
            period = parse_period(cells["period"], today=today)
        except ValueError as exc:
            row_errors.append(RowError(line, "period", str(exc)))
            period = ""
        values: dict[str, object] = {name: _int(cells[name]) for name in COUNT_FIELDS}
        family_text = cells.get("family_beds", "")
        values["family_beds"] = _int(family_text) if family_text else None
        row_errors += [RowError(line, name, message) for name, message in figure_errors(values)]
        family_region = cells.get("family_region_code") or None
        if family_region:
            try:
                family_region = check_code(family_region, "family_region_code")
            except ValueError as exc:
                row_errors.append(RowError(line, "family_region_code", str(exc)))
        source = cells.get("source") or None
        key = (external_id, source, period)
        if external_id and period and key in seen:
            row_errors.append(
                RowError(line, "period", f"duplicate of row {seen[key]} (same facility and period)")
            )
        elif external_id and period:
            seen[key] = line
        if row_errors:
            errors += row_errors
            continue
        rows.append(
            CsvRow(
                line=line,
                facility_external_id=external_id,
                source=source,
                period=period,
                total_beds=int(values["total_beds"]),  # type: ignore[call-overload]
                nursing_beds=int(values["nursing_beds"]),  # type: ignore[call-overload]
                dementia_beds=int(values["dementia_beds"]),  # type: ignore[call-overload]
                occupied_beds=int(values["occupied_beds"]),  # type: ignore[call-overload]
                family_beds=values["family_beds"],  # type: ignore[arg-type]
                family_region_code=family_region,
            )
        )
    return rows, errors
