"""A seeded, street-like synthetic city of any size (pure arrays, meters).

Why: the speed targets (a million street nodes, millions of demand points) need inputs
anyone can regenerate exactly, and no open street + population data of that size ships
with the project. The city is a perturbed grid of blocks (60-140 m, like Chinese
residential blocks) with arterials every 8th street, about 12 % of local links missing
(dead ends, irregular blocks), and slightly curved streets whose intermediate vertices
are network nodes (as OSM ways' nodes are). Stations stand beside streets (8-30 m off);
demand points are homes beside local streets (6-45 m off) with elderly counts that are
higher in the old centre. Everything is GENERATED: no real place, people or facilities.

``n_nodes`` is met exactly: the network read back from the files has that many nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

HIGHWAYS = ("residential", "primary")
"""Street classes by code: 0 local (residential), 1 arterial (primary)."""
ARTERIAL_EVERY = 8
BLOCK_M = (60.0, 140.0)
JITTER_M = 6.0
MISSING_LINKS = 0.12
NODES_PER_INTERSECTION = 4.0
NODES_PER_STATION = 225
DEFAULT_CENTRE = (118.089, 24.479)  # Xiamen (UTM zone 50N): lon, lat in degrees


@dataclass(frozen=True)
class City:
    """Streets as polylines between intersections, stations and demand, in ``epsg`` meters.

    ``line_start[i]:line_start[i + 1]`` are the vertices of street link ``i`` (first and
    last vertex are its intersections ``u[i]``/``v[i]``; the others are its own nodes).
    """

    epsg: int
    vx: NDArray[np.float64]
    vy: NDArray[np.float64]
    line_start: NDArray[np.int64]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    highway: NDArray[np.int8]
    station_x: NDArray[np.float64]
    station_y: NDArray[np.float64]
    demand_x: NDArray[np.float64]
    demand_y: NDArray[np.float64]
    elderly: NDArray[np.int64]

    @property
    def n_nodes(self) -> int:
        """Intersections plus intermediate vertices: the nodes of the network read back."""
        n_lines = self.u.size
        return int(np.unique(np.concatenate([self.u, self.v])).size + self.vx.size - 2 * n_lines)


def synth_city(
    n_nodes: int,
    seed: int,
    *,
    n_stations: int | None = None,
    n_demand: int | None = None,
    epsg: int = 32650,
    centre_xy: tuple[float, float] = (0.0, 0.0),
) -> City:
    """Generate a city with exactly ``n_nodes`` street nodes (same seed, same city).

    Parameters
    ----------
    n_nodes : street nodes (intersections + intermediate vertices), >= 4.
    n_stations : stations beside streets; default one per 225 nodes (5,000 at 1.1 M).
    n_demand : demand points (homes); default ``n_nodes``.
    epsg, centre_xy : the metric CRS and the city's centre in it (meters).
    """
    if n_nodes < 4:
        raise ValueError("nodes must be >= 4")
    n_stations = max(1, round(n_nodes / NODES_PER_STATION)) if n_stations is None else n_stations
    n_demand = n_nodes if n_demand is None else n_demand
    if n_stations < 1 or n_demand < 1:
        raise ValueError("stations and demand must be >= 1")
    rng = np.random.default_rng(seed)
    ix, iy, a, b, arterial = _blocks(n_nodes, rng)
    ix, iy = ix + centre_xy[0], iy + centre_xy[1]
    a, b, arterial = _drop_links(a, b, arterial, ix.size, rng)
    vx, vy, line_start = _polylines(ix, iy, a, b, arterial, n_nodes - ix.size, rng)
    sx, sy = _beside_streets(ix, iy, a, b, arterial, n_stations, (8.0, 30.0), 1.0, rng)
    dx, dy = _beside_streets(ix, iy, a, b, arterial, n_demand, (6.0, 45.0), 0.3, rng)
    return City(
        epsg=epsg,
        vx=vx,
        vy=vy,
        line_start=line_start,
        u=a,
        v=b,
        highway=arterial.astype(np.int8),
        station_x=sx,
        station_y=sy,
        demand_x=dx,
        demand_y=dy,
        elderly=_elderly(dx - centre_xy[0], dy - centre_xy[1], rng),
    )


def _blocks(
    n_nodes: int, rng: np.random.Generator
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.bool_],
]:
    """Intersections on a perturbed grid (centred on 0, 0) and every grid link between them."""
    n_int = max(4, int(n_nodes / NODES_PER_INTERSECTION))
    cols = max(2, math.ceil(math.sqrt(n_int)))
    rows = max(2, math.ceil(n_int / cols))
    xs = np.concatenate([[0.0], np.cumsum(rng.uniform(*BLOCK_M, cols - 1))])
    ys = np.concatenate([[0.0], np.cumsum(rng.uniform(*BLOCK_M, rows - 1))])
    gx, gy = np.meshgrid(xs - xs.mean(), ys - ys.mean())
    ix = gx.ravel() + rng.uniform(-JITTER_M, JITTER_M, rows * cols)
    iy = gy.ravel() + rng.uniform(-JITTER_M, JITTER_M, rows * cols)
    ids = np.arange(rows * cols, dtype=np.int64).reshape(rows, cols)
    row_art = np.arange(rows) % ARTERIAL_EVERY == 0
    col_art = np.arange(cols) % ARTERIAL_EVERY == 0
    a = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    b = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    arterial = np.concatenate(
        [np.repeat(row_art, cols - 1), np.tile(col_art, rows - 1)]  # east-west, north-south
    )
    return ix, iy, a, b, arterial


def _drop_links(
    a: NDArray[np.int64],
    b: NDArray[np.int64],
    arterial: NDArray[np.bool_],
    n_int: int,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Remove some local links (dead ends, merged blocks); no intersection is left alone."""
    drop = ~arterial & (rng.random(a.size) < MISSING_LINKS)
    keep = ~drop
    degree = np.bincount(a[keep], minlength=n_int) + np.bincount(b[keep], minlength=n_int)
    alone = degree == 0
    keep |= alone[a] | alone[b]
    return a[keep], b[keep], arterial[keep]


