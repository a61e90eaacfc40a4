"""The coverage computation shared by the CLI and the API (pure: arrays in, result out).

Snaps stations and demand, runs ONE multi-source search (:mod:`reach`), and turns
per-point minutes into shares by count and by elderly population, overall, per
region and per facility type. Both front ends call :func:`compute_coverage`, so
they give the same numbers for the same inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.coverage.graph import Network
from services.coverage.loaders import PointSet, to_epsg
from services.coverage.reach import demand_minutes, nearest_station
from services.coverage.snapping import DEFAULT_MAX_SNAP_M, NodeIndex

Progress = Callable[[float, str], None]


@dataclass
class CoverageResult:
    """Per demand point minutes/station plus the summary figures (JSON-ready)."""

    demand_ids: NDArray[np.str_]
    elderly: NDArray[np.float64]
    minutes: NDArray[np.float64]  # nan: no station reachable (or point off the network)
    nearest_station: NDArray[np.object_]  # station id or None
    off_network: NDArray[np.bool_]
    summary: dict[str, Any] = field(default_factory=dict)


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
) -> CoverageResult:
    """Minutes to the nearest station for every demand point, and the coverage shares.

    Parameters
    ----------
    minutes : the circle's size (15 for the walking care circle, 60 rural driving).
    speed_mps : walking speed (1.0 m/s elderly pace; 0.8 frail); on driving networks the
        speed of the access legs only.
    max_snap_m : points farther than this from any network node are off the network.
    skip_far_stations : report and skip such stations instead of refusing the run.
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
    progress(5, "snapping")
    index = NodeIndex(net.x, net.y)
    sx, sy = to_epsg(net.epsg, stations.lon, stations.lat)
    s_snap = index.snap(sx, sy, max_snap_m)
    far_ids = stations.ids[s_snap.too_far].tolist()
    if far_ids and not skip_far_stations:
        worst = float(s_snap.access_m[s_snap.too_far].max())
        raise ValueError(
            f"{len(far_ids)} station(s) farther than {max_snap_m:g} m from the network "
            f"(up to {worst:.0f} m), e.g. {far_ids[:5]}"
        )
    use = ~s_snap.too_far
    if not use.any():
        raise ValueError("every station is off the network")
    dx, dy = to_epsg(net.epsg, demand.lon, demand.lat)
    d_snap = index.snap(dx, dy, max_snap_m)
    progress(20, "searching")
    reach = nearest_station(net, s_snap.node[use], s_snap.access_m[use], access_speed_mps=speed_mps)
    progress(80, "summarising")
    mins, st_local = demand_minutes(reach, d_snap.node, d_snap.access_m, speed_mps, ~d_snap.too_far)
    used_ids = stations.ids[use]
    nearest = np.full(len(demand), None, dtype=object)
    ok = st_local >= 0
    nearest[ok] = used_ids[st_local[ok]]
    covered = np.nan_to_num(mins, nan=np.inf) <= minutes
    result = CoverageResult(demand.ids, demand.elderly, mins, nearest, d_snap.too_far)
    result.summary = summarise(
        net, stations, demand, covered, mins, minutes, speed_mps, far_ids, d_snap.too_far
    )
    result.summary.update(seed_indicators(stations, demand, covered))
    if "type" in stations.attrs:
        result.summary["by_facility_type"] = by_type(
            net, index, stations, use, s_snap, d_snap, demand, minutes, speed_mps
        )
    progress(100, "done")
    return result


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
        "demand_off_network_ids": demand.ids[demand_off][:100].tolist(),
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


def by_type(
    net: Network,
    index: NodeIndex,
    stations: PointSet,
    use: NDArray[np.bool_],
    s_snap: Any,
    d_snap: Any,
    demand: PointSet,
    minutes: float,
    speed_mps: float,
) -> list[dict[str, Any]]:
    """Coverage by each facility type alone (one multi-source pass per type)."""
    types = np.asarray([str(t) for t in stations.attrs["type"]], dtype=object)
    out = []
    for t in np.unique(types[use]):
        m = use & (types == t)
        reach = nearest_station(net, s_snap.node[m], s_snap.access_m[m], access_speed_mps=speed_mps)
        mins, _ = demand_minutes(reach, d_snap.node, d_snap.access_m, speed_mps, ~d_snap.too_far)
        cov = np.nan_to_num(mins, nan=np.inf) <= minutes
        c, e = shares(cov, demand.elderly)
        out.append(
            {
                "type": t,
                "stations": int(m.sum()),
                "covered_share_by_count": c,
                "covered_share_by_elderly": e,
            }
        )
    return out


def _numeric(values: NDArray[Any]) -> NDArray[np.float64]:
    out = np.zeros(len(values))
    for i, v in enumerate(values):
        try:
            out[i] = float(v) if v not in (None, "") else 0.0
        except (TypeError, ValueError):
            out[i] = 0.0
    return out
