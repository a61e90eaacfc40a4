"""Multi-step flows of the coverage service: imports, run submission and execution, queries.

Routes call these; these call the pure modules and :mod:`repository`. CPU-heavy
steps run in a worker thread (runs) or in the threadpool (small synchronous queries).
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra
from sqlalchemy.orm import Session, sessionmaker

from services.common.errors import InvalidInput, NotFound
from services.coverage import repository as repo
from services.coverage.access import station_demand_minutes, two_step_fca
from services.coverage.circles import compute_coverage
from services.coverage.gaps import gap_cells
from services.coverage.graph import Network, load_network, save_network
from services.coverage.loaders import PointSet, from_epsg, points_from_records, to_epsg
from services.coverage.loaders import load_network as load_network_file
from services.coverage.models import NetworkRow
from services.coverage.reach import street_segments
from services.coverage.snapping import NodeIndex, SegmentIndex

MAX_2SFCA_PAIRS = 20_000_000
NETWORK_CACHE_SIZE = 4


class NetworkCache:
    """Loaded networks and their KD-trees by id (small LRU: a city graph is tens of MB)."""

    def __init__(self) -> None:
        self.items: OrderedDict[int, tuple[Network, NodeIndex]] = OrderedDict()

    def get(self, row: NetworkRow) -> tuple[Network, NodeIndex]:
        if row.id in self.items:
            self.items.move_to_end(row.id)
            return self.items[row.id]
        net = load_network(io.BytesIO(row.data))
        value = (net, NodeIndex(net.x, net.y))
        self.items[row.id] = value
        while len(self.items) > NETWORK_CACHE_SIZE:
            self.items.popitem(last=False)
        return value


def network_row(session: Session, network_id: int) -> NetworkRow:
    row = repo.get_network(session=session, network_id=network_id)
    if row is None:
        raise InvalidInput(f"unknown network {network_id}", field="network_id")
    return row


def import_network_file(
    session: Session,
    path: Path,
    kind: str,
    name: str,
    source: str,
    field: str = "path",
    max_segment_m: float | None = None,
) -> tuple[NetworkRow, bool]:
    """Parse, version and store a network; an identical one already stored is returned."""
    try:
        net = load_network_file(path, kind=kind, max_segment_m=max_segment_m)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc
    if net.n_edges == 0:
        raise InvalidInput("the network has no edges", field=field)
    existing = repo.network_by_version(session=session, version=net.version)
    if existing is not None:
        return existing, False
    buf = io.BytesIO()
    save_network(net, buf)
    row = repo.add_network(
        session=session,
        name=name,
        kind=net.kind,
        version=net.version,
        epsg=net.epsg,
        n_nodes=net.n_nodes,
        n_edges=net.n_edges,
        source=source,
        data=buf.getvalue(),
    )
    return row, True


def import_network_upload(
    session: Session, filename: str, content: bytes, kind: str, name: str | None
) -> tuple[NetworkRow, bool]:
    suffix = "".join(Path(filename or "network.geojson").suffixes) or ".geojson"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        return import_network_file(
            session, path, kind, name or filename, f"upload:{filename}", field="file"
        )


def records_version(records: list[dict[str, Any]]) -> str:
    blob = json.dumps(records, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def import_demand(
    session: Session, name: str, records: list[dict[str, Any]], derived: bool, source: str | None
) -> tuple[Any, bool]:
    if not records:
        raise InvalidInput("demand is empty", field="points")
    try:
        ps = points_from_records(records, "demand", need_elderly=True)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="points") from exc
    version = records_version(records)
    existing = repo.demand_by_version(session=session, version=version)
    if existing is not None:
        return existing, False
    row = repo.add_demand_set(
        session=session,
        name=name,
        version=version,
        n_points=len(ps),
        total_elderly=float(ps.elderly.sum()),
        derived=derived,
        source=source,
        points=records,
    )
    return row, True


def clean(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop None-valued keys so equal inputs hash equal whatever their origin."""
    return [{k: v for k, v in r.items() if v is not None} for r in records]


def scenario_stations(
    base: list[dict[str, Any]], add: list[dict[str, Any]], close: list[str]
) -> list[dict[str, Any]]:
    """The station list after hypothetically closing some and adding others."""
    known = {str(s["id"]) for s in base}
    missing = [c for c in close if c not in known]
    if missing:
        raise InvalidInput(
            f"close_stations names unknown stations {missing[:5]}", field="close_stations"
        )
    out = [s for s in base if str(s["id"]) not in set(close)] + add
    if not out:
        raise InvalidInput("no stations left", field="stations")
    return out


