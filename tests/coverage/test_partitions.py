"""Coverage split into grid partitions with halos, on Dask: the same answer as one process.

The oracle is the unsplit run (``compute_coverage`` without partitions, itself checked
against brute force in test_segments.py): every home's minutes and nearest station must be
equal bit for bit, the result files byte for byte.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.coverage.circles import CoverageResult, compute_coverage
from services.coverage.dask_runner import DaskRunner, close_all
from services.coverage.loaders import PointSet, load_network, to_epsg
from services.coverage.partitions import Grid
from services.coverage.point_files import read_points
from services.coverage.synth_files import make_city_files

ROOT = Path(__file__).resolve().parents[2]
ANDORRA = ROOT.parent / "shared" / "data" / "osm-samples" / "andorra.osm.pbf"


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A LocalCluster of two worker PROCESSES (one thread each); its scheduler address."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as c:
        yield str(c.scheduler_address)
        close_all()  # this process's client to it, before the cluster goes


def same(a: CoverageResult, b: CoverageResult) -> None:
    assert np.array_equal(a.minutes, b.minutes, equal_nan=True)
    assert np.array_equal(a.station_index, b.station_index)
    assert np.array_equal(a.off_network, b.off_network)
    assert a.summary == b.summary


def andorra_points(net: Any) -> tuple[PointSet, PointSet]:
    """Seeded stations and homes over Andorra's streets (GENERATED): homes 0-300 m off a
    node, so some are off the network and many far from any station."""
    from pyproj import Transformer

    rng = np.random.default_rng(18)
    back = Transformer.from_crs(f"EPSG:{net.epsg}", "EPSG:4326", always_xy=True)

    def around(nodes: np.ndarray, spread: float) -> tuple[np.ndarray, np.ndarray]:
        x = net.x[nodes] + rng.normal(0, spread, nodes.size)
        y = net.y[nodes] + rng.normal(0, spread, nodes.size)
        lon, lat = back.transform(x, y)
        return np.asarray(lon), np.asarray(lat)

    s_lon, s_lat = around(rng.choice(net.n_nodes, 15, replace=False), 10.0)
    d_lon, d_lat = around(rng.choice(net.n_nodes, 4000, replace=False), 120.0)
    types = np.array(["care_center", "community_station", "day_care"], dtype=object)
    stations = PointSet(
        np.array([f"s{i}" for i in range(15)]), s_lon, s_lat, np.zeros(15),
        {"type": types[np.arange(15) % 3]},
    )  # fmt: skip
    homes = PointSet(
        np.array([f"h{i}" for i in range(4000)]), d_lon, d_lat,
        rng.integers(0, 30, 4000).astype(np.float64),
    )  # fmt: skip
    return stations, homes


@pytest.mark.skipif(not ANDORRA.exists(), reason="../shared/data not present")
def test_andorra_on_two_worker_processes_equals_one_process(cluster: str) -> None:
    net = load_network(ANDORRA)
    stations, homes = andorra_points(net)
    x, y = to_epsg(net.epsg, np.concatenate([stations.lon, homes.lon]),
                   np.concatenate([stations.lat, homes.lat]))  # fmt: skip
    grid = Grid.over(x, y, 6)
    assert np.unique(grid.cell_of(x[15:], y[15:])).size >= 4  # really cut into >= 4 pieces
    one = compute_coverage(net, stations, homes, minutes=10.0)
    assert np.isnan(one.minutes).any() and (one.minutes > 10.0).any()  # far homes too
    split = compute_coverage(
        net, stations, homes, minutes=10.0, partitions=6, runner=DaskRunner(cluster)
    )
    same(one, split)


@pytest.mark.skipif(not ANDORRA.exists(), reason="../shared/data not present")
def test_andorra_driving_split_in_process_equals_unsplit() -> None:
    net = load_network(ANDORRA, kind="drive")
    stations, homes = andorra_points(net)
    one = compute_coverage(net, stations, homes, minutes=3.0)
    split = compute_coverage(net, stations, homes, minutes=3.0, partitions=5)  # embedded Dask
    same(one, split)


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    nodes=st.integers(300, 6000),
    seed=st.integers(0, 10_000),
    partitions=st.integers(2, 12),
    minutes=st.sampled_from([0.5, 2.0, 6.0, 15.0]),
    mode=st.sampled_from(["walk", "drive"]),
    stations=st.integers(1, 12),
)
def test_synth_cities_split_equals_unsplit(
    tmp_path_factory: pytest.TempPathFactory,
    nodes: int,
    seed: int,
    partitions: int,
    minutes: float,
    mode: str,
    stations: int,
) -> None:
    out = tmp_path_factory.mktemp("city")
    make_city_files(out, nodes, seed, n_stations=stations, n_demand=nodes // 2)
    net = load_network(out / "network.gpkg", kind=mode)
    st_ = read_points(out / "stations.geojson", "stations")
    dm = read_points(out / "demand.csv", "demand", need_elderly=True)
    kw: dict[str, Any] = {"minutes": minutes, "skip_far_stations": True}
    one = compute_coverage(net, st_, dm, **kw)
    same(one, compute_coverage(net, st_, dm, partitions=partitions, **kw))


def run_cli(city: Path, out: Path, *extra: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "services.cli", "coverage", "--network",
           str(city / "network.gpkg"), "--stations", str(city / "stations.geojson"),
           "--demand", str(city / "demand.csv"), "--minutes", "4", "--out", str(out), *extra]  # fmt: skip
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    return dict(json.loads(p.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_cli_partitions_same_file_with_and_without_scheduler(tmp_path: Path, cluster: str) -> None:
    make_city_files(tmp_path / "city", 20_000, 3)
    plain = run_cli(tmp_path / "city", tmp_path / "plain.csv")
    local = run_cli(tmp_path / "city", tmp_path / "local.csv", "--partitions", "4")
    remote = run_cli(
        tmp_path / "city", tmp_path / "remote.csv", "--partitions", "7", "--scheduler", cluster
    )
    assert plain == local == remote
    data = (tmp_path / "plain.csv").read_bytes()
    assert data == (tmp_path / "local.csv").read_bytes() == (tmp_path / "remote.csv").read_bytes()
    assert 0 < plain["covered_points"] < plain["demand_points"]


def test_a_station_off_the_network_is_refused_the_same_way(tmp_path: Path) -> None:
    make_city_files(tmp_path, 1000, 4)
    net = load_network(tmp_path / "network.gpkg")
    st_ = read_points(tmp_path / "stations.geojson", "stations")
    dm = read_points(tmp_path / "demand.csv", "demand", need_elderly=True)
    far = PointSet(
        np.array([*st_.ids.to_pylist(), "far"]) if hasattr(st_.ids, "to_pylist")
        else np.append(st_.ids, "far"),
        np.append(st_.lon, st_.lon[0] + 0.1), np.append(st_.lat, st_.lat[0]),
        np.zeros(len(st_) + 1),
    )  # fmt: skip
    with pytest.raises(ValueError) as unsplit:
        compute_coverage(net, far, dm)
    with pytest.raises(ValueError) as split:
        compute_coverage(net, far, dm, partitions=3)
    # the distance named is exact unsplit; a piece only holds streets near the station
    head = "1 station(s) farther than 500 m from the network"
    assert str(unsplit.value).startswith(head) and str(split.value).startswith(head)
    assert str(split.value).endswith("e.g. ['far']")


@pytest.mark.slow
def test_regions_fan_out_to_worker_processes_and_gather(tmp_path: Path, cluster: str) -> None:
    """Three districts, each its own network: one task per region on two worker processes;
    each region's file is the one ``carecircle coverage`` writes alone, totals add up."""
    from services.coverage.regions_run import read_manifest, run_regions

    regions = []
    for i, (lon, lat) in enumerate([(118.08, 24.47), (118.16, 24.50), (117.65, 24.51)]):
        make_city_files(tmp_path / f"d{i}", 2000 + 700 * i, i, centre_lonlat=(lon, lat))
        regions.append({"code": f"35020{i}", "network": f"d{i}/network.gpkg",
                        "stations": f"d{i}/stations.geojson", "demand": f"d{i}/demand.csv"})  # fmt: skip
    regions.append({"code": "bad", "network": "nowhere.gpkg", "stations": "x", "demand": "y"})
    manifest = tmp_path / "province.json"
    manifest.write_text(json.dumps({"minutes": 4, "regions": regions}))
    specs, params = read_manifest(manifest, tmp_path / "out")
    seen: list[tuple[float, str]] = []
    total = run_regions(specs, params, DaskRunner(cluster), lambda p, m: seen.append((p, m)))
    assert [m for _, m in seen][-1] == "regions [4/4 partitions]" and seen[-1][0] == 100
    assert total["regions_failed"][0]["code"] == "bad"
    alone = [run_cli(tmp_path / f"d{i}", tmp_path / f"alone{i}.csv") for i in range(3)]
    for i in range(3):
        got = (tmp_path / "out" / f"35020{i}.csv").read_bytes()
        assert got == (tmp_path / f"alone{i}.csv").read_bytes()
    assert total["elderly"] == sum(a["elderly"] for a in alone)
    assert total["covered_points"] == sum(a["covered_points"] for a in alone)


