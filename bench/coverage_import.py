"""Benchmark: network import speed (OSM .pbf and GeoJSON lines) and npz size/load time.

* andorra.osm.pbf (real, 37,518 walking nodes) through pyrosm + numpy;
* a generated GeoJSON street grid of ~300,000 vertices (550 x 550, 80 m blocks near
  Beijing; rows and columns as LineStrings crossing at shared vertices), through
  geopandas/pyogrio + the 0.5 m vertex merge; baseline: ``json.load`` of the same file
  (reading the text alone), so the ratio shows what the network build adds.

Run: ``.venv/bin/python bench/coverage_import.py [--quick]``.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from services.coverage.graph import load_network, save_network
from services.coverage.loaders import load_lines, load_osm_pbf

ROOT = Path(__file__).resolve().parents[1]


def grid_geojson(path: Path, side: int) -> None:
    lon0, lat0 = 116.3, 39.85
    dlon, dlat = 80 / 85_390.0, 80 / 111_030.0  # ~80 m at 39.9 N
    lons = lon0 + np.arange(side) * dlon
    lats = lat0 + np.arange(side) * dlat
    feats = []
    for j in range(side):
        coords = np.column_stack([lons, np.full(side, lats[j])]).round(7).tolist()
        feats.append(
            {
                "type": "Feature",
                "properties": {"highway": "residential"},
                "geometry": {"type": "LineString", "coordinates": coords},
            }
        )
    for i in range(side):
        coords = np.column_stack([np.full(side, lons[i]), lats]).round(7).tolist()
        feats.append(
            {
                "type": "Feature",
                "properties": {"highway": "residential"},
                "geometry": {"type": "LineString", "coordinates": coords},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100 x 100 grid instead of 550 x 550")
    args = ap.parse_args()
    t0 = time.perf_counter()
    net = load_osm_pbf(ROOT.parent / "shared" / "data" / "osm-samples" / "andorra.osm.pbf")
    print(
        f"andorra.osm.pbf walking: {net.n_nodes:,} nodes, {net.n_edges:,} edges in "
        f"{time.perf_counter() - t0:.2f} s"
    )
    side = 100 if args.quick else 550
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "grid.geojson"
        grid_geojson(path, side)
        t0 = time.perf_counter()
        json.loads(path.read_text())
        read_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        grid = load_lines(path)
        load_s = time.perf_counter() - t0
    print(
        f"GeoJSON grid {side}x{side}: {grid.n_nodes:,} nodes, {grid.n_edges:,} edges in "
        f"{load_s:.2f} s (json.load alone {read_s:.2f} s; ratio {load_s / read_s:.1f}x)"
    )
    assert grid.n_nodes == side * side, "crossings must merge into one node"
    buf = io.BytesIO()
    t0 = time.perf_counter()
    save_network(grid, buf)
    save_s = time.perf_counter() - t0
    size_mb = buf.tell() / 1e6
    buf.seek(0)
    t0 = time.perf_counter()
    back = load_network(buf)
    print(
        f"npz: {size_mb:.1f} MB, save {save_s:.2f} s, load+verify {time.perf_counter() - t0:.2f} s;"
        f" version {back.version}"
    )


if __name__ == "__main__":
    main()
