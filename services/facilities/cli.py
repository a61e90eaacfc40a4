"""``carecircle facilities …`` and ``carecircle regions …`` commands (FACILITIES_DATABASE_URL, migrated first)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

facilities_app = typer.Typer(
    help="The care-facility registry: bulk import and export.", no_args_is_help=True
)
regions_app = typer.Typer(
    help="Administrative regions: import, build from Chinese open data.", no_args_is_help=True
)


def _session_factory() -> Any:
    """A write-session factory on the migrated facilities database (FACILITIES_DATABASE_URL or ./var)."""
    from services.common.db import make_engine, make_session_factory
    from services.common.migrate import upgrade
    from services.facilities.settings import FacilitiesSettings

    url = FacilitiesSettings().resolved_database_url()
    upgrade("facilities", url)
    return make_session_factory(make_engine(url), write=True)


def _fail_on_errors(exc: Any) -> None:
    typer.echo(f"error: {exc.detail}", err=True)
    for item in exc.extra.get("errors", []):
        typer.echo(
            f"  row {item.get('row')}: {item.get('field') or '-'}: {item.get('message')}", err=True
        )
    raise typer.Exit(code=1)


@facilities_app.command("import")
def import_facilities(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .csv or .geojson file."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and count; write nothing."),
    file_format: str = typer.Option(
        "", "--format", help="csv or geojson (default: from the file name)."
    ),
    source: str = typer.Option("registry", help="Source of rows that do not name one."),
    crs: str = typer.Option("wgs84", help="CRS of the coordinates: wgs84, gcj02 or bd09."),
    allow_outside_region: bool = typer.Option(
        False, "--allow-outside-region", help="Keep declared region codes."
    ),
) -> None:
    """Import facilities (validated first, all-or-nothing, upsert by source + external_id)."""
    import orjson

    from services.common.db import transaction
    from services.common.errors import InvalidInput
    from services.facilities import bulk, registry

    fmt = file_format or bulk.format_from_path(str(path))
    options = bulk.ImportOptions(
        dry_run=dry_run, default_source=source, crs=crs, allow_outside_region=allow_outside_region
    )
    try:
        with transaction(_session_factory()) as session:
            report = bulk.import_facilities(
                session,
                bulk.decode(path.read_bytes()),
                fmt,  # type: ignore[arg-type]
                options=options,
                actor=registry.Actor("cli"),
            )
    except InvalidInput as exc:
        _fail_on_errors(exc)
    typer.echo(orjson.dumps(report).decode())


@facilities_app.command("export")
def export_facilities(
    path: Path = typer.Argument(
        ..., dir_okay=False, help="Where to write (.csv or .geojson); - for stdout."
    ),
    file_format: str = typer.Option(
        "", "--format", help="csv or geojson (default: from the file name)."
    ),
    crs: str = typer.Option("wgs84", help="CRS of the coordinates written."),
) -> None:
    """Export every facility (streamed in batches)."""
    from services.facilities import bulk

    fmt = file_format or ("csv" if str(path) == "-" else bulk.format_from_path(str(path)))
    to_file = str(path) != "-"  # a file people open gets the BOM; stdout is for programs
    chunks = bulk.export_chunks(_session_factory(), fmt=fmt, crs=crs, bom=to_file)  # type: ignore[arg-type]
    if str(path) == "-":
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        return
    with path.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    typer.echo(f"wrote {path}")


@regions_app.command("import")
def import_regions(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="GeoJSON (or CSV) of regions."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and count; write nothing."),
    crs: str = typer.Option("wgs84", help="CRS of the boundaries: wgs84, gcj02 or bd09."),
) -> None:
    """Import regions (properties code, name, level, parent_code, population, elderly_60plus, …)."""
    import orjson

    from services.common.db import transaction
    from services.common.errors import InvalidInput
    from services.facilities import bulk, bulk_regions

    fmt: bulk.Format = "csv" if path.suffix.lower() == ".csv" else "geojson"
    try:
        with transaction(_session_factory()) as session:
            report = bulk_regions.import_regions(
                session, bulk.decode(path.read_bytes()), fmt, dry_run=dry_run, crs=crs
            )
    except InvalidInput as exc:
        _fail_on_errors(exc)
    typer.echo(orjson.dumps(report).decode())


@regions_app.command("population")
def import_population(
    path: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="CSV: code,source and any of population,elderly_60plus,elderly_65plus,households,year.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and count; write nothing."),
) -> None:
    """Set population figures of loaded regions (e.g. elderly per street), all or nothing, with their source."""
    import orjson

    from services.common.db import transaction
    from services.common.errors import InvalidInput
    from services.facilities import bulk, region_population

    try:
        with transaction(_session_factory()) as session:
            report = region_population.import_population(
                session, bulk.decode(path.read_bytes()), dry_run=dry_run
            )
    except InvalidInput as exc:
        _fail_on_errors(exc)
    typer.echo(orjson.dumps(report).decode())


@regions_app.command("build-cn")
def build_cn(
    boundaries: list[Path] = typer.Option(
        ...,
        "--boundaries",
        exists=True,
        help="District/city FeatureCollection(s) with an adcode property, or a "
        "folder of <adcode>.geojson files. Repeatable.",
    ),
    census: Path | None = typer.Option(
        None,
        "--census",
        exists=True,
        dir_okay=False,
        help="County census CSV (区划代码, pop_60plus, pop_65plus, …).",
    ),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="The regions GeoJSON to write."),
    crs: str = typer.Option("wgs84", help="CRS of the boundaries (gcj02 for Amap data)."),
    year: int = typer.Option(2020, help="Year of the census figures."),
    codes: tuple[Path, Path] | None = typer.Option(
        None,
        "--codes",
        exists=True,
        dir_okay=False,
        help="Two cn-admin-codes CSVs: STREETS.csv VILLAGES.csv (streets/towns and "
        "communities/villages below the districts; no boundaries, kind from the name).",
    ),
) -> None:
    """Convert Chinese boundaries + census (+ street and village codes) into the `carecircle regions import` format."""
    import orjson

    from services.facilities.cn_regions import build_cn_regions

    try:
        collection = build_cn_regions(boundaries, census, crs=crs, year=year, codes=codes or ())
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    out.write_bytes(orjson.dumps(collection))
    levels: dict[str, int] = {}
    for feature in collection["features"]:
        levels[feature["properties"]["level"]] = levels.get(feature["properties"]["level"], 0) + 1
    typer.echo(
        f"wrote {len(collection['features'])} regions to {out}: "
        + ", ".join(f"{n} {level}" for level, n in levels.items())
    )


def register(app: typer.Typer) -> None:
    """Add this service's commands to the ``carecircle`` app."""
    app.add_typer(facilities_app, name="facilities")
    app.add_typer(regions_app, name="regions")