def test_a_service_run_split_on_dask_stores_what_the_unsplit_run_stores(
    coverage_db_url: str,
) -> None:
    """``COVERAGE_PARTITIONS`` > 1 (the embedded cluster): same per-point rows, same summary."""
    import threading

    from services.common.db import make_engine, make_session_factory, transaction
    from services.coverage import repository as repo
    from services.coverage import runs
    from services.coverage.networks import NetworkCache
    from tests.coverage.factories import queued_run

    run_id = queued_run(coverage_db_url)
    engine = make_engine(coverage_db_url)
    try:
        reads, writes = make_session_factory(engine), make_session_factory(engine, write=True)
        stored = []
        for parts in (3, 1):
            ex = runs.Execution(owner=f"p{parts}", partitions=parts)
            runs.execute(write_sessions=writes, cache=NetworkCache(reads), run_id=run_id,
                         stop=threading.Event(), ex=ex)  # fmt: skip
            with reads() as s:
                row = repo.get_run(session=s, run_id=run_id)
                assert row is not None and row.status == "done", row and row.error
                pts = repo.run_points(session=s, run_id=run_id, after=-1, limit=1000)
                stored.append(
                    (row.summary, [(p.demand_id, p.minutes, p.nearest_station) for p in pts])
                )
            with transaction(writes) as s:
                repo.requeue_run(session=s, run_id=run_id)
        assert stored[0] == stored[1] and len(stored[0][1]) > 0
    finally:
        engine.dispose()


