"""Everything one coverage run computes: circles, gaps, 2SFCA, per-point and per-region rows.

Pure apart from the progress callback (which may raise to stop the run between stages);
the job in :mod:`services.coverage.runs` stores what this returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from services.coverage.access import station_demand_minutes, two_step_fca
from services.coverage.circles import compute_coverage
from services.coverage.gaps import gap_cells
from services.coverage.graph import Network
from services.coverage.loaders import PointSet, points_from_records, to_epsg
from services.coverage.snapping import NodeIndex

MAX_2SFCA_PAIRS = 20_000_000
"""Largest station x demand matrix 2SFCA builds (float64: 160 MB); larger runs skip it."""

if TYPE_CHECKING:
    from services.coverage.partition_run import Runner

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RunPoints:
    """Every demand point's result, as columns (stored in bulk, never a dict per point)."""

    demand_ids: NDArray[np.str_]
    elderly: NDArray[np.float64]
    minutes: NDArray[np.float64]  # NaN: no station reachable (or off the network)
    nearest_station: NDArray[np.object_]  # station id or None
    access_2sfca: NDArray[np.float64] | None  # beds per elderly; None when not computed

    def __len__(self) -> int:
        return int(self.demand_ids.size)

    def rows(self, run_id: int) -> Iterator[tuple[Any, ...]]:
        """``(run_id, idx, demand_id, elderly, minutes, nearest_station, access_2sfca)`` tuples.

        >>> pts = RunPoints(np.array(["a", "b"]), np.array([1.0, 2.0]), np.array([3.5, np.nan]),
        ...                 np.array(["s1", None], dtype=object), None)
        >>> list(pts.rows(7))
        [(7, 0, 'a', 1.0, 3.5, 's1', None), (7, 1, 'b', 2.0, None, None, None)]
        """
        n = len(self)
        minutes = self.minutes.astype(object)
        minutes[np.isnan(self.minutes)] = None
        access = [None] * n if self.access_2sfca is None else self.access_2sfca.tolist()
        return zip(
            [run_id] * n,
            range(n),
            self.demand_ids.tolist(),
            self.elderly.tolist(),
            minutes.tolist(),
            self.nearest_station.tolist(),
            access,
            strict=True,
        )


def compute_run(
    net: Network,
    stations: list[dict[str, Any]],
    dm: PointSet,
    params: dict[str, Any],
    progress: Progress,
    partitions: int = 1,
    runner: Runner | None = None,
) -> tuple[dict[str, Any], dict[str, Any], RunPoints, list[dict[str, Any]]]:
    """Summary, gaps (GeoJSON), every point's result and per-region rows of one run.

    ``progress(pct, stage)`` is called with 0–100 between stages (split runs: as each
    partition task finishes). ``partitions``/``runner``: see ``compute_coverage``.
    """
    st = points_from_records(stations, "stations", need_elderly=False)
    minutes, speed = float(params["minutes"]), float(params["speed_mps"])
    res = compute_coverage(
        net,
        st,
        dm,
        minutes=minutes,
        speed_mps=speed,
        max_snap_m=float(params["max_snap_m"]),
        skip_far_stations=bool(params["skip_far_stations"]),
        progress=lambda pct, stage: progress(0.7 * pct, stage),
        partitions=partitions,
        runner=runner,
    )
    covered = np.nan_to_num(res.minutes, nan=np.inf) <= minutes
    progress(75, "gaps")
    gaps = gap_cells(dm.lon, dm.lat, dm.elderly, covered, int(params.get("gap_resolution", 9)))
    progress(85, "2sfca")
    access = twosfca_for(net, st, dm, minutes, speed, float(params["max_snap_m"]), res.summary)
    progress(95, "rows")
    point_rows = RunPoints(
        np.asarray(res.demand_ids, dtype=str),
        np.asarray(res.elderly, dtype=np.float64),
        np.asarray(res.minutes, dtype=np.float64),
        np.asarray(res.nearest_station, dtype=object),
        access,
    )
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
        if is_division_code(g["group"])  # other labels stay in the summary, not in region rows
    ]
    region_rows = list({r["region_code"]: r for r in region_rows}.values())
    if access is not None and "region_code" in dm.attrs:
        res.summary["twosfca_by_region_code"] = twosfca_by_group(
            dm.attrs["region_code"], access, dm.elderly
        )
    return res.summary, gaps, point_rows, region_rows


def is_division_code(label: Any) -> bool:
    """A 12-digit statistical division code (the only labels stored as region rows).

    >>> [is_division_code(c) for c in ("110101001001", "1101", "abcdefghijkl", None)]
    [True, False, False, False]
    """
    return isinstance(label, str) and len(label) == 12 and label.isdigit() and label.isascii()


def twosfca_by_group(
    groups: NDArray[Any], access: NDArray[np.float64], elderly: NDArray[np.float64]
) -> list[dict[str, Any]]:
    """Elderly-weighted mean 2SFCA (beds per elderly person within reach) per region.

    >>> twosfca_by_group(np.array(["a", "a", None], dtype=object),
    ...                  np.array([1.0, 0.0, 5.0]), np.array([1.0, 3.0, 2.0]))
    [{'group': 'a', 'elderly': 4.0, 'beds_per_elderly': 0.25}]
    """
    labels = np.asarray([str(g) if g not in (None, "") else "" for g in groups], dtype=object)
    out = []
    for g in np.unique(labels[labels != ""]):
        m = labels == g
        w = float(elderly[m].sum())
        out.append(
            {
                "group": str(g),
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
) -> NDArray[np.float64] | None:
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
