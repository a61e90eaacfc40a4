"""Write GENERATED (seeded) stations and demand on Andorra's buildings and streets.

Andorra's OSM extract has no elderly-care facilities and no population data, so the
planner walkthrough in docs/coverage.md places them itself: demand = every building
(centroid) plus points on residential/living streets, with a seeded random elderly
count; stations = seeded picks among residential street nodes. Not real figures.

Usage: .venv/bin/python bench/coverage_andorra_sample.py OUT_DIR [--seed 42] [--stations 12]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PBF = ROOT.parent / "shared" / "data" / "osm-samples" / "andorra.osm.pbf"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--stations", type=int, default=12)
    ap.add_argument("--street-points", type=int, default=3000)
    args = ap.parse_args()
    import pyrosm

    rng = np.random.default_rng(args.seed)
    osm = pyrosm.OSM(str(PBF))
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    res = edges[edges["highway"].isin(["residential", "living_street"])]
    res_nodes = np.unique(np.concatenate([res["u"].to_numpy(), res["v"].to_numpy()]))
    pos = nodes.set_index("id").loc[res_nodes]
    buildings = osm.get_buildings()
    centroids = buildings.geometry.representative_point()
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "demand.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "lon", "lat", "elderly", "elderly_80plus"])
        for i, p in enumerate(centroids):
            e = int(rng.integers(2, 40))
            w.writerow([f"b{i}", f"{p.x:.7f}", f"{p.y:.7f}", e, int(e * 0.2)])
        pick = rng.choice(len(pos), min(args.street_points, len(pos)), replace=False)
        for i, k in enumerate(pick):
            lon = pos["lon"].iloc[k] + rng.normal(0, 0.0002)  # ~20 m off the street
            lat = pos["lat"].iloc[k] + rng.normal(0, 0.0002)
            e = int(rng.integers(0, 15))
            w.writerow([f"s{i}", f"{lon:.7f}", f"{lat:.7f}", e, int(e * 0.2)])
    st = rng.choice(len(pos), args.stations, replace=False)
    feats = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [
                    round(float(pos["lon"].iloc[k]), 7),
                    round(float(pos["lat"].iloc[k]), 7),
                ],
            },
            "properties": {
                "id": f"station-{j + 1}",
                "type": "care_center" if j % 4 == 0 else "community_station",
            },
        }
        for j, k in enumerate(st)
    ]
    (args.out / "stations.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": feats}, indent=1)
    )
    print(
        f"wrote {len(centroids)} building + {len(pick)} street demand points and "
        f"{len(feats)} stations to {args.out} (seed {args.seed})"
    )


if __name__ == "__main__":
    main()
