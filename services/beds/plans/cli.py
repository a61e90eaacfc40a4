"""``carecircle plan …``: plan indicators, compliance reports, reported figures, month closes.

Uses BEDS_DATABASE_URL (migrated first), FACILITIES_URL and COVERAGE_URL.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

plan = typer.Typer(
    help="Plan monitoring: every elderly-care target of the plans, per region, with its source line.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add ``carecircle plan`` to the ``carecircle`` app."""
    app.add_typer(plan, name="plan")


def _monitor() -> Any:
    from services.beds.cli import _state
    from services.beds.facilities_client import FacilitiesClient
    from services.beds.plans.coverage_client import CoverageClient
    from services.beds.plans.monitor import PlanMonitor

    settings, state = _state()
    monitor = PlanMonitor(
        read_sessions=state.read_sessions,
        write_sessions=state.write_sessions,
        facilities=FacilitiesClient(
            settings.facilities_url, timeout_s=settings.facilities_timeout_s
        ),
        coverage=CoverageClient(settings.coverage_url, timeout_s=settings.coverage_timeout_s),
    )
    return monitor, state


def _close(monitor: Any, state: Any) -> None:
    monitor.facilities.close()
    if monitor.coverage is not None:
        monitor.coverage.close()
    state.engine.dispose()


def _args(region: str, period: str) -> tuple[str, str]:
    from services.beds.levels import check_code
    from services.beds.periods import parse_period

    try:
        return check_code(region), parse_period(period)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _fail(exc: Any) -> None:
    typer.echo(f"error: {exc.detail}", err=True)
    for error in exc.extra.get("errors", [])[:1000]:
        typer.echo(
            f"  line {error.get('row', '-')}: {error['field']}: {error['message']}", err=True
        )
    raise typer.Exit(1)


@plan.command("indicators")
def indicators(
    region: str = typer.Option(..., help="12-digit code or 6-digit adcode"),
    period: str = typer.Option(..., help="YYYY-MM"),
    fmt: str = typer.Option("json", "--format", help="json (one list) or table"),
) -> None:
    """Every plan indicator of a region for a month, with the region's own targets (JSON list)."""
    from services.beds.plans.assessment import indicator_items
    from services.common.errors import CareError

    if fmt not in ("json", "table"):
        typer.echo("error: --format must be json or table", err=True)
        raise typer.Exit(2)
    code, month = _args(region, period)
    monitor, state = _monitor()
    try:
        items, figures = indicator_items(monitor, code, month)
    except CareError as exc:
        _fail(exc)
    finally:
        _close(monitor, state)
    if fmt == "json":
        typer.echo(json.dumps(items, ensure_ascii=False, indent=1))
        return
    from services.beds.plans.definitions import BY_ID
    from services.beds.plans.labels import number

    for item in items:
        definition = BY_ID[item["indicator"]]
        marks = " ".join(
            f"[{t['status']} {t['comparator']} {number(t['threshold'], definition.unit, 'en')} {t['target_year']}]"
            for t in item["targets"]
        )
        shown = number(item["value"], definition.unit, "en")
        if item["value"] is None:
            shown = f"— ({figures[item['indicator']].missing})"
        typer.echo(f"{item['indicator']:<45} {shown:>12}  {marks}")


@plan.command("report")
def report(
    region: str = typer.Option(..., help="12-digit code or 6-digit adcode"),
    period: str = typer.Option(..., help="YYYY-MM"),
    fmt: str = typer.Option("html", "--format", help="html, xlsx or csv"),
    lang: str = typer.Option("zh", help="zh (Chinese labels, default) or en"),
    out: Path | None = typer.Option(
        None,
        "--out",
        dir_okay=False,
        help="File to write (default: plan_report_<region>_<period>.<format>)",
    ),
) -> None:
    """A compliance report a bureau can submit: every target (binding first) with its quoted line."""
    from services.beds.plans.assessment import assess
    from services.beds.plans.report import filename, render
    from services.common.errors import CareError

    if fmt not in ("html", "xlsx", "csv"):
        typer.echo("error: --format must be html, xlsx or csv", err=True)
        raise typer.Exit(2)
    if lang not in ("zh", "en"):
        typer.echo("error: --lang must be zh or en", err=True)
        raise typer.Exit(2)
    code, month = _args(region, period)
    monitor, state = _monitor()
    try:
        body = assess(monitor, code, month)
    except CareError as exc:
        _fail(exc)
    finally:
        _close(monitor, state)
    content = render(body, fmt, lang)  # type: ignore[arg-type]
    path = out or Path(filename(body, fmt))  # type: ignore[arg-type]
    if str(path) == "-":
        sys.stdout.buffer.write(content)
        return
    path.write_bytes(content)
    counts = {
        s: sum(1 for t in body["targets"] if t["status"] == s)
        for s in ("met", "not_met", "no_data")
    }
    typer.echo(
        f"wrote {path}: {len(body['targets'])} targets ({counts['met']} met, {counts['not_met']} not met, "
        f"{counts['no_data']} no data), {len(body['indicators'])} indicators"
    )


