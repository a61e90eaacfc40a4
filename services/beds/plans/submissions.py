"""Writing reported figures: check every row (rules, region in the registry, who may), then one transaction.

A district's civil-affairs office reports what no registry holds (rates of centralised
care, quality compliance, workforce, …) per region and month, with a source. Rows are
checked in full first — every broken rule named with its row — and written all or
nothing; a row equal to the current figure changes nothing, a changed one becomes a new
revision. The registry is asked before the write transaction opens (503 while it is down).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.beds.facilities_client import FacilitiesClient
from services.beds.levels import check_code
from services.beds.periods import parse_period
from services.beds.plans import repository
from services.beds.plans.reported import figure_errors
from services.beds.submissions import Writer
from services.common.csv_files import CsvRows
from services.common.db import transaction
from services.common.errors import Forbidden, InvalidInput, Unauthorized

CSV_COLUMNS = (
    "region_code",
    "period",
    "indicator",
    "value",
    "numerator",
    "denominator",
    "source",
    "note",
)
WRITER_ROLES = ("official", "planner", "admin")


@dataclass(frozen=True)
class Outcome:
    rows: int
    created: int
    revised: int
    unchanged: int
    ids: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "revised": self.revised,
            "unchanged": self.unchanged,
            "ids": list(self.ids),
        }


def check_writer(writer: Writer) -> None:
    """Officials (in their region), planners and admins report figures; others may not."""
    if writer.identity is None:
        if writer.require_identity:
            raise Unauthorized("reporting plan figures needs a gateway-signed identity")
        return
    if writer.identity.role not in WRITER_ROLES:
        raise Forbidden(f"role {writer.identity.role} may not report plan figures")


def parse_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    """``(line, row)`` per data line of a reported-figures CSV (header checked)."""
    reader = CsvRows(text, first_row=2)
    header = [h for h in reader.header if h]
    missing = [c for c in ("region_code", "period", "indicator", "source") if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        problems = [f"missing column(s) {', '.join(missing)}"] if missing else []
        problems += [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        raise InvalidInput(
            "; ".join(problems) + f"; expected {','.join(CSV_COLUMNS)}",
            errors=[{"row": 1, "field": "header", "message": "; ".join(problems)}],
        )
    return [
        (line, {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k})
        for line, row in reader
    ]


def submit(
    rows: Sequence[tuple[int, dict[str, Any]]],
    *,
    client: FacilitiesClient,
    write_sessions: sessionmaker[Session],
    writer: Writer,
    reason: str | None = None,
) -> Outcome:
    """Check every row, then write them all in one transaction (or nothing, naming each bad row)."""
    check_writer(writer)
    errors: list[dict[str, Any]] = []
    checked: list[tuple[str, str, dict[str, Any]]] = []
    known: dict[str, bool] = {}
    seen: dict[tuple[str, str, str], int] = {}
    refused: list[str] = []
    for line, raw in rows:
        row_errors: list[tuple[str, str]] = []
        try:
            code = check_code(str(raw.get("region_code") or ""), "region_code")
        except ValueError as exc:
            row_errors.append(("region_code", str(exc)))
            code = ""
        try:
            period = parse_period(str(raw.get("period") or ""))
        except ValueError as exc:
            row_errors.append(("period", str(exc)))
            period = ""
        values, problems = figure_errors(raw)
        row_errors += problems
        if code and code not in known:
            known[code] = client.region(code) is not None
        if code and not known[code]:
            row_errors.append(("region_code", f"region {code} is not in the region registry"))
        identity = writer.identity
        if (
            code
            and identity is not None
            and identity.role == "official"
            and not identity.covers_region(code)
        ):
            refused.append(
                f"line {line}: region {code} is outside official {identity.subject}'s region "
                f"{identity.region_code}"
            )
        key = (code, period, values.get("indicator", ""))
        if not row_errors and key in seen:
            row_errors.append(
                ("indicator", f"repeats line {seen[key]} (same region, month, indicator)")
            )
        seen.setdefault(key, line)
        errors += [{"row": line, "field": f, "message": m} for f, m in row_errors]
        if not row_errors:
            checked.append((code, period, values))
    if refused:
        raise Forbidden("; ".join(refused[:20]) + "; nothing was written", reason="region_scope")
    if errors:
        lines = sorted({e["row"] for e in errors})
        raise InvalidInput(
            f"{len(lines)} bad row(s) (lines {', '.join(map(str, lines[:20]))}); nothing was written",
            errors=errors[:1000],
        )
    if not checked:
        raise InvalidInput("no figures given", field="body")
    counts = {"created": 0, "revised": 0, "unchanged": 0}
    ids = []
    with transaction(write_sessions) as session:
        for code, period, values in checked:
            existing = repository.get_reported(
                session,
                region_code=code,
                period=period,
                indicator=values["indicator"],
                for_update=True,
            )
            figure, outcome = repository.write_reported(
                session,
                existing=existing,
                region_code=code,
                period=period,
                values=values,
                actor=writer.actor,
                request_id=writer.request_id,
                reason=reason,
            )
            counts[outcome] += 1
            ids.append(figure.id)
    return Outcome(
        len(checked), counts["created"], counts["revised"], counts["unchanged"], tuple(ids)
    )
