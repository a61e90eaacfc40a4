"""``carecircle coverage`` end to end as a real process, against independent oracles."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from tests.coverage.segment_oracle import oracle_minutes

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


COLUMNS = ["id", "elderly", "minutes", "nearest_station", "lon", "lat", "covered"]


def read_result(path: Path) -> dict[str, dict[str, str]]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # plain UTF-8: machines read it
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    assert list(rows[0]) == COLUMNS
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


def test_helsinki_pbf_against_the_segment_oracle(shared_data: Path, tmp_path: Path) -> None:
    """Independent oracle on real streets: pyrosm's segments projected with pyproj, every
    point snapped by brute force to the nearest segment, plain Dijkstra (segment_oracle)."""
    import pyrosm
    from pyproj import Transformer

    pbf = shared_data / "helsinki-osm-sample" / "test.osm.pbf"
    nodes, edges = pyrosm.OSM(str(pbf)).get_network(network_type="walking", nodes=True)
    edges = edges[~edges["highway"].isin(["motorway", "motorway_link"])]
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

    zone = 32600 + int((np.median(lon) + 180) // 6) + 1  # Helsinki: 35N
    to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{zone}", always_xy=True)
    x, y = to_utm.transform(lon, lat)
    pos = {int(i): k for k, i in enumerate(nodes["id"].to_numpy())}
    pu = [pos[int(u)] for u in edges.u]
    pv = [pos[int(v)] for v in edges.v]
    lengths = np.hypot(x[pu] - x[pv], y[pu] - y[pv])
    both_ways = [(a, b, float(c)) for a, b, c in zip(pu, pv, lengths, strict=True)]
    both_ways += [(b, a, c) for a, b, c in both_ways]
    sx, sy = to_utm.transform(st_lon, st_lat)
    dx, dy = to_utm.transform(dm_lon, dm_lat)
    known = oracle_minutes(
        x,
        y,
        both_ways,
        list(zip(sx, sy, strict=True)),
        list(zip(dx, dy, strict=True)),
        1.0,
    )
    known_covered = 0
    for i, k in enumerate(known):
        got = rows[f"d{i}"]["minutes"]
        if np.isnan(k):
            assert got == "" and rows[f"d{i}"]["covered"] == "false"
            continue
        assert float(got) == pytest.approx(k, abs=0.0005)  # CSV minutes: 3 decimals
        known_covered += k <= 15
        assert rows[f"d{i}"]["covered"] == ("true" if k <= 15 else "false")
        assert float(rows[f"d{i}"]["lon"]) == pytest.approx(dm_lon[i], abs=1e-7)
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
