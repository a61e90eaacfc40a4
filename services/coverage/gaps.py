"""Uncovered demand grouped into H3 hexagons, ranked by uncovered elderly (GeoJSON out)."""

from __future__ import annotations

from typing import Any

import h3
import numpy as np
from numpy.typing import NDArray

DEFAULT_RESOLUTION = 9  # about 0.1 km² a cell (edge ~ 174 m): a few blocks


def gap_cells(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    elderly: NDArray[np.float64],
    covered: NDArray[np.bool_],
    resolution: int = DEFAULT_RESOLUTION,
    limit: int = 100,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of hexagons holding uncovered elderly, largest first.

    Each feature: ``cell``, ``uncovered_elderly``, ``uncovered_points``, ``rank``.
    """
    if not 0 <= resolution <= 15:
        raise ValueError("resolution must be within 0..15")
    idx = np.flatnonzero(~covered)
    cells = np.asarray([h3.latlng_to_cell(float(lat[i]), float(lon[i]), resolution) for i in idx])
    feats = []
    if idx.size:
        uniq, inv = np.unique(cells, return_inverse=True)
        sums = np.bincount(inv, weights=elderly[idx])
        counts = np.bincount(inv)
        order = np.lexsort((uniq, -sums))[:limit]
        for rank, k in enumerate(order, start=1):
            ring = [[lo, la] for la, lo in h3.cell_to_boundary(str(uniq[k]))]
            ring.append(ring[0])
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {
                        "rank": rank,
                        "cell": str(uniq[k]),
                        "uncovered_elderly": float(sums[k]),
                        "uncovered_points": int(counts[k]),
                    },
                }
            )
    return {"type": "FeatureCollection", "features": feats}
