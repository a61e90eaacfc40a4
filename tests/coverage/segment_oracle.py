"""An obviously-right oracle for street-segment snapping and minutes (tests only).

Brute force over every segment for each point (nearest point of each segment, the
smallest distance wins), then every station and home is inserted into the street graph
as a node of its own, splitting its segment, and a textbook heap Dijkstra runs from the
stations. Slow (points x segments) and simple on purpose.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict

import numpy as np


def segments_of(edges: list[tuple[int, int, float]]) -> dict[tuple[int, int], list[float]]:
    """(a, b) with a < b -> [cost a->b, cost b->a] (inf where there is no such edge)."""
    segs: dict[tuple[int, int], list[float]] = {}
    for u, v, c in edges:
        if u == v:
            continue
        key = (min(u, v), max(u, v))
        entry = segs.setdefault(key, [math.inf, math.inf])
        i = 0 if u < v else 1
        entry[i] = min(entry[i], c)
    return segs


def nearest_on_segments(
    x: np.ndarray, y: np.ndarray, segs: list[tuple[int, int]], px: float, py: float
) -> tuple[int, float, float]:
    """(segment number, t from a, distance) of the nearest segment point, by brute force."""
    best = (-1, 0.0, math.inf)
    for i, (a, b) in enumerate(segs):
        dx, dy = x[b] - x[a], y[b] - y[a]
        l2 = dx * dx + dy * dy
        t = 0.0 if l2 == 0 else max(0.0, min(1.0, ((px - x[a]) * dx + (py - y[a]) * dy) / l2))
        d = math.hypot(px - (x[a] + t * dx), py - (y[a] + t * dy))
        if d < best[2]:
            best = (i, t, d)
    return best


def oracle_minutes(
    x: np.ndarray,
    y: np.ndarray,
    edges: list[tuple[int, int, float]],
    stations: list[tuple[float, float]],
    homes: list[tuple[float, float]],
    speed_mps: float,
    seconds: bool = False,
    max_snap_m: float = 500.0,
) -> list[float]:
    """Minutes from each home to its nearest station (nan: none or off the network).

    ``edges`` are directed (u, v, cost): meters (walking) or, with ``seconds``, driving
    seconds; access legs are straight lines walked at ``speed_mps``.
    """
    segs = segments_of(edges)
    keys = list(segs)
    graph: dict[str, list[tuple[str, float]]] = defaultdict(list)  # forward edges
    on_segment: dict[int, list[tuple[float, str]]] = defaultdict(list)
    access: dict[str, float] = {}
    for kind, pts in (("S", stations), ("D", homes)):
        for j, (px, py) in enumerate(pts):
            i, t, d = nearest_on_segments(x, y, keys, px, py)
            name = f"{kind}{j}"
            access[name] = d
            if d <= max_snap_m:
                on_segment[i].append((t, name))
    for i, (a, b) in enumerate(keys):
        ab, ba = segs[(a, b)]
        chain = [(0.0, f"n{a}"), *sorted(on_segment.get(i, [])), (1.0, f"n{b}")]
        for (t0, p), (t1, q) in zip(chain, chain[1:], strict=False):
            if t1 == t0:  # the same place
                graph[p].append((q, 0.0))
                graph[q].append((p, 0.0))
                continue
            if math.isfinite(ab):
                graph[p].append((q, (t1 - t0) * ab))
            if math.isfinite(ba):
                graph[q].append((p, (t1 - t0) * ba))
    reverse: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for p, outs in graph.items():
        for q, c in outs:
            reverse[q].append((p, c))
    start = {
        f"S{j}": access[f"S{j}"] / (speed_mps if seconds else 1.0)
        for j in range(len(stations))
        if access[f"S{j}"] <= max_snap_m
    }
    dist = dijkstra(reverse, start)
    out = []
    for j in range(len(homes)):
        name = f"D{j}"
        cost = dist.get(name, math.inf)
        if access[name] > max_snap_m or not math.isfinite(cost):
            out.append(math.nan)
            continue
        total_s = cost + access[name] / speed_mps if seconds else (cost + access[name]) / speed_mps
        out.append(total_s / 60.0)
    return out


def dijkstra(
    graph: dict[str, list[tuple[str, float]]], start: dict[str, float]
) -> dict[str, float]:
    """Textbook heap Dijkstra from several sources with their starting costs."""
    dist = dict(start)
    heap = [(c, s) for s, c in start.items()]
    heapq.heapify(heap)
    while heap:
        c, p = heapq.heappop(heap)
        if c > dist.get(p, math.inf):
            continue
        for q, w in graph.get(p, []):
            nc = c + w
            if nc < dist.get(q, math.inf):
                dist[q] = nc
                heapq.heappush(heap, (nc, q))
    return dist
