"""Builders for the coverage tests: a street grid of any size, a database with a queued run."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from services.common.db import make_engine, make_session_factory
from services.common.migrate import upgrade
from services.coverage import demand, networks
from services.coverage import repository as repo
from services.coverage.graph import build_network, save_network
from services.coverage.loaders import from_epsg
from tests.coverage.conftest import DATA

GRID_EPSG = 32650  # UTM 50N (Beijing)


def grid_network(path: Path, n: int, spacing_m: float = 10.0) -> tuple[float, float, float, float]:
    """An n x n street grid saved as .npz; returns (lon, lat) of two opposite corners."""
    ii, jj = np.meshgrid(np.arange(n), np.arange(n))
    x = (440_000 + ii.ravel() * spacing_m).astype(np.float64)
    y = (4_420_000 + jj.ravel() * spacing_m).astype(np.float64)
    idx = np.arange(n * n).reshape(n, n)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    net = build_network(x, y, u, v, np.full(u.size, spacing_m), epsg=GRID_EPSG)
    save_network(net, path)
    lon, lat = from_epsg(GRID_EPSG, x[[0, -1]], y[[0, -1]])
    return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])


def queued_run(url: str) -> int:
    """A database with the tiny network, its demand and one queued run (as a crash leaves it)."""
    upgrade("coverage", url)
    engine = make_engine(url)
    writes = make_session_factory(engine, write=True)
    path, shown = networks.server_path("tiny_streets.geojson", str(DATA))
    net, _ = networks.import_path(
        writes, path=path, shown=shown, kind="walk", name="tiny", max_segment_m=None
    )
    dm, _ = demand.import_upload(
        writes,
        filename="d.csv",
        raw=(DATA / "tiny_demand.csv").read_bytes(),
        name=None,
        max_columns=64,
    )
    with writes() as s:
        row, _ = repo.add_run(
            session=s,
            cache_key="left-behind",
            network_id=net.id,
            demand_set_id=dm.id,
            registry_version=None,
            stations=[{"id": "west", "lon": 116.4, "lat": 39.9001}],
            params={
                "minutes": 6.0,
                "speed_mps": 1.0,
                "max_snap_m": 500.0,
                "skip_far_stations": False,
                "gap_resolution": 9,
            },
        )
        s.commit()
        run_id = row.id
    engine.dispose()
    return run_id
