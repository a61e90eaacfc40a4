"""The coverage computation shared by the CLI and the API (pure: arrays in, result out).

Snaps stations and demand, runs ONE multi-source search (:mod:`reach`), and turns
per-point minutes into shares by count and by elderly population, overall, per
region and per facility type. Both front ends call :func:`compute_coverage`, so
they give the same numbers for the same inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from services.coverage.graph import Network
from services.coverage.loaders import PointSet, to_epsg
from services.coverage.reach import (
    nearest_station_on_segments,
    segment_minutes,
    street_segments,
)
from services.coverage.snapping import DEFAULT_MAX_SNAP_M, SegmentIndex, SegmentSnap

if TYPE_CHECKING:
    from services.coverage.partition_run import Runner

Progress = Callable[[float, str], None]


@dataclass
class CoverageResult:
    """Per demand point minutes/station plus the summary figures (JSON-ready)."""

    demand_ids: Any  # as in the demand PointSet (numpy or Arrow)
    elderly: NDArray[np.float64]
    minutes: NDArray[np.float64]  # nan: no station reachable (or point off the network)
    station_index: NDArray[np.int64]  # nearest station's row in ``station_ids``; -1: none
    station_ids: list[str]
    off_network: NDArray[np.bool_]
    summary: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def nearest_station(self) -> NDArray[np.object_]:
        """Per demand point: the nearest station's id, or None."""
        ids = np.asarray([*self.station_ids, None], dtype=object)
        return ids[np.where(self.station_index >= 0, self.station_index, len(self.station_ids))]


def _noop(_pct: float, _msg: str) -> None:
    return None


def shares(
    covered: NDArray[np.bool_], weight: NDArray[np.float64]
) -> tuple[float | None, float | None]:
    """(share by count, share by weight) in [0, 1]; None when there is nothing to share."""
    by_count = float(covered.mean()) if covered.size else None
    total = float(weight.sum())
    by_weight = float(weight[covered].sum() / total) if total > 0 else None
    return by_count, by_weight


def group_shares(
    groups: NDArray[Any], covered: NDArray[np.bool_], weight: NDArray[np.float64]
) -> list[dict[str, Any]]:
    """Coverage per group label (region code, street...), largest uncovered first."""
    out: list[dict[str, Any]] = []
    labels = np.asarray([str(g) if g not in (None, "") else "" for g in groups], dtype=object)
    for g in np.unique(labels):
        m = labels == g
        by_count, by_weight = shares(covered[m], weight[m])
        out.append(
            {
                "group": g or None,
                "demand_points": int(m.sum()),
                "elderly": float(weight[m].sum()),
                "covered_elderly": float(weight[m & covered].sum()),
                "covered_share_by_count": by_count,
                "covered_share_by_elderly": by_weight,
            }
        )
    out.sort(key=lambda r: -(float(r["elderly"]) - float(r["covered_elderly"])))
    return out


