"""``carecircle`` commands of the coverage service.

``carecircle coverage --network PATH --stations PATH --demand PATH --minutes 15
--speed 1.0 --out RESULT.csv`` is the stable interface for outside checks: a
tqdm progress bar on stderr, one CSV row per demand point, and the LAST stdout
line is one JSON object with the summary (same numbers as the API).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add this service's commands to the ``carecircle`` app."""
    app.command(name="coverage")(coverage)


def coverage(
    network: Path = typer.Option(
        ..., help=".osm.pbf, GeoJSON/GPKG LineStrings (WGS84), or a saved .npz"
    ),
    stations: Path = typer.Option(..., help="GeoJSON Points or CSV lon,lat,id (optional type)"),
    demand: Path = typer.Option(..., help="GeoJSON Points or CSV lon,lat,id,elderly"),
    minutes: float = typer.Option(15.0, help="Size of the care circle in minutes."),
    speed: float = typer.Option(1.0, help="Walking speed in m/s (1.0 elderly pace; 0.8 frail)."),
    out: Path = typer.Option(..., help="RESULT.csv: id,elderly,minutes,nearest_station"),
    mode: str = typer.Option("walk", help="walk or drive (drive: speeds by road class, oneway)."),
    max_snap_m: float = typer.Option(
        500.0, help="Points farther than this from the network are reported."
    ),
    max_segment_m: float = typer.Option(
        0.0,
        help="Cut straight edges longer than this (m) so points snap near long rural roads; 0 = off.",
    ),
    skip_far_stations: bool = typer.Option(
        False, help="Report and skip stations off the network instead of failing."
    ),
) -> None:
    """Minutes from every demand point to its nearest station along the street network."""
    from tqdm import tqdm

    from services.coverage.circles import compute_coverage
    from services.coverage.loaders import load_network, read_points

    bar = tqdm(total=100, file=sys.stderr, desc="coverage", unit="%")

    def progress(pct: float, msg: str) -> None:
        bar.set_postfix_str(msg)
        bar.update(max(0.0, pct - bar.n))

    try:
        if mode not in ("walk", "drive"):
            raise ValueError("mode must be walk or drive")
        progress(0, "loading network")
        net = load_network(network, kind=mode, max_segment_m=max_segment_m or None)
        st = read_points(stations, "stations")
        dm = read_points(demand, "demand", need_elderly=True)
        result = compute_coverage(
            net,
            st,
            dm,
            minutes=minutes,
            speed_mps=speed,
            max_snap_m=max_snap_m,
            skip_far_stations=skip_far_stations,
            progress=progress,
        )
    except ValueError as exc:
        bar.close()
        typer.echo(f"error: {exc}", err=True)
        typer.echo(json.dumps({"error": str(exc)}))
        raise typer.Exit(2) from None
    bar.close()
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "elderly", "minutes", "nearest_station"])
        for pid, eld, m, s in zip(
            result.demand_ids, result.elderly, result.minutes, result.nearest_station, strict=True
        ):
            w.writerow([pid, _number(eld), "" if m != m else repr(float(m)), s or ""])
    typer.echo(json.dumps(result.summary, ensure_ascii=False))


def _number(value: float) -> str:
    """Counts as written by people: 12 rather than 12.0; fractions exactly (repr)."""
    v = float(value)
    return str(int(v)) if v.is_integer() else repr(v)
