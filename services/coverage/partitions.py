"""Exact coverage on pieces of a network: grid cells with a halo (pure compute, no Dask here).

Why it is exact (docs/decisions/0110-coverage-partitions-with-exact-halos-on-dask.md): every demand
point belongs to one grid cell (its *core*); its piece holds every street segment whose
bounding box comes within ``halo_m + max_snap_m`` of the cell. A walk of cost ``c`` metres
from a home never leaves the disc of radius ``c`` around it (a street is never shorter than
its chord; driving: seconds times the fastest edge's speed), so when the piece's answer
stays within the halo, the best path of the whole network lies inside the piece and the
piece finds it. The piece's answer is a real path of the whole network, so it can only be
too long, never too short. Answers beyond the halo are *certified* anyway when the home's
street component lies entirely inside the piece (no segment of it was left out); the rest
go back with a halo 4x wider, until the piece is the whole network. Homes and stations are
snapped inside pieces that hold every segment within ``max_snap_m`` of them, so they stand
on the same street point as in the unsplit run.

The functions ``snap_piece`` and ``solve_piece`` are the tasks a Dask worker runs; they take
and return plain arrays (pickled to worker processes), and know nothing about the scheduler.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from services.coverage.circles import station_minutes
from services.coverage.graph import Network
from services.coverage.reach import street_segments
from services.coverage.snapping import SegmentIndex, SegmentSnap

SAFETY = 1.01
"""Slack on the halo test: projected chords may be a little longer than the lengths the
network stores (UTM scale factor up to 1.001 at a zone's edge)."""
WIDEN = 4.0
"""How much wider the halo gets for the homes a round could not certify."""


@dataclass(frozen=True)
class Grid:
    """A grid of square-ish cells over the points' extent (metres): the partitions' cores."""

    x0: float
    y0: float
    width: float
    height: float
    nx: int
    ny: int

    @classmethod
    def over(cls, x: NDArray[np.float64], y: NDArray[np.float64], cells: int) -> Grid:
        """At least ``cells`` cells (columns x rows, about square) covering every point.

        >>> g = Grid.over(np.array([0.0, 400.0]), np.array([0.0, 100.0]), 4)
        >>> (g.nx, g.ny)
        (4, 1)
        """
        if cells < 1:
            raise ValueError("partitions must be >= 1")
        x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
        w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        nx = max(1, min(cells, round(math.sqrt(cells * w / h))))
        ny = math.ceil(cells / nx)
        # a hair wider than the extent, so the largest coordinate falls inside the last cell
        return cls(x0, y0, w * (1 + 1e-9) / nx, h * (1 + 1e-9) / ny, nx, ny)

    def cell_of(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int64]:
        """Each point's cell number (row-major)."""
        cx = np.clip(((x - self.x0) // self.width).astype(np.int64), 0, self.nx - 1)
        cy = np.clip(((y - self.y0) // self.height).astype(np.int64), 0, self.ny - 1)
        return cy * self.nx + cx

    def box(self, cell: int, margin: float) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of a cell widened by ``margin`` metres on each side."""
        cy, cx = divmod(int(cell), self.nx)
        xmin, ymin = self.x0 + cx * self.width, self.y0 + cy * self.height
        return (
            xmin - margin,
            ymin - margin,
            xmin + self.width + margin,
            ymin + self.height + margin,
        )


@dataclass(frozen=True)
class Piece:
    """One partition's network: the segments near a cell, nodes numbered in global order."""

    net: Network
    nodes: NDArray[np.int64]  # global node number of each local node (increasing)
    boundary: NDArray[np.bool_]  # per local node: a segment at it was left out of the piece
    whole: bool  # the piece is the whole network (every answer certain)


class Cutter:
    """Cuts pieces out of a network; the edge boxes are computed once per run."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.src = net.edge_sources()
        x, y, dst = net.x, net.y, net.indices
        self.xmin = np.minimum(x[self.src], x[dst])
        self.xmax = np.maximum(x[self.src], x[dst])
        self.ymin = np.minimum(y[self.src], y[dst])
        self.ymax = np.maximum(y[self.src], y[dst])
        n = net.n_nodes
        self.degree = np.bincount(self.src, minlength=n) + np.bincount(dst, minlength=n)
        self.extent = (float(x.min()), float(y.min()), float(x.max()), float(y.max()))

    def covers_all(self, box: tuple[float, float, float, float]) -> bool:
        """Whether ``box`` holds every node (then the piece is the whole network)."""
        x0, y0, x1, y1 = self.extent
        return box[0] <= x0 and box[1] <= y0 and box[2] >= x1 and box[3] >= y1

    def piece(self, box: tuple[float, float, float, float]) -> Piece:
        """Every edge whose bounding box meets ``box`` (both directions of a street alike)."""
        net = self.net
        if self.covers_all(box):
            return Piece(
                net, np.arange(net.n_nodes, dtype=np.int64), np.zeros(net.n_nodes, bool), True
            )
        keep = (
            (self.xmax >= box[0])
            & (self.xmin <= box[2])
            & (self.ymax >= box[1])
            & (self.ymin <= box[3])
        )
        src, dst = self.src[keep], net.indices[keep]
        nodes = np.unique(np.concatenate([src, dst])).astype(np.int64)
        local = np.full(net.n_nodes, -1, dtype=np.int64)
        local[nodes] = np.arange(nodes.size)
        k = int(nodes.size)
        indptr = np.zeros(k + 1, dtype=np.int64)
        s_src = local[src]
        np.cumsum(np.bincount(s_src, minlength=k), out=indptr[1:])
        s_dst = local[dst]
        sub = Network(
            x=net.x[nodes],
            y=net.y[nodes],
            indptr=indptr,
            indices=s_dst.astype(np.int32),
            length_m=net.length_m[keep],
            speed_mps=None if net.speed_mps is None else net.speed_mps[keep],
            epsg=net.epsg,
            kind=net.kind,
            version=net.version,
        )
        sub_degree = np.bincount(s_src, minlength=k) + np.bincount(s_dst, minlength=k)
        return Piece(sub, nodes, sub_degree < self.degree[nodes], False)


@dataclass(frozen=True)
class StationSnaps:
    """Stations on their street points, segments named by global node numbers (a < b)."""

    a: NDArray[np.int64]
    b: NDArray[np.int64]
    t: NDArray[np.float64]
    access_m: NDArray[np.float64]
    too_far: NDArray[np.bool_]


def snap_piece(
    piece: Piece, x: NDArray[np.float64], y: NDArray[np.float64], max_snap_m: float
) -> StationSnaps:
    """Task: put points (stations of one cell) on their nearest street point of the piece."""
    n = x.size
    if piece.net.n_edges == 0 or n == 0:
        z = np.zeros(n)
        return StationSnaps(z.astype(np.int64), z.astype(np.int64), z, np.full(n, np.inf),
                            np.ones(n, dtype=bool))  # fmt: skip
    index = SegmentIndex(piece.net.x, piece.net.y, street_segments(piece.net))
    snap = index.snap(x, y, max_snap_m)
    segs = index.segments
    return StationSnaps(
        piece.nodes[segs.a[snap.segment]],
        piece.nodes[segs.b[snap.segment]],
        snap.t,
        snap.access_m,
        snap.too_far,
    )


@dataclass(frozen=True)
class Job:
    """What one piece solves: its homes (projected), the stations, the run's parameters."""

    demand_x: NDArray[np.float64]
    demand_y: NDArray[np.float64]
    stations: StationSnaps  # every usable station of the run (the piece keeps its own)
    groups: tuple[NDArray[np.bool_], ...]  # per facility type: which stations belong
    speed_mps: float
    max_snap_m: float
    halo_m: float
    vmax_mps: float  # fastest edge (driving), to turn seconds into a distance bound


@dataclass(frozen=True)
class Answer:
    """Per home of a piece: each group's minutes and station (global row), too far, certain."""

    minutes: NDArray[np.float64]  # (groups, homes); nan: none reachable in the piece
    station: NDArray[np.int64]  # (groups, homes); -1: none
    too_far: NDArray[np.bool_]
    certain: NDArray[np.bool_]


def solve_piece(piece: Piece, job: Job) -> Answer:
    """Task: minutes from each home of the cell to the nearest station of each group."""
    n, g = job.demand_x.size, len(job.groups)
    minutes = np.full((g, n), np.nan)
    station = np.full((g, n), -1, dtype=np.int64)
    if piece.net.n_edges == 0:  # no street near the cell: every home is off the network
        return Answer(minutes, station, np.ones(n, dtype=bool), np.ones(n, dtype=bool))
    net = piece.net
    index = SegmentIndex(net.x, net.y, street_segments(net))
    d_snap = index.snap(job.demand_x, job.demand_y, job.max_snap_m)
    index.drop_tree()
    segs = index.segments
    st = job.stations
    s_rows, s_seg = stations_in(piece, segs.a, segs.b, st)
    s_snap = SegmentSnap(
        np.full(st.a.size, -1, dtype=np.int64), st.t, st.access_m, np.ones(st.a.size, bool)
    )
    s_snap.segment[s_rows] = s_seg
    s_snap.too_far[s_rows] = False  # stations outside the piece: not used here
    inside = ~s_snap.too_far
    for i, members in enumerate(job.groups):
        use = members & inside
        if not use.any():
            continue
        m, local = station_minutes(net, index, s_snap, use, d_snap, job.speed_mps)
        minutes[i] = m
        station[i] = np.where(local >= 0, np.flatnonzero(use)[np.maximum(local, 0)], -1)
    best = np.fmin.reduce(minutes, axis=0) if g else np.full(n, np.nan)
    certain = d_snap.too_far | certify(piece, segs.a[d_snap.segment], best, d_snap.access_m, job)
    return Answer(minutes, station, d_snap.too_far, certain)


def stations_in(
    piece: Piece, seg_a: NDArray[np.integer], seg_b: NDArray[np.integer], st: StationSnaps
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(station rows, local segment) of the usable stations whose segment is in the piece."""
    if seg_a.size == 0 or st.a.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n = np.int64(max(int(piece.nodes[-1]), int(st.b.max()))) + 1  # keys a * n + b, b < n
    keys = piece.nodes[seg_a] * n + piece.nodes[seg_b]
    order = np.argsort(keys, kind="stable")
    want = st.a * n + st.b
    pos = np.minimum(np.searchsorted(keys, want, sorter=order), keys.size - 1)
    rows = np.flatnonzero(~st.too_far & (keys[order[pos]] == want))
    return rows, order[pos[rows]].astype(np.int64)


def certify(
    piece: Piece,
    home_node: NDArray[np.integer],
    best: NDArray[np.float64],
    access_m: NDArray[np.float64],
    job: Job,
) -> NDArray[np.bool_]:
    """Homes whose piece answer is the whole network's answer (see the module docstring)."""
    if piece.whole:
        return np.ones(best.size, dtype=bool)
    seconds = np.nan_to_num(best, nan=np.inf) * 60.0
    if piece.net.speed_mps is None:  # walking: (network m + access m) / speed
        reach_m = seconds * job.speed_mps
    else:  # driving: network s + access m / speed; the network part at most vmax m/s
        reach_m = (seconds - access_m / job.speed_mps) * job.vmax_mps + access_m
    within = reach_m * SAFETY <= job.halo_m
    net = piece.net
    graph = csr_matrix(
        (np.ones(net.n_edges, dtype=np.int8), net.indices, net.indptr),
        shape=(net.n_nodes, net.n_nodes),
    )
    _, label = connected_components(graph, directed=True, connection="weak")
    cut = np.zeros(int(label.max()) + 1, dtype=bool)
    cut[label[piece.boundary]] = True
    complete: NDArray[np.bool_] = ~cut[label[home_node]]
    return within | complete
