"""Benchmark: network import speed (OSM .pbf, GeoJSON and GeoPackage lines), npz size/load.

* andorra.osm.pbf (real, 37,518 walking nodes) through pyrosm + numpy;
* a generated GeoJSON street grid of ~300,000 vertices (550 x 550, 80 m blocks near
  Beijing; rows and columns as LineStrings crossing at shared vertices), through GDAL's
  Arrow reader + the 0.5 m vertex merge; baseline: ``json.load`` of the same file
  (reading the text alone), so the ratio shows what the network build adds;
* the ``carecircle synth city`` GeoPackage (quick 100,000 nodes, full 1,000,000; lines
  with u/v end ids, UTM): the whole network build; baseline: ``geopandas.read_file`` of
  the same file (only reading it into a GeoDataFrame, what a GIS user starts with).

Run: ``.venv/bin/python bench/coverage_import.py [--quick]``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import describe, emit, load_avg, row, timed  # noqa: E402
from coverage_reach import city_files  # noqa: E402

from services.coverage.graph import load_network, save_network  # noqa: E402
from services.coverage.loaders import load_lines, load_osm_pbf  # noqa: E402

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
    ap.add_argument("--quick", action="store_true", help="100 x 100 grid, 100,000-node city")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    start = load_avg()
    print(f"load average at start: {start}")
    rows = []
    pbf = ROOT.parent / "shared" / "data" / "osm-samples" / "andorra.osm.pbf"
    samples, net = timed(lambda: load_osm_pbf(pbf), args.runs)
    rows.append(row("andorra.osm.pbf -> walking network (pyrosm)", samples))
    print(f"andorra.osm.pbf walking: {net.n_nodes:,} nodes, {net.n_edges:,} edges")
    side = 100 if args.quick else 550
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "grid.geojson"
        grid_geojson(path, side)
        read_s, _ = timed(lambda: json.loads(path.read_text()), args.runs)
        load_s, grid = timed(lambda: load_lines(path), args.runs)
    base = f"GeoJSON grid {side}x{side}: json.load of the file"
    rows += [row(f"GeoJSON grid {side}x{side} -> network (0.5 m merge)", load_s, baseline=base)]
    rows += [row(base, read_s)]
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
    nodes = 100_000 if args.quick else 1_000_000
    gpkg = city_files(nodes) / "network.gpkg"
    ours_s, city = timed(lambda: load_lines(gpkg), args.runs)
    import geopandas as gpd

    gpd_s, _ = timed(lambda: gpd.read_file(gpkg), args.runs)
    base = f"synth {nodes:,}-node GeoPackage: geopandas.read_file"
    rows += [row(f"synth {nodes:,}-node GeoPackage -> network (u/v ids)", ours_s, baseline=base)]
    rows += [row(base, gpd_s)]
    print(f"synth city: {city.n_nodes:,} nodes, {city.n_edges:,} edges")
    for r in rows:
        print(describe(r))
    emit("coverage_import", rows, start)


if __name__ == "__main__":
    main()