def compute_coverage(
    net: Network,
    stations: PointSet,
    demand: PointSet,
    *,
    minutes: float = 15.0,
    speed_mps: float = 1.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    skip_far_stations: bool = False,
    progress: Progress = _noop,
    index: SegmentIndex | None = None,
    partitions: int = 1,
    runner: Runner | None = None,
) -> CoverageResult:
    """Minutes to the nearest station for every demand point, and the coverage shares.

    Stations and homes stand beside the street: each is placed at the nearest point of
    the nearest street segment (straight access leg), and the walk goes along that
    segment to its ends or straight to a station on the same segment.

    Parameters
    ----------
    minutes : the circle's size (15 for the walking care circle, 60 rural driving).
    speed_mps : walking speed (1.0 m/s elderly pace; 0.8 frail); on driving networks the
        speed of the access legs only.
    max_snap_m : points farther than this from any street are off the network.
    skip_far_stations : report and skip such stations instead of refusing the run.
    index : the network's :class:`SegmentIndex` when the caller keeps one (else built).
    partitions, runner : split the run into at least ``partitions`` grid cells with exact
        halos, their tasks run by ``runner`` (a Dask client; ADR 0110). Same result.
    """
    if not minutes > 0:
        raise ValueError("minutes must be > 0")
    if not speed_mps > 0:
        raise ValueError("speed must be > 0 m/s")
    if len(demand) == 0:
        raise ValueError("demand is empty")
    if len(stations) == 0:
        raise ValueError("no stations")
    if net.n_edges == 0:
        raise ValueError("the network has no edges")
    if partitions > 1 or runner is not None:
        return _split(net, stations, demand, minutes, speed_mps, max_snap_m,
                      skip_far_stations, progress, max(partitions, 1), runner)  # fmt: skip
    progress(2, "indexing streets and projecting points")
    k = len(stations)
    with ThreadPoolExecutor(1) as pool:  # pyproj works while the index is built
        projected = pool.submit(  # one pyproj call for both point sets
            to_epsg,
            net.epsg,
            np.concatenate([stations.lon, demand.lon]),
            np.concatenate([stations.lat, demand.lat]),
        )
        built = index is None
        if index is None:
            index = SegmentIndex(net.x, net.y, street_segments(net))
        x, y = projected.result()
    progress(15, "snapping")
    s_snap = index.snap(x[:k], y[:k], max_snap_m)
    far_ids = far_stations(stations, s_snap.too_far, s_snap.access_m, max_snap_m,
                           skip_far_stations)  # fmt: skip
    use = ~s_snap.too_far
    d_snap = index.snap(x[k:], y[k:], max_snap_m)
    del x, y
    if built:
        index.drop_tree()  # the KD-tree (tens of MB) is not needed for the search
    progress(50, "searching")
    groups = station_groups(stations, use)
    mins, station_index, by_group = nearest_by_group(net, index, s_snap, groups, d_snap, speed_mps)
    progress(80, "summarising")
    return finish(net, stations, demand, mins, station_index, by_group, groups, far_ids,
                  d_snap.too_far, minutes, speed_mps, progress)  # fmt: skip


def finish(
    net: Network,
    stations: PointSet,
    demand: PointSet,
    mins: NDArray[np.float64],
    station_index: NDArray[np.int64],
    by_group: dict[str, NDArray[np.float64]],
    groups: dict[str, NDArray[np.bool_]],
    far_ids: list[str],
    demand_off: NDArray[np.bool_],
    minutes: float,
    speed_mps: float,
    progress: Progress,
) -> CoverageResult:
    """The result and its summary from every home's minutes (split or not, the same)."""
    k = len(stations)
    station_ids = ids_at(stations.ids, np.arange(k))
    covered = np.nan_to_num(mins, nan=np.inf) <= minutes
    result = CoverageResult(
        demand.ids, demand.elderly, mins, station_index, station_ids, demand_off
    )
    result.summary = summarise(
        net, stations, demand, covered, mins, minutes, speed_mps, far_ids, demand_off
    )
    result.summary.update(seed_indicators(stations, demand, covered))
    if "type" in stations.attrs:
        result.summary["by_facility_type"] = [
            {
                "type": t,
                "stations": int(groups[t].sum()),
                **dict(
                    zip(
                        ("covered_share_by_count", "covered_share_by_elderly"),
                        shares(np.nan_to_num(m, nan=np.inf) <= minutes, demand.elderly),
                        strict=True,
                    )
                ),
            }
            for t, m in by_group.items()
        ]
    progress(100, "done")
    return result


def far_stations(
    stations: PointSet,
    too_far: NDArray[np.bool_],
    access_m: NDArray[np.float64],
    max_snap_m: float,
    skip: bool,
) -> list[str]:
    """Ids of the stations off the network; a ValueError unless they may be skipped."""
    far_ids = ids_at(stations.ids, np.flatnonzero(too_far))
    if far_ids and not skip:
        worst = float(access_m[too_far].max())
        raise ValueError(
            f"{len(far_ids)} station(s) farther than {max_snap_m:g} m from the network "
            f"(up to {worst:.0f} m), e.g. {far_ids[:5]}"
        )
    if too_far.all():
        raise ValueError("every station is off the network")
    return far_ids


def station_groups(stations: PointSet, use: NDArray[np.bool_]) -> dict[str, NDArray[np.bool_]]:
    """Usable stations per facility type (one group "" without types), types sorted."""
    types = (
        np.asarray([str(t) for t in stations.attrs["type"]], dtype=object)
        if "type" in stations.attrs
        else np.full(len(stations), "", dtype=object)
    )
    return {str(t): use & (types == t) for t in np.unique(types[use])}


