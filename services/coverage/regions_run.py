"""Many regions, each with its own network, in one run: one Dask task per region.

A province is run as its districts (each district's streets, stations and homes in its own
files, listed in a manifest). Each task reads its region's files, computes its coverage
exactly as ``carecircle coverage`` does and writes the region's result file itself, so
neither the caller nor any worker ever holds more than one region; the caller gathers the
summaries and adds them up. Workers must see the same paths (one machine, or a shared
volume / object store mount in a cluster).

Manifest (JSON; paths relative to the manifest's folder)::

    {"minutes": 15, "speed": 1.0, "mode": "walk", "max_snap_m": 500,
     "regions": [{"code": "350203", "network": "siming/network.gpkg",
                  "stations": "siming/stations.geojson", "demand": "siming/demand.csv"}, ...]}
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.coverage.partition_run import Counter, Progress, Runner


@dataclass(frozen=True)
class Region:
    """One region's input files and where its result goes."""

    code: str
    network: Path
    stations: Path
    demand: Path
    out: Path


@dataclass(frozen=True)
class Params:
    minutes: float = 15.0
    speed: float = 1.0
    mode: str = "walk"
    max_snap_m: float = 500.0
    skip_far_stations: bool = False


def read_manifest(path: Path, out_dir: Path, suffix: str = ".csv") -> tuple[list[Region], Params]:
    """The regions and parameters of a manifest; ValueError naming what is wrong."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{Path(path).name}: not a readable JSON manifest ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("regions"), list) or not doc["regions"]:
        raise ValueError(f"{Path(path).name}: 'regions' must be a non-empty list")
    base = Path(path).parent
    regions, seen = [], set()
    for i, r in enumerate(doc["regions"]):
        missing = [k for k in ("code", "network", "stations", "demand") if not r.get(k)]
        if missing:
            raise ValueError(f"{Path(path).name}: regions[{i}] lacks {', '.join(missing)}")
        code = str(r["code"])
        if code in seen or not code.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"{Path(path).name}: regions[{i}].code {code!r} repeated or unsafe")
        seen.add(code)
        regions.append(
            Region(
                code,
                base / r["network"],
                base / r["stations"],
                base / r["demand"],
                out_dir / f"{code}{suffix}",
            )  # fmt: skip
        )
    params = Params(
        minutes=float(doc.get("minutes", 15.0)),
        speed=float(doc.get("speed", 1.0)),
        mode=str(doc.get("mode", "walk")),
        max_snap_m=float(doc.get("max_snap_m", 500.0)),
        skip_far_stations=bool(doc.get("skip_far_stations", False)),
    )
    if params.mode not in ("walk", "drive"):
        raise ValueError(f"{Path(path).name}: mode must be walk or drive")
    return regions, params


def region_task(region: Region, params: Params) -> dict[str, Any]:
    """Task: one region's coverage, its result file written; returns its summary."""
    from services.coverage.circles import compute_coverage
    from services.coverage.loaders import load_network
    from services.coverage.point_files import read_points
    from services.coverage.result_files import result_table, write_result

    started = time.perf_counter()
    try:
        net = load_network(region.network, kind=params.mode)
        st = read_points(region.stations, "stations")
        dm = read_points(region.demand, "demand", need_elderly=True)
        res = compute_coverage(
            net, st, dm, minutes=params.minutes, speed_mps=params.speed,
            max_snap_m=params.max_snap_m, skip_far_stations=params.skip_far_stations,
        )  # fmt: skip
        table = result_table(dm.ids, dm.elderly, res.minutes, res.station_ids, res.station_index,
                             dm.lon, dm.lat, params.minutes)  # fmt: skip
        region.out.parent.mkdir(parents=True, exist_ok=True)
        write_result(table, region.out)
    except ValueError as exc:  # this region's inputs are bad: the others still run
        return {"code": region.code, "error": str(exc)}
    return {
        "code": region.code,
        "result": str(region.out),
        "nodes": net.n_nodes,
        "seconds": round(time.perf_counter() - started, 3),
        "summary": res.summary,
    }


def run_regions(
    regions: list[Region], params: Params, runner: Runner, progress: Progress
) -> dict[str, Any]:
    """Every region as a task; per-region summaries and the totals over the regions."""
    counter = Counter(progress, 0, 100, "regions")
    counter.plan(len(regions))
    done = runner.map(region_task, ((r, params) for r in regions), counter.tick)
    ok = [d for d in done if "summary" in d]
    elderly = sum(float(d["summary"]["elderly"]) for d in ok)
    covered = sum(float(d["summary"]["covered_elderly"]) for d in ok)
    points = sum(int(d["summary"]["demand_points"]) for d in ok)
    covered_points = sum(int(d["summary"]["covered_points"]) for d in ok)
    return {
        "regions": len(regions),
        "regions_failed": [{"code": d["code"], "error": d["error"]} for d in done if "error" in d],
        "minutes": params.minutes,
        "speed_mps": params.speed,
        "network_kind": params.mode,
        "demand_points": points,
        "elderly": elderly,
        "covered_elderly": covered,
        "covered_points": covered_points,
        "covered_share_by_count": covered_points / points if points else None,
        "covered_share_by_elderly": covered / elderly if elderly > 0 else None,
        "by_region": done,
    }
