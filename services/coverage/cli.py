"""``carecircle`` commands of the coverage service: ``coverage`` and ``synth city``.

``carecircle coverage --network PATH --stations PATH --demand PATH --minutes 15
--speed 1.0 --out RESULT.csv|.parquet|.gpkg|.geojson`` is the stable interface for
outside checks: one row per demand point (``id,elderly,minutes,nearest_station,lon,lat,
covered``), progress lines on stderr (``--verbose``: the time of each stage), and the
LAST stdout line is one JSON object with the summary (same numbers as the API).

``carecircle synth city --nodes N --seed S --out DIR`` writes a generated city in the
coverage command's input formats (see :mod:`services.coverage.synth`).

Heavy libraries are imported inside the commands, so ``carecircle --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import typer

OUT_FORMATS = (".csv", ".parquet", ".gpkg", ".geojson")  # result_files.FORMATS, checked early
GDAL_SUFFIXES = (".gpkg", ".geojson", ".json", ".fgb", ".shp")


def register(app: typer.Typer) -> None:
    """Add this service's commands to the ``carecircle`` app."""
    app.command(name="coverage")(coverage)
    app.command(name="coverage-regions")(coverage_regions)
    synth = typer.Typer(help="Generated (seeded) inputs for benchmarks and checks.")
    synth.command(name="city")(synth_city)
    app.add_typer(synth, name="synth")