def _polylines(
    ix: NDArray[np.float64],
    iy: NDArray[np.float64],
    a: NDArray[np.int64],
    b: NDArray[np.int64],
    arterial: NDArray[np.bool_],
    n_inner: int,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Each link as a slightly curved polyline; exactly ``n_inner`` intermediate vertices.

    Vertices are spread by length (arterials get half as many per meter) at evenly spaced,
    jittered fractions, so two vertices are never within 0.5 m (the loaders' merge tolerance).
    """
    length = np.hypot(ix[b] - ix[a], iy[b] - iy[a])
    weight = length * np.where(arterial, 0.5, 1.0)
    per_link = rng.multinomial(n_inner, weight / weight.sum()).astype(np.int64)
    link = np.repeat(np.arange(a.size, dtype=np.int64), per_link)
    j = np.arange(link.size, dtype=np.int64) - np.repeat(np.cumsum(per_link) - per_link, per_link)
    k = per_link[link]
    frac = (j + 1 + rng.uniform(-0.35, 0.35, link.size)) / (k + 1)
    bend = np.where(arterial, 0.0, rng.normal(0.0, 3.0, a.size))  # meters at mid-link
    dx, dy = ix[b] - ix[a], iy[b] - iy[a]
    nx_, ny_ = -dy / np.maximum(length, 1e-9), dx / np.maximum(length, 1e-9)
    side = bend[link] * np.sin(np.pi * frac)
    inner_x = ix[a[link]] + frac * dx[link] + side * nx_[link]
    inner_y = iy[a[link]] + frac * dy[link] + side * ny_[link]
    count = per_link + 2
    line_start = np.zeros(a.size + 1, dtype=np.int64)
    np.cumsum(count, out=line_start[1:])
    vx = np.empty(int(line_start[-1]))
    vy = np.empty_like(vx)
    vx[line_start[:-1]], vy[line_start[:-1]] = ix[a], iy[a]
    vx[line_start[1:] - 1], vy[line_start[1:] - 1] = ix[b], iy[b]
    pos = line_start[link] + 1 + j
    vx[pos], vy[pos] = inner_x, inner_y
    return vx, vy, line_start


def _beside_streets(
    ix: NDArray[np.float64],
    iy: NDArray[np.float64],
    a: NDArray[np.int64],
    b: NDArray[np.int64],
    arterial: NDArray[np.bool_],
    n: int,
    offset_m: tuple[float, float],
    arterial_weight: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points beside random links (chosen by length), ``offset_m`` to either side."""
    length = np.hypot(ix[b] - ix[a], iy[b] - iy[a])
    w = length * np.where(arterial, arterial_weight, 1.0)
    link = np.searchsorted(np.cumsum(w), rng.random(n) * w.sum(), side="right")
    link = np.minimum(link, a.size - 1)
    t = rng.uniform(0.05, 0.95, n)
    off = rng.uniform(*offset_m, n) * rng.choice(np.array([-1.0, 1.0]), n)
    dx, dy = ix[b[link]] - ix[a[link]], iy[b[link]] - iy[a[link]]
    ln = np.maximum(length[link], 1e-9)
    x = ix[a[link]] + t * dx - off * dy / ln
    y = iy[a[link]] + t * dy + off * dx / ln
    return x, y


def _elderly(
    x: NDArray[np.float64], y: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.int64]:
    """Elderly per home: Poisson, mean 3 at the edge up to 12 in the old centre."""
    r = np.hypot(x, y)
    scale = max(float(r.max()), 1.0) * 0.35
    mean = (3.0 + 9.0 * np.exp(-((r / scale) ** 2))) * rng.lognormal(0.0, 0.4, x.size)
    return rng.poisson(mean).astype(np.int64)
