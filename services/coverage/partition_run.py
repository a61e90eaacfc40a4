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

    def snap_stations(
        self,
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        max_snap_m: float,
        counter: Counter,
    ) -> StationSnaps:
        """Every station on its nearest street point (segments by global node numbers)."""
        rows_of = by_cell(np.arange(x.size), self.grid.cell_of(x, y))
        counter.plan(len(rows_of))

        def tasks() -> Iterator[tuple[Any, ...]]:
            for c, rows in rows_of.items():
                piece = self.cutter.piece(self.grid.box(c, max_snap_m))
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
        for rows, part in zip(rows_of.values(), parts, strict=True):
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
            rows_of = by_cell(todo, cell[todo])
            whole = all(
                self.cutter.covers_all(self.grid.box(c, halo + max_snap_m)) for c in rows_of
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


def by_cell(rows: NDArray[np.intp], cell: NDArray[np.int64]) -> dict[int, NDArray[np.intp]]:
    """``rows`` grouped by their cell (one sort, not a pass per cell), cells in order.

    >>> by_cell(np.array([7, 8, 9]), np.array([2, 0, 2]))
    {0: array([8]), 2: array([7, 9])}
    """
    order = np.argsort(cell, kind="stable")
    cells, starts = np.unique(cell[order], return_index=True)
    parts = np.split(rows[order], starts[1:])
    return {int(c): p for c, p in zip(cells, parts, strict=True)}
