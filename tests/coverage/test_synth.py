"""synth.py / synth_files.py / `carecircle synth city`: exact size, seeded, readable files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from services.coverage.loaders import load_network
from services.coverage.point_files import read_points
from services.coverage.synth import synth_city


@pytest.mark.parametrize("nodes", [4, 10, 999, 12_345])
def test_exactly_the_nodes_asked_for(nodes: int) -> None:
    assert synth_city(nodes, 3).n_nodes == nodes


def test_same_seed_same_city_other_seed_other_city() -> None:
    a, b, c = synth_city(2_000, 7), synth_city(2_000, 7), synth_city(2_000, 8)
    for field in ("vx", "vy", "u", "v", "demand_x", "elderly", "station_x"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.demand_x, c.demand_x)


def test_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="nodes must be >= 4"):
        synth_city(3, 1)


def test_cli_writes_files_the_coverage_command_reads(tmp_path: Path) -> None:
    out = tmp_path / "city"
    cmd = [sys.executable, "-m", "services.cli", "synth", "city", "--nodes", "3000"]
    p = subprocess.run(
        [*cmd, "--seed", "5", "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout.strip().splitlines()[-1])
    assert info == json.loads((out / "city.json").read_text())
    net = load_network(out / "network.gpkg")
    assert net.n_nodes == 3000 == info["nodes"] and net.epsg == 32650
    dm = read_points(out / "demand.csv", "demand", need_elderly=True)
    st = read_points(out / "stations.geojson", "stations")
    assert len(dm) == 3000 and len(st) == info["stations"] == round(3000 / 225)
    assert (out / "demand.csv").read_text().splitlines()[0] == "id,lon,lat,elderly"
    # the u/v topology is the one the 0.5 m vertex merge finds in the same lines
    import pyogrio

    _, table = pyogrio.read_arrow(out / "network.gpkg")
    pyogrio.write_arrow(
        table.drop_columns(["u", "v"]),
        tmp_path / "no_ids.gpkg",
        geometry_name="geom",
        geometry_type="LineString",
        crs="EPSG:32650",
    )
    merged = load_network(tmp_path / "no_ids.gpkg")
    assert merged.version == net.version
    run = subprocess.run(
        [sys.executable, "-m", "services.cli", "coverage", "--network", str(out / "network.gpkg"),
         "--stations", str(out / "stations.geojson"), "--demand", str(out / "demand.csv"),
         "--out", str(tmp_path / "r.parquet")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["demand_points"] == 3000 and 0 < summary["covered_share_by_elderly"] <= 1
