"""Population figures per region code from a CSV a bureau supplies (with where they come from).

Elderly counts exist per district (the 2020 census); streets and communities carry none
until a bureau imports its own (household registers, a survey). Columns: ``code``
(6, 9 or 12 digits), ``source`` (required: who counted, when), and at least one of
``elderly_60plus``, ``elderly_65plus``, ``population``, ``households`` (whole numbers
≥ 0), optionally ``year``. The file is checked in full and applied all or nothing;
only the figures a row gives change (names, kinds and boundaries are kept).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.common.csv_files import CsvRows
from services.common.validation import MAX_INT
from services.facilities import repository as repo
from services.facilities.bulk import RowErrors, is_blank
from services.facilities.schemas import pad_region_code

FIGURES = ("population", "elderly_60plus", "elderly_65plus", "households")
COLUMNS = ("code", "source", *FIGURES, "year")


def parse_population_rows(text: str, errors: RowErrors) -> list[dict[str, Any]]:
    """``{row, code, population_source, <figures>, year?}`` per valid row; problems go to ``errors``."""
    reader = CsvRows(text, first_row=1)
    header = reader.header
    missing = [c for c in ("code", "source") if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    if missing or unknown or not set(header) & set(FIGURES):
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        if not set(header) & set(FIGURES):
            problems.append(f"no figure column (one of {', '.join(FIGURES)})")
        errors.add(0, None, "; ".join(problems) + f"; expected {','.join(COLUMNS)}")
        return []
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, raw in reader:
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        row: dict[str, Any] = {"row": number}
        try:
            row["code"] = pad_region_code(cells.get("code", ""))
        except ValueError as exc:
            errors.add(number, "code", str(exc))
            continue
        if row["code"] in seen:
            errors.add(number, "code", f"code {row['code']} repeats row {seen[row['code']]}")
            continue
        seen[row["code"]] = number
        source = cells.get("source", "")
        if not source or len(source) > 200:
            errors.add(
                number, "source", "source must name where the figures come from (1–200 characters)"
            )
            continue
        row["population_source"] = source
        ok = True
        for name in (*FIGURES, "year"):
            value = cells.get(name, "")
            if is_blank(value):
                continue
            if not (value.isascii() and value.isdigit()) or int(value) > MAX_INT:
                errors.add(
                    number, name, f"{name} must be a whole number in [0, {MAX_INT}], got {value!r}"
                )
                ok = False
                continue
            row[name] = int(value)
        if ok and "year" in row and not 1900 <= row["year"] <= 2100:
            errors.add(number, "year", f"year must be between 1900 and 2100, got {row['year']}")
            ok = False
        if ok and not any(name in row for name in FIGURES):
            errors.add(number, None, f"no figure given (one of {', '.join(FIGURES)})")
            ok = False
        if ok:
            rows.append(row)
    return rows


def import_population(session: Session, text: str, *, dry_run: bool = False) -> dict[str, Any]:
    """Check every row (code loaded, whole numbers, a source), then set the figures of each region."""
    errors = RowErrors()
    rows = parse_population_rows(text, errors)
    known = repo.existing_region_codes(session=session, codes=[r["code"] for r in rows])
    for row in rows:
        if row["code"] not in known:
            errors.add(
                row["row"], "code", f"region {row['code']} is not loaded (import regions first)"
            )
    errors.raise_if_any("population import")
    report: dict[str, Any] = {"dry_run": dry_run, "total": len(rows), "updated": len(rows)}
    if not dry_run:
        repo.set_region_figures(
            session=session, rows=[{k: v for k, v in r.items() if k != "row"} for r in rows]
        )
        report["registry_version"] = repo.bump_registry_version(session=session)
    return report
