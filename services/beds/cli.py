"""``carecircle beds …`` commands: import reports, print indicators and compliance."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from services.beds.facilities_client import FacilitiesClient
    from services.beds.rollups import Rollups
    from services.beds.settings import BedsSettings
    from services.common.state import ServiceState

beds = typer.Typer(
    help="Bed reports, plan indicators and compliance (uses BEDS_DATABASE_URL and FACILITIES_URL).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this service's commands to the ``carecircle`` app."""
    app.add_typer(beds, name="beds")


@contextmanager
def _clean_errors() -> Iterator[None]:
    """A bad argument, an unknown region or an unreachable registry is one line on stderr
    and exit code 2 (a usage error), never a traceback."""
    from services.common.errors import CareError

    try:
        yield
    except CareError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _settings() -> BedsSettings:
    from services.beds.settings import BedsSettings

    return BedsSettings(database_url=os.environ.get("BEDS_DATABASE_URL", ""))


def _state() -> tuple[BedsSettings, ServiceState[BedsSettings]]:
    from services.common import migrate
    from services.common.state import ServiceState

    settings = _settings()
    migrate.upgrade("beds", settings.resolved_database_url())
    return settings, ServiceState.from_settings(settings)


@beds.command("import")
def import_reports(
    path: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="CSV: facility_external_id,period,total_beds,nursing_beds,"
        "dementia_beds,occupied_beds[,family_beds]",
    ),
) -> None:
    """Import bed reports, all or nothing; every bad row is named and nothing is written then."""
    from services.beds.facilities_client import FacilitiesClient
    from services.beds.submissions import Writer, import_csv
    from services.common.csv_files import decode_text
    from services.common.errors import CareError

    settings, state = _state()
    try:
        with FacilitiesClient(
            settings.facilities_url, timeout_s=settings.facilities_timeout_s
        ) as client:
            result = import_csv(
                decode_text(path.read_bytes(), field="file"),
                client=client,
                write_sessions=state.write_sessions,
                writer=Writer(identity=None, require_identity=False, request_id=None),
            )
    except CareError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        for error in exc.extra.get("errors", [])[:1000]:
            typer.echo(
                f"  line {error.get('row', '-')}: {error['field']}: {error['message']}", err=True
            )
        raise typer.Exit(1) from exc
    finally:
        state.engine.dispose()
    typer.echo(
        f"imported {path.name}: {result.rows} rows, {result.created} created, {result.revised} revised, "
        f"{result.unchanged} unchanged"
    )


def _rollups(
    settings: BedsSettings, state: ServiceState[BedsSettings]
) -> tuple[FacilitiesClient, Rollups]:
    from services.beds.facilities_client import FacilitiesClient
    from services.beds.rollups import Rollups

    client = FacilitiesClient(settings.facilities_url, timeout_s=settings.facilities_timeout_s)
    return client, Rollups(
        read_sessions=state.read_sessions,
        write_sessions=state.write_sessions,
        client=client,
        region_ttl_s=settings.region_cache_ttl_s,
    )


@beds.command("indicators")
def indicators(
    region: str = typer.Option(..., help="12-digit code or 6-digit adcode"),
    period: str = typer.Option(..., help="YYYY-MM"),
) -> None:
    """Print a region's indicators for a month as JSON."""
    from services.beds.levels import check_code
    from services.beds.periods import parse_period

    settings, state = _state()
    client, rollups = _rollups(settings, state)
    try:
        with _clean_errors():
            body = rollups.region_indicators(check_code(region), parse_period(period))
    finally:
        client.close()
        state.engine.dispose()
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2, default=str))


@beds.command("compliance")
def compliance(
    region: str = typer.Option(..., help="12-digit code or 6-digit adcode"),
    period: str = typer.Option(..., help="YYYY-MM"),
    as_csv: bool = typer.Option(False, "--csv", help="CSV instead of a readable table"),
) -> None:
    """Print a region's compliance report against its plan targets."""
    from services.beds.api import compliance_csv
    from services.beds.levels import check_code
    from services.beds.periods import parse_period

    settings, state = _state()
    client, rollups = _rollups(settings, state)
    try:
        with _clean_errors():
            report = rollups.compliance(check_code(region), parse_period(period))
    finally:
        client.close()
        state.engine.dispose()
    if as_csv:
        typer.echo(compliance_csv(report), nl=False)
        return
    typer.echo(
        f"{report['region_name'] or ''} {report['region']} — {report['period']} "
        f"({report['totals']['facilities']} facilities, {report['totals']['total_beds']:,} beds)"
    )
    for item in report["items"]:
        flag = {True: "MET    ", False: "NOT MET", None: "NO DATA"}[item["met"]]
        kind = {True: "binding", False: "expected", None: "kind not stated"}[item["binding"]]
        scope = "" if item["scope"] == "own" else f" [from {item['target_region']}]"
        typer.echo(
            f"  {flag} {item['indicator']} {item['comparator']} {item['threshold']:g} ({kind}, "
            f"{item['target_year']}){scope}: {item['message']}"
        )
        for child in item["worst_children"]:
            typer.echo(
                f"           below target: {child['region']} {child['region_name'] or ''} {_value(item['indicator'], child['value'])}"
            )


@beds.command("synth")
def synth(
    region: str = typer.Option(
        ...,
        help="A district, or a region whose districts get generated facilities (code or adcode)",
    ),
    out: Path = typer.Option(..., help="Folder for facilities.csv and beds.csv", file_okay=False),
    first: str = typer.Option(..., "--from", help="First month, YYYY-MM"),
    last: str = typer.Option(..., "--to", help="Last month, YYYY-MM"),
    beds_per_1000: float = typer.Option(30.0, help="Average beds per 1,000 elderly to generate"),
    seed: int = typer.Option(2026),
) -> None:
    """Write GENERATED facilities and bed reports for a real region's districts (demo data, not real figures)."""
    from services.beds.facilities_client import FacilitiesClient
    from services.beds.levels import check_code
    from services.beds.periods import parse_period, periods_between
    from services.beds.synth import BED_COLUMNS, FACILITY_COLUMNS, District, synthesize, write_csv

    settings = _settings()
    with _clean_errors(), FacilitiesClient(settings.facilities_url, timeout_s=30) as client:
        code = check_code(region)
        own = client.region(code, geometry=True)
        regions = (
            [own]
            if own and own["level"] == "district"
            else client.region_descendants(code, geometry=True)
        )
    districts = [
        District.from_region(r) for r in regions if r["level"] == "district" and r.get("geometry")
    ]
    if not districts:
        typer.echo(
            f"no districts with boundaries under {region} in the facilities service", err=True
        )
        raise typer.Exit(1)
    with _clean_errors():
        months = periods_between(parse_period(first), parse_period(last))
    facilities, beds_rows = synthesize(districts, months, beds_per_1000=beds_per_1000, seed=seed)
    write_csv(out / "facilities.csv", FACILITY_COLUMNS, facilities)
    write_csv(out / "beds.csv", BED_COLUMNS, beds_rows)
    typer.echo(
        f"wrote {len(facilities)} generated facilities in {len(districts)} districts to {out / 'facilities.csv'} "
        f"and {len(beds_rows)} bed reports to {out / 'beds.csv'}"
    )


def _value(indicator: str, value: float | None) -> str:
    if value is None:
        return "no data"
    if indicator.endswith(("_share", "_rate")):
        return f"{value * 100:.1f} %"
    return f"{value:,.1f}"
