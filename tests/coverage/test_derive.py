"""derive.py: community elderly spread over the area (hand-worked grid, conservation)."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from services.coverage.derive import spread_elderly


def square(lon0: float, lat0: float, side_m: float) -> dict[str, object]:
    to_m = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    back = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
    x0, y0 = to_m.transform(lon0, lat0)
    ring = [
        back.transform(x0 + dx, y0 + dy)
        for dx, dy in ((0, 0), (side_m, 0), (side_m, side_m), (0, side_m), (0, 0))
    ]
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def test_one_km_square_at_250_m_gives_16_equal_points() -> None:
    regions = [
        {
            "code": "110101001001",
            "elderly_60plus": 1000,
            "elderly_65plus": 600,
            "geometry": square(116.4, 39.9, 1000.0),
        }
    ]
    recs, skipped = spread_elderly(regions, 250.0)
    assert skipped == [] and len(recs) == 16
    assert sum(r["elderly"] for r in recs) == pytest.approx(1000)
    assert {r["elderly"] for r in recs} == {62.5}
    assert sum(r["elderly_65plus"] for r in recs) == pytest.approx(600)


def test_tiny_community_gets_one_point_and_missing_data_is_reported() -> None:
    recs, skipped = spread_elderly(
        [
            {"code": "a", "elderly_60plus": 7, "geometry": square(116.4, 39.9, 50.0)},
            {"code": "b", "elderly_60plus": 7, "geometry": None},
            {"code": "c", "elderly_60plus": None, "geometry": square(116.4, 39.9, 50.0)},
        ],
        200.0,
    )
    assert [r["elderly"] for r in recs] == [7.0]
    assert [s["code"] for s in skipped] == ["b", "c"]