@plan.command("import")
def import_reported(
    path: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="CSV: region_code,period,indicator,value,numerator,denominator,source[,note]",
    ),
) -> None:
    """Import figures districts report (all or nothing; re-importing changes nothing)."""
    from services.beds.plans.submissions import parse_csv, submit
    from services.beds.submissions import Writer
    from services.common.csv_files import decode_text
    from services.common.errors import CareError

    monitor, state = _monitor()
    try:
        outcome = submit(
            parse_csv(decode_text(path.read_bytes(), field="file")),
            client=monitor.facilities,
            write_sessions=state.write_sessions,
            writer=Writer(identity=None, require_identity=False, request_id=None),
            reason=f"import {path.name}",
        )
    except CareError as exc:
        _fail(exc)
    finally:
        _close(monitor, state)
    typer.echo(
        f"imported {path.name}: {outcome.rows} rows, {outcome.created} created, "
        f"{outcome.revised} revised, {outcome.unchanged} unchanged"
    )


@plan.command("snapshot")
def snapshot(
    region: str = typer.Option(..., help="12-digit code or 6-digit adcode"),
    period: str = typer.Option(..., help="YYYY-MM: the month being closed"),
) -> None:
    """Close a month: record the region's registry and coverage figures (they feed series and projections)."""
    from services.common.errors import CareError

    code, month = _args(region, period)
    monitor, state = _monitor()
    try:
        kept = monitor.record(code, month)
    except CareError as exc:
        _fail(exc)
    finally:
        _close(monitor, state)
    typer.echo(f"recorded {len(kept)} figures of {code} for {month}")


@plan.command("targets")
def targets(region: str = typer.Option("", help="Only this region's targets")) -> None:
    """Every seeded plan target with its comparator, year, kind and quoted line (JSON)."""
    from services.beds import repository
    from services.beds.cli import _state
    from services.beds.levels import check_code

    _settings, state = _state()
    try:
        with state.read_sessions() as session:
            rows = (
                repository.targets_for(session, [check_code(region)])
                if region
                else repository.all_targets(session)
            )
            items = [
                {c.name: getattr(r, c.name) for c in r.__table__.columns if c.name != "id"}
                for r in rows
            ]
    finally:
        state.engine.dispose()
    typer.echo(json.dumps(items, ensure_ascii=False, indent=1))


@plan.command("synth")
def synth(
    region: str = typer.Option(..., help="A district, or a region whose districts get facilities"),
    out: Path = typer.Option(
        ..., help="Folder for community_facilities.csv and reported.csv", file_okay=False
    ),
    period: str = typer.Option(..., help="YYYY-MM of the generated district reports"),
    seed: int = typer.Option(2026),
) -> None:
    """Write GENERATED community facilities and district reports for a real region (demo data, not real figures).

    Stations are linked to their street's centre (center_id) once the centres are in the
    registry: import community_facilities.csv, run this again, import it again.
    """
    from shapely.geometry import shape

    from services.beds.cli import _settings
    from services.beds.facilities_client import FacilitiesClient
    from services.beds.plans.synth import (
        FACILITY_COLUMNS,
        REPORTED_COLUMNS,
        Area,
        facilities,
        reported,
    )
    from services.beds.synth import write_csv

    code, month = _args(region, period)
    settings = _settings()
    with FacilitiesClient(settings.facilities_url, timeout_s=60) as client:
        own = client.region(code, geometry=True)
        if own is None:
            typer.echo(f"error: region {code} is not in the facilities service", err=True)
            raise typer.Exit(1)
        below = client.region_descendants(code)
        districts = (
            [own]
            if own["level"] == "district"
            else [
                r
                for r in client.region_descendants(code, geometry=True)
                if r["level"] == "district"
            ]
        )
        snapshot = client.snapshot(region=code) or []
    centres = {f["external_id"]: int(f["id"]) for f in snapshot if f["type"] == "care_center"}
    areas = [
        Area(
            d["code"],
            d["name"],
            shape(d["geometry"]),
            tuple(
                (u["code"], u["name"], u["kind"])
                for u in below
                if u["code"].startswith(d["code"][:6]) and u.get("kind")
            ),
        )
        for d in districts
        if d.get("geometry")
    ]
    if not areas or not any(a.units for a in areas):
        typer.echo(
            f"no districts with boundaries and street/community units under {code}", err=True
        )
        raise typer.Exit(1)
    rows = facilities(areas, seed=seed, centres=centres)
    write_csv(out / "community_facilities.csv", FACILITY_COLUMNS, rows)
    write_csv(
        out / "reported.csv", REPORTED_COLUMNS, reported([a.code for a in areas], month, seed=seed)
    )
    linked = sum(1 for r in rows if r["center_id"] != "")
    typer.echo(
        f"wrote {len(rows)} generated community facilities in {sum(len(a.units) for a in areas)} "
        f"streets/communities to {out / 'community_facilities.csv'} ({linked} stations linked to a centre) "
        f"and {len(areas)} districts' generated reports to {out / 'reported.csv'}"
    )
