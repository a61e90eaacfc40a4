"""``carecircle coverage`` end to end as a real process, against independent oracles."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod

GEOD = Geod(ellps="WGS84")


def geodesic_m(lon1, lat1, lon2, lat2):  # type: ignore[no-untyped-def]
    """Ellipsoidal distance (the oracle; haversine's sphere is 0.2-0.4 % off here)."""
    return GEOD.inv(*np.broadcast_arrays(lon1, lat1, lon2, lat2))[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "coverage", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_result(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "elderly", "minutes", "nearest_station"]
    return {r["id"]: r for r in rows}


def test_tiny_geojson_network_hand_computed(tiny: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    p = run_cli(
        "--network",
        str(tiny["network"]),
        "--stations",
        str(tiny["stations"]),
        "--demand",
        str(tiny["demand"]),
        "--minutes",
        "6",
        "--speed",
        "1.0",
        "--out",
        str(out),
    )
    assert p.returncode == 0, p.stderr
    assert "coverage" in p.stderr  # tqdm bar
    summary = json.loads(p.stdout.strip().splitlines()[-1])
    seg = float(geodesic_m(116.400, 39.9, 116.401, 39.9))  # one east-west block
    ns = float(geodesic_m(116.402, 39.898, 116.402, 39.900))  # half the north-south street
    west_access = float(geodesic_m(116.400, 39.9001, 116.400, 39.9))
    known_m = {"a": west_access + seg, "b": west_access + 4 * seg, "c": west_access + 2 * seg + ns}
    rows = read_result(out)
    for pid, meters in known_m.items():
        assert float(rows[pid]["minutes"]) == pytest.approx(meters / 60, rel=1e-3)
        assert rows[pid]["nearest_station"] == "west"
    assert rows["far"]["minutes"] == "" and rows["far"]["nearest_station"] == ""
    assert summary["demand_off_network_ids"] == ["far"]
    # within 6 min (360 m): a (96 m) and b (352 m); c (404 m) is not; "far" counts as uncovered
    assert summary["covered_share_by_count"] == pytest.approx(2 / 4)
    assert summary["covered_share_by_elderly"] == pytest.approx(30 / 65)


def test_station_far_off_the_network_is_a_clear_error(
    tiny: dict[str, Path], tmp_path: Path
) -> None:
    st = tmp_path / "st.csv"
    st.write_text("id,lon,lat\nlost,116.40,39.95\n")  # 5.5 km north of every street
    p = run_cli(
        "--network",
        str(tiny["network"]),
        "--stations",
        str(st),
        "--demand",
        str(tiny["demand"]),
        "--out",
        str(tmp_path / "r.csv"),
    )
    assert p.returncode == 2
    assert "farther than 500 m" in p.stderr and "lost" in p.stderr
    assert "error" in json.loads(p.stdout.strip().splitlines()[-1])


def test_helsinki_pbf_against_networkx_and_brute_force(shared_data: Path, tmp_path: Path) -> None:
    """Independent oracle: geodesic lengths of pyrosm segments, brute-force nearest node, nx per station."""
    import pyrosm

    pbf = shared_data / "helsinki-osm-sample" / "test.osm.pbf"
    nodes, edges = pyrosm.OSM(str(pbf)).get_network(network_type="walking", nodes=True)
    rng = np.random.default_rng(7)
    lon, lat = nodes["lon"].to_numpy(), nodes["lat"].to_numpy()
    st_idx = rng.choice(len(nodes), 4, replace=False)
    st_lon, st_lat = lon[st_idx] + 0.0001, lat[st_idx]
    dm_lon = rng.uniform(lon.min(), lon.max(), 60)
    dm_lat = rng.uniform(lat.min(), lat.max(), 60)
    elderly = rng.integers(0, 40, 60)
    (tmp_path / "st.csv").write_text(
        "id,lon,lat\n"
        + "".join(f"s{i},{a},{b}\n" for i, (a, b) in enumerate(zip(st_lon, st_lat, strict=False)))
    )
    (tmp_path / "dm.csv").write_text(
        "id,lon,lat,elderly\n"
        + "".join(
            f"d{i},{a},{b},{e}\n"
            for i, (a, b, e) in enumerate(zip(dm_lon, dm_lat, elderly, strict=False))
        )
    )
    out = tmp_path / "r.csv"
    p = run_cli(
        "--network",
        str(pbf),
        "--stations",
        str(tmp_path / "st.csv"),
        "--demand",
        str(tmp_path / "dm.csv"),
        "--minutes",
        "15",
        "--out",
        str(out),
    )
    assert p.returncode == 0, p.stderr
    rows = read_result(out)

    g = nx.Graph()
    ids = nodes["id"].to_numpy()
    node_pos = {int(i): k for k, i in enumerate(ids)}
    pu = np.array([node_pos[int(u)] for u in edges.u])
    pv = np.array([node_pos[int(v)] for v in edges.v])
    lengths = geodesic_m(lon[pu], lat[pu], lon[pv], lat[pv])
    for u, v, w in zip(edges.u, edges.v, lengths, strict=False):
        if u != v and (not g.has_edge(u, v) or g[u][v]["weight"] > w):
            g.add_edge(u, v, weight=float(w))

    def nearest(a: float, b: float) -> tuple[int, float]:
        d = geodesic_m(a, b, lon, lat)
        i = int(np.argmin(d))
        return int(ids[i]), float(d[i])

    per_station = []
    for a, b in zip(st_lon, st_lat, strict=False):
        node, acc = nearest(a, b)
        per_station.append((acc, nx.single_source_dijkstra_path_length(g, node)))
    known_covered = 0
    for i, (a, b) in enumerate(zip(dm_lon, dm_lat, strict=False)):
        node, acc = nearest(a, b)
        best = min(
            (s_acc + dist[node] for s_acc, dist in per_station if node in dist), default=None
        )
        got = rows[f"d{i}"]["minutes"]
        if best is None or acc > 500:
            assert got == ""
            continue
        assert float(got) == pytest.approx((best + acc) / 60, rel=1e-3)
        known_covered += (best + acc) / 60 <= 15
    summary = json.loads(p.stdout.strip().splitlines()[-1])
    assert summary["covered_points"] == known_covered


def test_split_long_edges_option_keeps_the_numbers(tiny: dict[str, Path], tmp_path: Path) -> None:
    args = [
        "--network",
        str(tiny["network"]),
        "--stations",
        str(tiny["stations"]),
        "--demand",
        str(tiny["demand"]),
        "--minutes",
        "6",
    ]
    plain = run_cli(*args, "--out", str(tmp_path / "a.csv"))
    split = run_cli(*args, "--out", str(tmp_path / "b.csv"), "--max-segment-m", "10")
    assert plain.returncode == split.returncode == 0, split.stderr
    a, b = read_result(tmp_path / "a.csv"), read_result(tmp_path / "b.csv")
    for pid in ("a", "b", "c"):  # points on original vertices: same minutes, same station
        assert float(b[pid]["minutes"]) == pytest.approx(float(a[pid]["minutes"]), rel=1e-12)
        assert b[pid]["nearest_station"] == a[pid]["nearest_station"]
