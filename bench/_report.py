"""The machine-readable last line every benchmark prints (``bench/table.py`` reads it).

Convention (for every bench/*.py): after its human-readable output, a bench prints ONE
last stdout line ``BENCH_JSON {...}`` with

    {"bench": "coverage_reach", "load_avg": [1 min, 5 min, 15 min] at its start,
     "rows": [{"name", "median", "spread", "unit", "runs",
               "baseline": name of another row of the same bench (or null),
               "ratio": median / baseline's median (or null),
               "better": "lower" (times, memory) or "higher" (rates)}]}

``spread`` is max - min over the runs (same unit). A baseline is measured in the same
run, on the same data: what a user would compare with, never a slowed copy of ours.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

PREFIX = "BENCH_JSON "


def load_avg() -> list[float]:
    """The machine's load average now (1, 5, 15 min): print it beside every figure."""
    return [round(x, 2) for x in os.getloadavg()]


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Wall seconds of ``runs`` calls of ``fn`` and the last call's result."""
    samples, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        samples.append(time.perf_counter() - t0)
    return samples, out


def row(
    name: str,
    samples: list[float],
    unit: str = "s",
    baseline: str | None = None,
    better: str = "lower",
) -> dict[str, Any]:
    """One figure: median and spread of its samples."""
    return {
        "name": name,
        "median": statistics.median(samples),
        "spread": max(samples) - min(samples),
        "unit": unit,
        "runs": len(samples),
        "baseline": baseline,
        "better": better,
    }


def describe(r: dict[str, Any]) -> str:
    """A row as people read it: median ± spread, runs, load average."""
    return (
        f"{r['name']}: {r['median']:.3f} {r['unit']} (spread {r['spread']:.3f}, "
        f"{r['runs']} runs; load {', '.join(f'{x:.2f}' for x in load_avg())})"
    )


def emit(bench: str, rows: list[dict[str, Any]], load_at_start: list[float]) -> None:
    """Fill in the ratios and print the last line."""
    by_name = {r["name"]: r for r in rows}
    for r in rows:
        base = by_name.get(r["baseline"]) if r["baseline"] else None
        r["ratio"] = r["median"] / base["median"] if base and base["median"] else None
    print(PREFIX + json.dumps({"bench": bench, "load_avg": load_at_start, "rows": rows}))