class Stages:
    """Wall time of each stage (s), for ``--verbose`` and the benchmarks."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.times: dict[str, float] = {}
        self._open: str | None = None  # the compute stage running now
        started = process_age_s()
        self.last, self.last_cpu = time.perf_counter(), time.process_time()
        if started is not None:
            self.times["process start to command"] = started

    def done(self, stage: str, note: str = "") -> None:
        now, cpu = time.perf_counter(), time.process_time()
        took = now - self.last
        self.times[stage] = self.times.get(stage, 0.0) + took
        used, self.last, self.last_cpu = cpu - self.last_cpu, now, cpu
        if self.verbose:
            rss = memory_mb()
            typer.echo(
                f"coverage: {stage} {took:.3f} s (cpu {used:.3f} s) {note} "
                f"[RSS {rss[0]:.0f} MB, peak {rss[1]:.0f} MB]",
                err=True,
            )

    def progress(self, pct: float | None, msg: str) -> None:
        """compute_coverage's callback: each message opens a stage, the next one closes it
        (``stage [3/8 partitions]`` counts tasks inside the stage ``stage``)."""
        stage = msg.split(" [", 1)[0]
        if self._open is not None and stage != self._open:
            self.done(self._open)
        self._open = None if msg == "written" else stage
        typer.echo(f"coverage: {msg}" if pct is None else f"coverage: {pct:3.0f}% {msg}", err=True)

    def report(self) -> None:
        if self.verbose:
            total = sum(self.times.values())
            rows = "  ".join(f"{k} {v:.3f}" for k, v in self.times.items())
            typer.echo(f"coverage: stages (s): {rows}  total {total:.3f}", err=True)
            peak = memory_mb()[1]
            typer.echo(
                "coverage stages_s " + json.dumps({**self.times, "peak_rss_mb": peak}), err=True
            )


def memory_mb() -> tuple[float, float]:
    """(resident, peak resident) memory of this process in MB (Linux /proc; 0 elsewhere)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0, 0.0
    kb = {
        line.split(":")[0]: float(line.split()[1])
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return kb.get("VmRSS", 0.0) / 1024, kb.get("VmHWM", 0.0) / 1024


def process_age_s() -> float | None:
    """Seconds since this process started (Linux /proc; None elsewhere): interpreter
    start-up and imports count towards the run, as a user sees it."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, uptime - started)


def return_freed_memory() -> None:
    """Make freed large arrays go back to the system at once (glibc, Arrow).

    glibc raises its mmap threshold each time a large block is freed, so later temporary
    arrays come from the heap and stay in the process's resident memory; a fixed 128 KB
    threshold (as MALLOC_MMAP_THRESHOLD_ does) returns each one when it is freed. Arrow's
    tables use the same system allocator here. Peak memory is then what is alive at once.
    """
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return
    libc.mallopt(-3, 1 << 17)  # M_MMAP_THRESHOLD
    libc.mallopt(-1, 1 << 17)  # M_TRIM_THRESHOLD
    libc.mallopt(-8, 2)  # M_ARENA_MAX: two threads work at once
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def import_pyogrio_without_dataframes() -> None:
    """Import pyogrio without pandas/geopandas (0.2 s and 70 MB we do not use: our files
    go through Arrow). Only in this CLI process, before anything imports geopandas;
    pyogrio's DataFrame functions are then unavailable here, its Arrow ones work."""
    if "pyogrio" in sys.modules or "geopandas" in sys.modules:
        return
    blocked = [m for m in ("geopandas", "pandas") if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]  # makes `import m` fail fast
    try:
        import pyogrio  # noqa: F401
    finally:
        for m in blocked:
            if sys.modules.get(m) is None:
                del sys.modules[m]


def coverage(
    network: Path = typer.Option(
        ...,
        help=".osm.pbf, LineStrings (.gpkg, .geojson, GeoParquet; WGS84 or a UTM zone), "
        "or a saved .npz",
    ),
    stations: Path = typer.Option(
        ..., help="GeoJSON/GeoPackage/GeoParquet Points or CSV id,lon,lat"
    ),
    demand: Path = typer.Option(
        ..., help="CSV id,lon,lat,elderly, or GeoParquet/GeoPackage/GeoJSON Points with elderly"
    ),
    minutes: float = typer.Option(15.0, help="Size of the care circle in minutes."),
    speed: float = typer.Option(1.0, help="Walking speed in m/s (1.0 elderly pace; 0.8 frail)."),
    out: Path = typer.Option(
        ..., help="RESULT.csv, .parquet (GeoParquet), .gpkg or .geojson: one row per point"
    ),
    mode: str = typer.Option("walk", help="walk or drive (drive: speeds by road class, oneway)."),
    max_snap_m: float = typer.Option(
        500.0, help="Points farther than this from the network are reported."
    ),
    max_segment_m: float = typer.Option(
        0.0,
        help="Cut straight edges longer than this (m) into graph nodes; 0 = off (points "
        "snap to the nearest street segment anyway).",
    ),
    skip_far_stations: bool = typer.Option(
        False, help="Report and skip stations off the network instead of failing."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Print the time of each stage."),
    partitions: int = typer.Option(
        1,
        min=1,
        help="Split the run into at least N grid partitions with exact halos, run as Dask "
        "tasks (same result file).",
    ),
    scheduler: str = typer.Option(
        "",
        envvar="COVERAGE_DASK_SCHEDULER",
        help="Dask scheduler ADDRESS (tcp://host:8786) for the partitions; empty: in-process.",
    ),
) -> None:
    """Minutes from every demand point to its nearest station along the street network."""
    stages = Stages(verbose)
    try:
        summary = _run(
            stages, network, stations, demand, minutes, speed, out, mode, max_snap_m,
            max_segment_m, skip_far_stations, partitions, scheduler,
        )  # fmt: skip
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        typer.echo(json.dumps({"error": str(exc)}))
        raise typer.Exit(2) from None
    stages.report()
    typer.echo(json.dumps(summary, ensure_ascii=False))


def _run(
    stages: Stages,
    network: Path,
    stations: Path,
    demand: Path,
    minutes: float,
    speed: float,
    out: Path,
    mode: str,
    max_snap_m: float,
    max_segment_m: float,
    skip_far_stations: bool,
    partitions: int = 1,
    scheduler: str = "",
) -> dict[str, Any]:
    """Read, compute, write; each step timed. Returns the summary."""
    if mode not in ("walk", "drive"):
        raise ValueError("mode must be walk or drive")
    if out.suffix.lower() not in OUT_FORMATS:
        raise ValueError(f"--out must end with one of {', '.join(OUT_FORMATS)}: {out.name}")
    return_freed_memory()
    if any(Path(p).suffix.lower() in GDAL_SUFFIXES for p in (network, stations, demand, out)):
        import_pyogrio_without_dataframes()
    from services.coverage.circles import compute_coverage
    from services.coverage.loaders import load_network
    from services.coverage.point_files import read_points
    from services.coverage.result_files import result_table, write_result

    stages.done("imports")
    with ThreadPoolExecutor(1) as pool:  # the demand file is read while the network is
        demand_read = pool.submit(read_points, demand, "demand", need_elderly=True)
        try:
            net = load_network(network, kind=mode, max_segment_m=max_segment_m or None)
            stages.done(
                "read network (demand alongside)", f"({net.n_nodes:,} nodes, {net.n_edges:,} edges)"
            )
            st = read_points(stations, "stations")
            stages.done("read stations", f"({len(st):,})")
        finally:
            dm = demand_read.result()  # its error first if both files are bad: stated order
    stages.done("read demand (rest)", f"({len(dm):,} points)")
    runner = None
    if scheduler or partitions > 1:
        from services.coverage.dask_runner import DaskRunner

        runner = DaskRunner(scheduler or None)
    result = compute_coverage(
        net,
        st,
        dm,
        minutes=minutes,
        speed_mps=speed,
        max_snap_m=max_snap_m,
        skip_far_stations=skip_far_stations,
        progress=stages.progress,
        partitions=partitions,
        runner=runner,
    )
    stages.progress(None, "writing")
    table = result_table(
        dm.ids,
        dm.elderly,
        result.minutes,
        result.station_ids,
        result.station_index,
        dm.lon,
        dm.lat,
        minutes,
    )
    write_result(table, out)
    stages.progress(None, "written")
    return result.summary


def coverage_regions(
    manifest: Path = typer.Option(..., help="JSON: minutes, speed, mode and the regions' files."),
    out_dir: Path = typer.Option(..., help="Folder for one result file per region + summary.json"),
    out_format: str = typer.Option("csv", help="csv, parquet, gpkg or geojson"),
    scheduler: str = typer.Option(
        "",
        envvar="COVERAGE_DASK_SCHEDULER",
        help="Dask scheduler ADDRESS (tcp://host:8786); empty: in-process.",
    ),
) -> None:
    """Coverage of many regions, each with its own network, one Dask task per region."""
    from services.coverage.dask_runner import DaskRunner
    from services.coverage.regions_run import read_manifest, run_regions

    suffix = "." + out_format.lower().lstrip(".")
    try:
        if suffix not in OUT_FORMATS:
            raise ValueError(f"--out-format must be one of {', '.join(OUT_FORMATS)}")
        regions, params = read_manifest(manifest, out_dir, suffix)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        typer.echo(json.dumps({"error": str(exc)}))
        raise typer.Exit(2) from None

    def progress(pct: float, msg: str) -> None:
        typer.echo(f"coverage-regions: {pct:3.0f}% {msg}", err=True)

    summary = run_regions(regions, params, DaskRunner(scheduler or None), progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    brief = {k: v for k, v in summary.items() if k != "by_region"}
    typer.echo(json.dumps(brief, ensure_ascii=False))
    if summary["regions_failed"]:
        raise typer.Exit(1)


def synth_city(
    nodes: int = typer.Option(..., help="Street nodes (exact): intersections + street vertices."),
    seed: int = typer.Option(..., help="Same seed and size, same city."),
    out: Path = typer.Option(..., help="Folder for network.gpkg, stations.geojson, demand.csv."),
    stations: int = typer.Option(0, help="Stations (0: one per 225 nodes)."),
    demand: int = typer.Option(0, help="Demand points (0: as many as nodes)."),
) -> None:
    """Write a seeded street-like city (GENERATED data) in the coverage command's formats."""
    from services.coverage.synth_files import make_city_files

    try:
        info = make_city_files(
            out, nodes, seed, n_stations=stations or None, n_demand=demand or None
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(info, ensure_ascii=False))