def _split(
    net: Network,
    stations: PointSet,
    demand: PointSet,
    minutes: float,
    speed_mps: float,
    max_snap_m: float,
    skip_far_stations: bool,
    progress: Progress,
    partitions: int,
    runner: Runner | None,
) -> CoverageResult:
    """:func:`compute_coverage` with its snapping and search run partition by partition."""
    from services.coverage.dask_runner import DaskRunner
    from services.coverage.partition_run import Counter, SplitRun

    progress(2, "projecting points")
    k = len(stations)
    x, y = to_epsg(
        net.epsg,
        np.concatenate([stations.lon, demand.lon]),
        np.concatenate([stations.lat, demand.lat]),
    )
    progress(5, "snapping stations")
    split = SplitRun(net, x, y, partitions, runner or DaskRunner())
    s_snap = split.snap_stations(
        x[:k], y[:k], max_snap_m, Counter(progress, 5, 15, "snapping stations")
    )
    far_ids = far_stations(stations, s_snap.too_far, s_snap.access_m, max_snap_m,
                           skip_far_stations)  # fmt: skip
    groups = station_groups(stations, ~s_snap.too_far)
    progress(15, "snapping and searching")
    per_group, per_station, demand_off = split.solve(
        x[k:], y[k:], s_snap, tuple(groups.values()), minutes=minutes, speed_mps=speed_mps,
        max_snap_m=max_snap_m, counter=Counter(progress, 15, 80, "snapping and searching"),
    )  # fmt: skip
    del x, y
    n = len(demand)
    best = np.full(n, np.inf)
    station = np.full(n, -1, dtype=np.int64)
    by_group: dict[str, NDArray[np.float64]] = {}
    for i, name in enumerate(groups):  # as nearest_by_group: the first group wins a tie
        mins = per_group[i]
        by_group[name] = mins
        nearer = np.nan_to_num(mins, nan=np.inf) < best
        best[nearer] = mins[nearer]
        station[nearer] = per_station[i][nearer]
    best[~np.isfinite(best)] = np.nan
    progress(80, "summarising")
    return finish(net, stations, demand, best, station, by_group, groups, far_ids,
                  demand_off, minutes, speed_mps, progress)  # fmt: skip


def nearest_by_group(
    net: Network,
    index: SegmentIndex,
    s_snap: SegmentSnap,
    groups: dict[str, NDArray[np.bool_]],
    d_snap: SegmentSnap,
    speed_mps: float,
) -> tuple[NDArray[np.float64], NDArray[np.int64], dict[str, NDArray[np.float64]]]:
    """Minutes to the nearest station and its row (-1: none), with each group's own minutes.

    One search per group of stations (facility types); the nearest of all is the nearest
    of the groups' nearest, so types cost no search of their own (2 types: 2 searches,
    not 3).
    """
    n = d_snap.segment.size
    best = np.full(n, np.inf)
    station = np.full(n, -1, dtype=np.int64)
    per_group: dict[str, NDArray[np.float64]] = {}
    for name, mask in groups.items():
        mins, local = station_minutes(net, index, s_snap, mask, d_snap, speed_mps)
        per_group[name] = mins
        nearer = np.nan_to_num(mins, nan=np.inf) < best
        best[nearer] = mins[nearer]
        station[nearer] = np.flatnonzero(mask)[local[nearer]]
    best[~np.isfinite(best)] = np.nan
    return best, station, per_group