def check_stations(
    net: Network, index: NodeIndex, stations: list[dict[str, Any]], max_snap_m: float, skip: bool
) -> None:
    """422 naming each station farther than ``max_snap_m`` from the network (unless skipped)."""
    ps = points(stations, "stations", need_elderly=False)
    x, y = to_epsg(net.epsg, ps.lon, ps.lat)
    # the run puts stations on the nearest street point (ADR 0103): measure the same way
    snap = SegmentIndex(net.x, net.y, street_segments(net)).snap(x, y, max_snap_m)
    if snap.too_far.all() or (snap.too_far.any() and not skip):
        errors = [
            {
                "field": f"stations[{i}]",
                "message": f"station {ps.ids[i]} is {snap.access_m[i]:.0f} m from the nearest street "
                f"(limit {max_snap_m:g} m)",
            }
            for i in np.flatnonzero(snap.too_far)[:20]
        ]
        raise InvalidInput(errors[0]["message"], errors=errors)


def points(records: list[dict[str, Any]], what: str, need_elderly: bool) -> PointSet:
    try:
        return points_from_records(records, what, need_elderly)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=what) from exc


def run_cache_key(
    network_version: str,
    demand_version: str,
    registry_version: int | None,
    stations: list[dict[str, Any]],
    params: dict[str, Any],
) -> str:
    blob = json.dumps(
        [network_version, demand_version, registry_version, records_version(stations), params],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def execute_run(write_sessions: sessionmaker[Session], cache: NetworkCache, run_id: int) -> None:
    """The worker's job: compute everything for one run and store it (one transaction)."""
    with write_sessions() as session:
        run = repo.get_run(session=session, run_id=run_id)
        if run is None or run.status == "done":
            return
        repo.set_progress(session=session, run_id=run_id, progress=1)
        session.commit()
        net_row = network_row(session, run.network_id)
        demand_row = repo.get_demand_set(session=session, demand_set_id=run.demand_set_id)
        params, stations = dict(run.params), list(run.stations)
        demand_records = list(demand_row.points) if demand_row else []
        derived = bool(demand_row.derived) if demand_row else False
    last = [0]

    def progress(pct: float, _msg: str) -> None:
        p = int(min(90, pct * 0.9))
        if p - last[0] >= 10:
            last[0] = p
            with write_sessions() as s:
                repo.set_progress(session=s, run_id=run_id, progress=p)
                s.commit()

    try:
        net, _index = cache.get(net_row)
        result = compute_run(net, stations, demand_records, params, progress)
    except (ValueError, InvalidInput) as exc:
        with write_sessions() as s:
            repo.fail_run(session=s, run_id=run_id, error={"detail": str(exc)})
            s.commit()
        return
    summary, gaps, point_rows, region_rows = result
    summary["demand_derived_from_registry"] = derived
    summary["demand_version"] = demand_row.version if demand_row else None
    for r in point_rows:
        r["run_id"] = run_id
    for r in region_rows:
        r["run_id"] = run_id
    with write_sessions() as s:
        repo.finish_run(
            session=s,
            run_id=run_id,
            summary=summary,
            gaps=gaps,
            points=point_rows,
            regions=region_rows,
        )
        s.commit()


def compute_run(
    net: Network,
    stations: list[dict[str, Any]],
    demand_records: list[dict[str, Any]],
    params: dict[str, Any],
    progress: Any,
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Coverage, gaps, 2SFCA and per-region rows for one run (pure apart from the callback)."""
    st = points_from_records(stations, "stations", need_elderly=False)
    dm = points_from_records(demand_records, "demand", need_elderly=True)
    minutes, speed = float(params["minutes"]), float(params["speed_mps"])
    res = compute_coverage(
        net,
        st,
        dm,
        minutes=minutes,
        speed_mps=speed,
        max_snap_m=float(params["max_snap_m"]),
        skip_far_stations=bool(params["skip_far_stations"]),
        progress=progress,
    )
    covered = np.nan_to_num(res.minutes, nan=np.inf) <= minutes
    gaps = gap_cells(dm.lon, dm.lat, dm.elderly, covered, int(params.get("gap_resolution", 9)))
    access = twosfca_for(net, st, dm, minutes, speed, float(params["max_snap_m"]), res.summary)
    point_rows = [
        {
            "idx": i,
            "demand_id": str(res.demand_ids[i]),
            "elderly": float(res.elderly[i]),
            "minutes": None if np.isnan(res.minutes[i]) else float(res.minutes[i]),
            "nearest_station": res.nearest_station[i],
            "access_2sfca": None if access is None else float(access[i]),
        }
        for i in range(len(dm))
    ]
    region_rows = [
        {
            "region_code": g["group"],
            "elderly": g["elderly"],
            "covered_elderly": g["covered_elderly"],
            "demand_points": g["demand_points"],
            "covered_share_by_count": g["covered_share_by_count"],
            "covered_share_by_elderly": g["covered_share_by_elderly"],
        }
        for g in res.summary.get("by_region_code", []) + res.summary.get("by_street_code", [])
        if g["group"]
    ]
    region_rows = list({r["region_code"]: r for r in region_rows}.values())
    if access is not None and "region_code" in dm.attrs:
        res.summary["twosfca_by_region_code"] = twosfca_by_group(
            dm.attrs["region_code"], access, dm.elderly
        )
    return res.summary, gaps, point_rows, region_rows


def twosfca_by_group(
    groups: np.ndarray, access: np.ndarray, elderly: np.ndarray
) -> list[dict[str, Any]]:
    """Elderly-weighted mean 2SFCA (beds per elderly person within reach) per region."""
    labels = np.asarray([str(g) if g not in (None, "") else "" for g in groups], dtype=object)
    out = []
    for g in np.unique(labels[labels != ""]):
        m = labels == g
        w = float(elderly[m].sum())
        out.append(
            {
                "group": g,
                "elderly": w,
                "beds_per_elderly": float((access[m] * elderly[m]).sum() / w) if w else None,
            }
        )
    return out


def twosfca_for(
    net: Network,
    st: PointSet,
    dm: PointSet,
    minutes: float,
    speed: float,
    max_snap_m: float,
    summary: dict[str, Any],
) -> np.ndarray | None:
    """2SFCA beds per elderly when stations carry capacities (and the matrix is affordable)."""
    if "capacity" not in st.attrs:
        return None
    cap = np.array([float(c) if c not in (None, "") else 0.0 for c in st.attrs["capacity"]])
    if len(st) * len(dm) > MAX_2SFCA_PAIRS:
        summary["twosfca"] = "skipped: too many station x demand pairs"
        return None
    index = NodeIndex(net.x, net.y)
    sx, sy = to_epsg(net.epsg, st.lon, st.lat)
    dx, dy = to_epsg(net.epsg, dm.lon, dm.lat)
    s, d = index.snap(sx, sy, max_snap_m), index.snap(dx, dy, max_snap_m)
    use = ~s.too_far
    mins = station_demand_minutes(
        net, s.node[use], s.access_m[use], d.node, d.access_m, speed, minutes
    )
    mins[d.too_far] = np.inf
    a, _ = two_step_fca(mins, cap[use], dm.elderly, minutes)
    summary["twosfca_mean_beds_per_elderly"] = (
        float((a * dm.elderly).sum() / dm.elderly.sum()) if dm.elderly.sum() > 0 else None
    )
    return a


def walk_times(
    net: Network,
    index: NodeIndex,
    lon: float,
    lat: float,
    stations: list[dict[str, Any]],
    speed_mps: float,
    max_snap_m: float = 500.0,
) -> list[dict[str, Any]]:
    """Network walking minutes from one person to each station (null when unreachable)."""
    px, py = to_epsg(net.epsg, np.array([lon]), np.array([lat]))
    me = index.snap(px, py, max_snap_m)
    if not stations:
        return []
    sx, sy = to_epsg(
        net.epsg, np.array([s["lon"] for s in stations]), np.array([s["lat"] for s in stations])
    )
    snap = index.snap(sx, sy, max_snap_m)
    if me.too_far[0]:
        return [{"id": s["id"], "walk_minutes": None, "network_distance_m": None} for s in stations]
    dist = dijkstra(net.cost_matrix(), directed=True, indices=int(me.node[0]))
    out = []
    for i, s in enumerate(stations):
        d = float(dist[snap.node[i]])
        if snap.too_far[i] or not np.isfinite(d):
            out.append({"id": s["id"], "walk_minutes": None, "network_distance_m": None})
            continue
        total = float(me.access_m[0]) + d + float(snap.access_m[i])
        out.append(
            {"id": s["id"], "walk_minutes": total / speed_mps / 60.0, "network_distance_m": total}
        )
    return out


def to_lonlat(net: Network) -> Any:
    return lambda x, y: from_epsg(net.epsg, x, y)


def require(obj: Any, what: str) -> Any:
    if obj is None:
        raise NotFound(f"{what} not found")
    return obj
