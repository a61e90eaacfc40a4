"""Writing bed reports: check the facility over HTTP, then write in one transaction.

The facilities call happens before the write transaction opens, so a slow
registry never holds a database lock, and a registry that is down means 503
with nothing written. Every write adds a revision row; nothing is overwritten
without trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.beds import repository
from services.beds.csv_import import CsvRow, RowError, parse_bed_csv
from services.beds.facilities_client import FacilitiesClient
from services.beds.figures import FacilityFacts, FamilyBedCount, Figures
from services.beds.models import BedReport
from services.common.db import transaction
from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
)
from services.common.identity import Identity
from services.common.validation import row_number

REPORTING_STATUSES = ("active",)
IMPORT_ATTEMPTS = 2


@dataclass(frozen=True)
class Writer:
    """Who writes and under which request (kept in every revision)."""

    identity: Identity | None
    require_identity: bool
    request_id: str | None

    @property
    def actor(self) -> str:
        return f"{self.identity.role}:{self.identity.subject}" if self.identity else "anonymous"

    def require_caller(self) -> None:
        """401 for an anonymous caller where identities are required, before anything else
        (the registry is not asked, the body not parsed, on behalf of nobody)."""
        if self.identity is None and self.require_identity:
            raise Unauthorized("writing bed reports needs a gateway-signed identity")

    def check(self, facts: FacilityFacts, what: str = "") -> None:
        """Refuse a write the caller may not make (401/403, naming why)."""
        if self.identity is None:
            self.require_caller()
            return
        reason = self.refusal(facts)
        if reason:
            raise Forbidden(reason + what)

    def refusal(self, facts: FacilityFacts) -> str | None:
        identity = self.identity
        if identity is None or identity.role == "admin":
            return None
        if identity.role == "operator":
            if facts.facility_id in identity.facility_ids:
                return None
            return f"operator {identity.subject} does not run facility {facts.facility_id}"
        if identity.role == "official":
            if identity.covers_region(facts.region_code):
                return None
            return f"facility {facts.facility_id} (region {facts.region_code}) is outside official {identity.subject}'s region {identity.region_code}"
        return f"role {identity.role} may not write bed reports"


def checked_facility(
    client: FacilitiesClient,
    facility_id: int,
    *,
    require_active: bool = True,
    field: str = "body.facility_id",
) -> FacilityFacts:
    """The facility as the registry has it now; 422 if it does not exist (or, for new reports, is not active).

    Corrections of past months are allowed for a facility closed since: the
    report was valid when it was made.
    """
    body = client.facility(facility_id)
    if body is None:
        raise InvalidInput(
            f"facility {facility_id} does not exist in the facilities registry", field=field
        )
    facts = FacilityFacts.from_facility(body)
    if require_active and facts.status not in REPORTING_STATUSES:
        raise InvalidInput(
            f"facility {facility_id} is {facts.status}; only active facilities report beds",
            field="body.facility_id",
        )
    return facts


def figures_with_family(
    values: dict[str, Any], facts: FacilityFacts, family: list[FamilyBedCount] | None
) -> Figures:
    """Figures whose family beds sit in the homes' regions (the facility's region by default)."""
    items: list[FamilyBedCount] = list(family or [])
    if not items and values.get("family_beds"):
        if facts.region_code is None:
            raise InvalidInput(
                "family_beds need a region: the facility has none; give family_beds_by_region",
                field="body.family_beds",
            )
        items = [FamilyBedCount(facts.region_code, int(values["family_beds"]))]
    return Figures(
        total_beds=values["total_beds"],
        nursing_beds=values["nursing_beds"],
        dementia_beds=values["dementia_beds"],
        occupied_beds=values["occupied_beds"],
        family=tuple(items),
    )


def check_family_regions(client: FacilitiesClient, family: list[FamilyBedCount] | None) -> None:
    """422 naming each family-bed region the registry does not know (homes must be somewhere real)."""
    errors = [
        {
            "field": f"body.family_beds_by_region.{index}.region_code",
            "message": f"region {item.region_code} is not in the region registry",
        }
        for index, item in enumerate(family or [])
        if client.region(item.region_code) is None
    ]
    if errors:
        raise InvalidInput("; ".join(e["message"] for e in errors), errors=errors)


def create(
    session: Session,
    *,
    period: str,
    figures: Figures,
    facts: FacilityFacts,
    writer: Writer,
    reason: str | None,
) -> BedReport:
    """A new report; 409 when the facility already reported this period (correct it instead)."""
    existing = repository.get_report(session, facility_id=facts.facility_id, period=period)
    if existing is not None:
        raise Conflict(
            f"facility {facts.facility_id} already reported {period} (version {existing.version}); "
            f"correct it with PUT /api/v1/beds/reports/{facts.facility_id}/{period} and If-Match",
            current_version=existing.version,
        )
    try:
        with session.begin_nested():
            return repository.create_report(
                session,
                period=period,
                figures=figures,
                facts=facts,
                actor=writer.actor,
                request_id=writer.request_id,
                reason=reason,
            )
    except IntegrityError as exc:  # a concurrent writer got there first
        raise Conflict(f"facility {facts.facility_id} already reported {period}") from exc


def parse_if_match(value: str | None) -> int:
    """The version an ``If-Match`` header names (``"3"`` or ``W/"3"``); 428 without one."""
    if value is None or not value.strip():
        raise PreconditionRequired(
            "corrections need If-Match with the report's ETag (GET it first)"
        )
    text = value.strip().removeprefix("W/").strip('"')
    try:
        return row_number(text)
    except ValueError:
        raise InvalidInput(
            f'If-Match must be an ETag like "3", got {value!r}', field="header.If-Match"
        ) from None


def correct(
    session: Session,
    *,
    period: str,
    figures: Figures,
    facts: FacilityFacts,
    writer: Writer,
    expected_version: int,
    reason: str | None,
) -> BedReport:
    """A new revision of an existing report, only if nobody revised it since ``expected_version``."""
    report = repository.get_report(
        session, facility_id=facts.facility_id, period=period, for_update=True
    )
    if report is None:
        raise NotFound(f"facility {facts.facility_id} has no report for {period}; POST one first")
    if report.version != expected_version:
        raise PreconditionFailed(
            f"report changed since version {expected_version}; it is at version {report.version}",
            current_version=report.version,
        )
    return repository.revise_report(
        session,
        report,
        figures=figures,
        facts=facts,
        actor=writer.actor,
        request_id=writer.request_id,
        reason=reason,
    )


# --- bulk CSV ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    rows: int
    created: int
    revised: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "revised": self.revised,
            "unchanged": self.unchanged,
        }


def _resolve(
    client: FacilitiesClient, rows: list[CsvRow]
) -> dict[tuple[str, str | None], list[dict[str, Any]]]:
    """Facilities per (external_id, source), asking only for the ids the file names
    (batched, one pass per source named), never for the whole registry (issue 13, item 6)."""
    keys = {(row.facility_external_id, row.source) for row in rows}
    by_source: dict[str | None, set[str]] = {}
    for external_id, source in keys:
        by_source.setdefault(source, set()).add(external_id)
    found = {
        source: client.facilities_by_external_ids(sorted(ids), source)
        for source, ids in by_source.items()
    }
    return {key: found[key[1]].get(key[0], []) for key in keys}


def _facts_for_rows(
    client: FacilitiesClient, rows: list[CsvRow], writer: Writer
) -> tuple[dict[int, FacilityFacts], list[RowError]]:
    found = _resolve(client, rows)
    facts: dict[int, FacilityFacts] = {}
    errors: list[RowError] = []
    family_codes = {row.family_region_code for row in rows if row.family_region_code}
    unknown_codes = {code for code in family_codes if client.region(code) is None}
    for row in rows:
        if row.family_region_code in unknown_codes:
            errors.append(
                RowError(
                    row.line,
                    "family_region_code",
                    f"region {row.family_region_code} is not in the region registry",
                )
            )
            continue
        matches = found[(row.facility_external_id, row.source)]
        if not matches:
            errors.append(
                RowError(
                    row.line,
                    "facility_external_id",
                    f"no facility with external id {row.facility_external_id!r} in the facilities registry",
                )
            )
            continue
        if len(matches) > 1:
            sources = ", ".join(sorted(str(m.get("source")) for m in matches))
            errors.append(
                RowError(
                    row.line,
                    "facility_external_id",
                    f"external id {row.facility_external_id!r} exists in several sources ({sources}); add a source column",
                )
            )
            continue
        fact = FacilityFacts.from_facility(matches[0])
        if fact.status not in REPORTING_STATUSES:
            errors.append(
                RowError(
                    row.line,
                    "facility_external_id",
                    f"facility {row.facility_external_id!r} is {fact.status}; only active facilities report beds",
                )
            )
            continue
        refusal = writer.refusal(fact)
        if refusal:
            errors.append(RowError(row.line, "facility_external_id", refusal))
            continue
        if row.family_beds and fact.region_code is None and row.family_region_code is None:
            errors.append(
                RowError(
                    row.line,
                    "family_beds",
                    "family_beds need a region: the facility has none; add family_region_code",
                )
            )
            continue
        facts[row.line] = fact
    return facts, errors


def import_csv(
    text: str, *, client: FacilitiesClient, write_sessions: sessionmaker[Session], writer: Writer
) -> ImportResult:
    """Import every row or none; a 422 lists every bad row (line, field, message)."""
    if writer.identity is None and writer.require_identity:
        raise Unauthorized("importing bed reports needs a gateway-signed identity")
    rows, errors = parse_bed_csv(text)
    facts: dict[int, FacilityFacts] = {}
    if rows:
        facts, lookup_errors = _facts_for_rows(client, rows, writer)
        errors += lookup_errors
    if errors:
        errors.sort(key=lambda e: e.line)
        lines = sorted({e.line for e in errors})
        raise InvalidInput(
            f"{len(lines)} bad row(s) (lines {', '.join(map(str, lines[:20]))}{' …' if len(lines) > 20 else ''}); nothing was imported",
            errors=[e.as_dict() for e in errors],
        )
    if not rows:
        raise InvalidInput("the file has no rows", field="file")
    for attempt in range(IMPORT_ATTEMPTS):
        try:
            return _write_rows(rows, facts, write_sessions=write_sessions, writer=writer)
        except IntegrityError as exc:
            # A concurrent import or POST wrote one of these months first (PostgreSQL: both
            # saw no report). Everything rolled back; a second pass revises instead of creating.
            if attempt == IMPORT_ATTEMPTS - 1:
                raise Conflict(
                    "another writer reported some of these months at the same time; "
                    "nothing was imported, retry"
                ) from exc
    raise AssertionError("unreachable")


def _write_rows(
    rows: list[CsvRow],
    facts: dict[int, FacilityFacts],
    *,
    write_sessions: sessionmaker[Session],
    writer: Writer,
) -> ImportResult:
    """All rows in one transaction: new months created in bulk, changed ones revised."""
    revised = unchanged = 0
    new: list[tuple[str, Figures, FacilityFacts]] = []
    with transaction(write_sessions) as session:
        existing = repository.reports_for(
            session, [(facts[r.line].facility_id, r.period) for r in rows]
        )
        for row in rows:
            fact = facts[row.line]
            family_region = row.family_region_code or fact.region_code
            family = (
                (FamilyBedCount(family_region, row.family_beds),)
                if row.family_beds and family_region
                else ()
            )
            figures = Figures(
                row.total_beds, row.nursing_beds, row.dementia_beds, row.occupied_beds, family
            )
            report = existing.get((fact.facility_id, row.period))
            if report is None:
                new.append((row.period, figures, fact))
            elif _same(session, report, figures, fact):
                unchanged += 1
            else:
                repository.revise_report(
                    session,
                    report,
                    figures=figures,
                    facts=fact,
                    actor=writer.actor,
                    request_id=writer.request_id,
                    reason="csv import",
                )
                revised += 1
        created = repository.create_reports(
            session, new, actor=writer.actor, request_id=writer.request_id, reason="csv import"
        )
    return ImportResult(rows=len(rows), created=created, revised=revised, unchanged=unchanged)


def _same(session: Session, report: BedReport, figures: Figures, fact: FacilityFacts) -> bool:
    current = (
        report.total_beds,
        report.nursing_beds,
        report.dementia_beds,
        report.occupied_beds,
        report.region_code,
        report.operation_mode,
        report.facility_type,
    )
    wanted = (
        figures.total_beds,
        figures.nursing_beds,
        figures.dementia_beds,
        figures.occupied_beds,
        fact.region_code,
        fact.operation_mode,
        fact.type,
    )
    if current != wanted:
        return False
    family = {(f.region_code, f.beds) for f in repository.family_rows(session, report_id=report.id)}
    return family == {(f.region_code, f.beds) for f in figures.family if f.beds}