class CountingRunner:
    """Runs tasks in this thread, in order, counting them (the Runner protocol, no Dask)."""

    def __init__(self) -> None:
        self.tasks: list[str] = []

    def map(self, fn: Any, tasks: Any, on_done: Any = None) -> list[Any]:
        out = []
        for args in tasks:
            self.tasks.append(fn.__name__)
            out.append(fn(*args))
            if on_done is not None:
                on_done()
        return out


def test_far_homes_go_round_again_and_unreachable_ones_are_certified_by_component() -> None:
    """A 20 km street with one station at its west end and a separate 1 km street with none:
    a 1-minute circle (60 m halo) cannot settle the far homes in the first round; they are
    asked again with wider halos until certain; homes on the stationless street are
    unreachable, certified because their street lies wholly inside their piece."""
    from services.coverage.graph import build_network
    from services.coverage.loaders import from_epsg

    epsg, x0, y0 = 32650, 500_000.0, 2_700_000.0
    xs = np.concatenate([x0 + np.arange(201) * 100.0, x0 + 10_000 + np.arange(11) * 100.0])
    ys = np.concatenate([np.full(201, y0), np.full(11, y0 + 5_000)])
    u = np.concatenate([np.arange(200), 201 + np.arange(10)])
    net = build_network(xs, ys, u, u + 1, np.full(u.size, 100.0), epsg=epsg)
    hx = np.concatenate([x0 + 50 + np.arange(0, 20_000, 500.0), x0 + 10_050 + np.arange(5) * 200])
    hy = np.concatenate([np.full(40, y0 + 10), np.full(5, y0 + 5_010)])
    h_lon, h_lat = from_epsg(epsg, hx, hy)
    s_lon, s_lat = from_epsg(epsg, np.array([x0 + 20.0]), np.array([y0 - 5.0]))
    stations = PointSet(np.array(["west"]), s_lon, s_lat, np.zeros(1))
    homes = PointSet(np.array([f"h{i}" for i in range(45)]), h_lon, h_lat, np.ones(45))
    one = compute_coverage(net, stations, homes, minutes=1.0)
    runner = CountingRunner()
    split = compute_coverage(net, stations, homes, minutes=1.0, partitions=8, runner=runner)
    same(one, split)
    assert np.isnan(one.minutes[40:]).all() and np.isfinite(one.minutes[:40]).all()
    assert one.minutes[39] > 300  # ~20 km away: far beyond the 60 m halo
    solves = runner.tasks.count("solve_piece")
    cells = np.unique(
        Grid.over(*to_epsg(epsg, np.append(s_lon, h_lon), np.append(s_lat, h_lat)), 8).cell_of(
            hx, hy
        )
    ).size
    assert solves > cells  # the far homes went round again
