"""loaders.py: line merging tolerance, OSM import, point files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from services.coverage.graph import DRIVE
from services.coverage.loaders import load_lines, load_osm_pbf, merge_close_points, read_points


def test_merge_close_points_is_transitive_within_tolerance() -> None:
    xy = np.array([[0.0, 0.0], [0.4, 0.0], [0.8, 0.0], [2.0, 0.0]])
    assert merge_close_points(xy, 0.5).tolist() == [0, 0, 0, 1]


def test_tiny_geojson_network_nodes_and_edges(tiny: dict[str, Path]) -> None:
    net = load_lines(tiny["network"])
    # 5 east-west vertices, north-south adds 2 (its middle joins at 0.24 m), spur 2 (0.7 m: apart)
    assert net.n_nodes == 9
    assert net.n_edges == 14  # 7 segments, both ways
    drive = load_lines(tiny["network"], kind=DRIVE)
    assert drive.n_edges == 13  # the spur is oneway for cars


def test_lengths_match_geodesic(tiny: dict[str, Path]) -> None:
    from pyproj import Geod

    net = load_lines(tiny["network"])
    # first east-west segment: 0.001 degree of longitude at 39.9 N
    known = Geod(ellps="WGS84").inv(116.400, 39.9, 116.401, 39.9)[2]
    observed = net.cost_matrix().toarray()[0, 1]
    assert observed == pytest.approx(known, rel=1e-3)  # UTM scale error < 0.1 %


def test_no_lines_means_no_edges(tmp_path: Path) -> None:
    p = tmp_path / "points.geojson"
    p.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [1, 2]},
                    }
                ],
            }
        )
    )
    with pytest.raises(ValueError, match="no edges"):
        load_lines(p)


def test_osm_walking_network_has_no_motorways(shared_data: Path) -> None:
    import pyrosm

    path = shared_data / "helsinki-osm-sample" / "test.osm.pbf"
    walk = load_osm_pbf(path)
    drive = load_osm_pbf(path, kind=DRIVE)
    _nodes, edges = pyrosm.OSM(str(path)).get_network(network_type="walking", nodes=True)
    known_pairs = {frozenset(p) for p in zip(edges.u, edges.v, strict=False) if p[0] != p[1]}
    assert walk.n_edges == 2 * len(known_pairs)
    assert drive.speed_mps is not None and drive.n_edges < 2 * drive.speed_mps.size


def test_point_files_validate(tmp_path: Path, tiny: dict[str, Path]) -> None:
    d = read_points(tiny["demand"], "demand", need_elderly=True)
    assert d.ids.tolist() == ["a", "b", "c", "far"] and d.elderly.sum() == 65
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lon,lat,elderly\nx,200,1,3\n")
    with pytest.raises(ValueError, match="row 1"):
        read_points(bad, "demand", need_elderly=True)
    dup = tmp_path / "dup.csv"
    dup.write_text("id,lon,lat\nx,1,1\nx,1,2\n")
    with pytest.raises(ValueError, match="not unique"):
        read_points(dup, "stations")


def test_geopackage_gives_the_same_network_as_geojson(
    tiny: dict[str, Path], tmp_path: Path
) -> None:
    import geopandas as gpd

    gpkg = tmp_path / "streets.gpkg"
    gpd.read_file(tiny["network"]).to_file(gpkg, driver="GPKG")
    assert load_lines(gpkg).version == load_lines(tiny["network"]).version


def test_geojson_demand_points_and_polygons(tmp_path: Path) -> None:
    p = tmp_path / "d.geojson"
    p.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": "p1",
                        "properties": {"elderly": 4},
                        "geometry": {"type": "Point", "coordinates": [116.4, 39.9]},
                    },
                    {
                        "type": "Feature",
                        "properties": {"id": "estate", "elderly": 40},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[116.41, 39.91], [116.42, 39.91], [116.42, 39.92], [116.41, 39.91]]
                            ],
                        },
                    },
                ],
            }
        )
    )
    d = read_points(p, "demand", need_elderly=True)
    assert d.ids.tolist() == ["p1", "estate"] and d.elderly.tolist() == [4.0, 40.0]
    assert 116.41 < d.lon[1] < 116.42 and 39.91 < d.lat[1] < 39.92


def test_csv_headers_are_forgiving(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text(" ID , Lon ,Lat,Elderly\nx, 116.4 ,39.9, 7\n")
    d = read_points(p, "demand", need_elderly=True)
    assert d.ids.tolist() == ["x"] and d.elderly.tolist() == [7.0] and d.lon[0] == 116.4
