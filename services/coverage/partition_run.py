"""A coverage run split into grid partitions with halos, its tasks on a :class:`Runner`.

Two rounds of tasks (see :mod:`services.coverage.partitions` for why the answer is exact):
stations are put on their street points cell by cell (a piece with a ``max_snap_m`` halo),
then each cell's homes are solved on a piece whose halo is the longest trip the circle
allows (walking: minutes x speed; driving: minutes x the fastest road). Homes whose nearest
station lies beyond that are asked again with a 4x wider halo until certain. Progress counts
the tasks done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from services.coverage.graph import Network
from services.coverage.partitions import (
    WIDEN,
    Answer,
    Cutter,
    Grid,
    Job,
    Piece,
    StationSnaps,
    snap_piece,
    solve_piece,
)

Progress = Callable[[float, str], None]


class Runner(Protocol):
    """Runs ``fn(*args)`` per task somewhere (a Dask client); results in task order."""

    def map(
        self,
        fn: Callable[..., Any],
        tasks: Iterable[tuple[Any, ...]],
        on_done: Callable[[], None] | None = None,
    ) -> list[Any]: ...


class Counter:
    """Tasks done of tasks planned, as the run's progress between ``lo`` and ``hi`` %."""

    def __init__(self, progress: Progress, lo: float, hi: float, stage: str) -> None:
        self.progress, self.lo, self.hi, self.stage = progress, lo, hi, stage
        self.done = self.planned = 0

    def plan(self, n: int) -> None:
        self.planned += n

    def tick(self) -> None:
        self.done += 1
        pct = self.lo + (self.hi - self.lo) * self.done / max(self.planned, 1)
        self.progress(pct, f"{self.stage} [{self.done}/{self.planned} partitions]")


class SplitRun:
    """One run's grid, cutter and runner; stations first, then homes."""

    def __init__(
        self,
        net: Network,
        points_x: NDArray[np.float64],
        points_y: NDArray[np.float64],
        partitions: int,
        runner: Runner,
    ) -> None:
        self.net = net
        self.grid = Grid.over(points_x, points_y, partitions)
        self.cutter = Cutter(net)
        self.runner = runner
        self.cells_used = 0

    def snap_stations(
        self,
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        max_snap_m: float,
        counter: Counter,
    ) -> StationSnaps:
        """Every station on its nearest street point (segments by global node numbers)."""
        cell = self.grid.cell_of(x, y)
        cells = np.unique(cell)
        counter.plan(int(cells.size))

        def tasks() -> Iterator[tuple[Any, ...]]:
            for c in cells:
                rows = np.flatnonzero(cell == c)
                piece = self.cutter.piece(self.grid.box(int(c), max_snap_m))
                yield piece, x[rows], y[rows], max_snap_m

        parts: list[StationSnaps] = self.runner.map(snap_piece, tasks(), counter.tick)
        n = x.size
        out = StationSnaps(
            np.zeros(n, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
            np.zeros(n),
            np.zeros(n),
            np.zeros(n, dtype=bool),
        )
        for c, part in zip(cells, parts, strict=True):
            rows = np.flatnonzero(cell == c)
            out.a[rows], out.b[rows], out.t[rows] = part.a, part.b, part.t
            out.access_m[rows], out.too_far[rows] = part.access_m, part.too_far
        return out

    def _pieces(
        self, rows_of: dict[int, NDArray[np.intp]], job: Job
    ) -> Iterator[tuple[Piece, Job]]:
        """(piece, its homes' job) per cell, made one at a time as the runner asks."""
        margin = job.halo_m + job.max_snap_m
        for c, rows in rows_of.items():
            mine = replace(job, demand_x=job.demand_x[rows], demand_y=job.demand_y[rows])
            yield self.cutter.piece(self.grid.box(c, margin)), mine

    def solve(
        self,
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        stations: StationSnaps,
        groups: tuple[NDArray[np.bool_], ...],
        *,
        minutes: float,
        speed_mps: float,
        max_snap_m: float,
        counter: Counter,
    ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]]:
        """Each group's minutes and station per home (groups x homes), and homes off-network."""
        n, g = x.size, len(groups)
        mins = np.full((g, n), np.nan)
        station = np.full((g, n), -1, dtype=np.int64)
        too_far = np.zeros(n, dtype=bool)
        net = self.net
        vmax = float(net.speed_mps.max()) if net.speed_mps is not None else speed_mps
        halo = minutes * 60.0 * vmax
        todo = np.arange(n)
        cell = self.grid.cell_of(x, y)
        while todo.size:
            cells = np.unique(cell[todo])
            counter.plan(int(cells.size))
            self.cells_used = max(self.cells_used, int(cells.size))
            rows_of = {int(c): todo[cell[todo] == c] for c in cells}
            whole = self.cutter.covers_all(self.grid.box(0, halo + max_snap_m)) and all(
                self.cutter.covers_all(self.grid.box(int(c), halo + max_snap_m)) for c in cells
            )

            job = Job(x, y, stations, groups, speed_mps, max_snap_m, halo, vmax)
            answers: list[Answer] = self.runner.map(
                solve_piece, self._pieces(rows_of, job), counter.tick
            )
            unsure = []
            for rows, ans in zip(rows_of.values(), answers, strict=True):
                ok = ans.certain
                mins[:, rows[ok]] = ans.minutes[:, ok]
                station[:, rows[ok]] = ans.station[:, ok]
                too_far[rows[ok]] = ans.too_far[ok]
                unsure.append(rows[~ok])
            todo = np.concatenate(unsure)
            if whole and todo.size:
                raise RuntimeError("a whole-network piece left homes uncertain")  # cannot happen
            halo *= WIDEN
        return mins, station, too_far