def station_minutes(
    net: Network,
    index: SegmentIndex,
    s_snap: SegmentSnap,
    use: NDArray[np.bool_],
    d_snap: SegmentSnap,
    speed_mps: float,
    limit: float = np.inf,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Minutes from each snapped home to the nearest used station, and that station's
    position among the used ones (-1: none). Arrays in, arrays out: one call per network
    partition when a run is split."""
    segs = index.segments
    seg, t, acc = s_snap.segment[use], s_snap.t[use], s_snap.access_m[use]
    reach = nearest_station_on_segments(
        net, segs, seg, t, acc, limit=limit, access_speed_mps=speed_mps
    )
    acc_cost = acc if net.speed_mps is None else acc / speed_mps
    return segment_minutes(
        reach,
        segs,
        d_snap.segment,
        d_snap.t,
        d_snap.access_m,
        speed_mps,
        (seg, t, acc_cost),
        ~d_snap.too_far,
    )


def ids_at(ids: Any, rows: NDArray[np.intp]) -> list[str]:
    """The ids at ``rows``, from a numpy array or a (columnar) Arrow array alike."""
    if isinstance(ids, np.ndarray):
        return [str(v) for v in ids[rows].tolist()]
    return [str(v) for v in ids.take(np.asarray(rows, dtype=np.int64)).to_pylist()]


COMPREHENSIVE_CENTER = "care_center"
STREET_CODE_DIGITS = 9  # 12-digit community code -> its street/town (乡镇街道) prefix


def seed_indicators(
    stations: PointSet, demand: PointSet, covered: NDArray[np.bool_]
) -> dict[str, Any]:
    """The plan's two seed indicators, when demand carries 12-digit community codes.

    * share of communities with a station within the circle: a community counts when
      at least one of its demand points is covered (some resident reaches a station);
      ``..._majority`` counts communities with >= 50 % of their elderly covered;
    * share of streets/towns with a comprehensive center: stations of type
      ``care_center`` whose ``region_code`` lies in the street (first 9 digits).
    """
    if "region_code" not in demand.attrs:
        return {}
    codes = np.asarray([str(c) if c not in (None, "") else "" for c in demand.attrs["region_code"]])
    has = codes != ""
    out: dict[str, Any] = {}
    communities = np.unique(codes[has])
    if communities.size:
        any_cov = [bool(covered[codes == c].any()) for c in communities]
        major = [
            demand.elderly[(codes == c) & covered].sum() >= 0.5 * demand.elderly[codes == c].sum()
            for c in communities
        ]
        out["communities"] = int(communities.size)
        out["share_communities_with_station_within_circle"] = float(np.mean(any_cov))
        out["share_communities_majority_covered"] = float(np.mean(major))
    if "type" in stations.attrs and "region_code" in stations.attrs and communities.size:
        streets = {c[:STREET_CODE_DIGITS] for c in communities}
        with_center = {
            str(rc)[:STREET_CODE_DIGITS]
            for t, rc in zip(stations.attrs["type"], stations.attrs["region_code"], strict=True)
            if t == COMPREHENSIVE_CENTER and rc not in (None, "")
        }
        out["streets"] = len(streets)
        out["share_streets_with_comprehensive_center"] = len(streets & with_center) / len(streets)
    return out


def summarise(
    net: Network,
    stations: PointSet,
    demand: PointSet,
    covered: NDArray[np.bool_],
    mins: NDArray[np.float64],
    minutes: float,
    speed_mps: float,
    far_station_ids: list[str],
    demand_off: NDArray[np.bool_],
) -> dict[str, Any]:
    """The JSON summary: overall shares, age bands, per region, what was off the network."""
    by_count, by_elderly = shares(covered, demand.elderly)
    s: dict[str, Any] = {
        "network_version": net.version,
        "network_kind": net.kind,
        "minutes": minutes,
        "speed_mps": speed_mps,
        "demand_points": len(demand),
        "stations": len(stations) - len(far_station_ids),
        "elderly": float(demand.elderly.sum()),
        "covered_elderly": float(demand.elderly[covered].sum()),
        "covered_points": int(covered.sum()),
        "covered_share_by_count": by_count,
        "covered_share_by_elderly": by_elderly,
        "unreachable_points": int(np.isnan(mins).sum()),
        "demand_off_network": int(demand_off.sum()),
        "demand_off_network_ids": ids_at(demand.ids, np.flatnonzero(demand_off)[:100]),
        "stations_off_network": far_station_ids,
        "median_minutes": float(np.nanmedian(mins)) if np.isfinite(mins).any() else None,
    }
    for band in ("elderly_65plus", "elderly_80plus"):
        if band in demand.attrs:
            w = _numeric(demand.attrs[band])
            s[f"covered_share_by_{band}"] = shares(covered, w)[1]
    for key in ("region", "region_code", "street", "community"):
        if key in demand.attrs:
            s[f"by_{key}"] = group_shares(demand.attrs[key], covered, demand.elderly)
    if "region_code" in demand.attrs and "street" not in demand.attrs:
        s["by_street_code"] = group_shares(
            np.asarray([street_code(c) for c in demand.attrs["region_code"]], dtype=object),
            covered,
            demand.elderly,
        )
    return s


def street_code(code: Any) -> str:
    """The 12-digit code of the street/town containing a 12-digit community code."""
    text = str(code) if code not in (None, "") else ""
    if len(text) != 12 or not text.isdigit():
        return ""
    return text[:STREET_CODE_DIGITS] + "000"


def _numeric(values: NDArray[Any]) -> NDArray[np.float64]:
    out = np.zeros(len(values))
    for i, v in enumerate(values):
        try:
            out[i] = float(v) if v not in (None, "") else 0.0
        except (TypeError, ValueError):
            out[i] = 0.0
    return out
