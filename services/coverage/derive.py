"""Demand derived from the region registry when nothing finer exists (flagged in results).

Each community's elderly (60+, and 65+ when known) is spread evenly over its area:
points on a square grid (``spacing_m`` meters, in the community's UTM zone) inside its
boundary, each carrying an equal share. A community too small for one grid point gets
its representative point. Communities without a boundary or an elderly count are
reported as skipped, not guessed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from services.coverage.loaders import from_epsg, projector


def spread_elderly(
    regions: list[dict[str, Any]], spacing_m: float = 200.0
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Demand records (id, lon, lat, elderly, elderly_65plus, region_code) and skipped regions."""
    if spacing_m <= 0:
        raise ValueError("spacing_m must be > 0")
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for reg in regions:
        code = str(reg.get("code"))
        elderly = reg.get("elderly_60plus")
        if elderly is None:
            skipped.append({"code": code, "reason": "no elderly_60plus count"})
            continue
        if not reg.get("geometry"):
            skipped.append({"code": code, "reason": "no boundary"})
            continue
        geom = shape(reg["geometry"])
        if geom.is_empty:
            skipped.append({"code": code, "reason": "empty boundary"})
            continue
        c = geom.representative_point()
        epsg, tr = projector(np.array([c.x]), np.array([c.y]))
        g_m = shapely.transform(
            geom, lambda xy, tr=tr: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
        )
        minx, miny, maxx, maxy = g_m.bounds
        grid_x, grid_y = np.meshgrid(
            np.arange(minx + spacing_m / 2, maxx, spacing_m),
            np.arange(miny + spacing_m / 2, maxy, spacing_m),
        )
        gx, gy = grid_x.ravel(), grid_y.ravel()
        inside = shapely.contains_xy(g_m, gx, gy) if gx.size else np.zeros(0, dtype=bool)
        gx, gy = gx[inside], gy[inside]
        if gx.size == 0:
            p = g_m.representative_point()
            gx, gy = np.array([p.x]), np.array([p.y])
        lon, lat = from_epsg(epsg, gx, gy)
        n = gx.size
        e65 = reg.get("elderly_65plus")
        for k in range(n):
            rec = {
                "id": f"{code}-{k}",
                "lon": float(lon[k]),
                "lat": float(lat[k]),
                "elderly": float(elderly) / n,
                "region_code": code,
            }
            if e65 is not None:
                rec["elderly_65plus"] = float(e65) / n
            records.append(rec)
    return records, skipped
