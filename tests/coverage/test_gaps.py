"""gaps.py: hexagons of uncovered elderly, ranked, brute-force sums."""

from __future__ import annotations

import h3
import numpy as np

from services.coverage.gaps import gap_cells


def test_gap_cells_rank_and_sum_like_brute_force() -> None:
    rng = np.random.default_rng(3)
    lon = 116.4 + rng.uniform(0, 0.02, 300)
    lat = 39.9 + rng.uniform(0, 0.02, 300)
    w = rng.integers(0, 30, 300).astype(float)
    covered = rng.random(300) < 0.5
    fc = gap_cells(lon, lat, w, covered, resolution=8, limit=1000)
    known: dict[str, float] = {}
    for lo, la, e, c in zip(lon, lat, w, covered, strict=True):
        if not c:
            cell = h3.latlng_to_cell(la, lo, 8)
            known[cell] = known.get(cell, 0.0) + e
    observed = {
        f["properties"]["cell"]: f["properties"]["uncovered_elderly"] for f in fc["features"]
    }
    assert observed == known
    values = [f["properties"]["uncovered_elderly"] for f in fc["features"]]
    assert values == sorted(values, reverse=True)
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
