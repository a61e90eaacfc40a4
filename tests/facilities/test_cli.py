"""The outside-check interface, run as real processes: `carecircle regions build-cn|import`, `facilities import`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from services.common.db import normalize_url


def carecircle(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FACILITIES_DATABASE_URL": url, "CARECIRCLE_LOG_JSON": "false"}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def scalar(url: str, sql: str) -> object:
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def gcj02_regions(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The GCJ-02 Amap district files + census, converted once by `carecircle regions build-cn`."""
    regions = tmp_path_factory.mktemp("cn") / "regions.geojson"
    built = carecircle(
        "sqlite://",
        "regions",
        "build-cn",
        "--boundaries",
        str(shared_data / "cn-admin-districts" / "gcj02"),
        "--crs",
        "gcj02",
        "--census",
        str(shared_data / "cn-census2020-county" / "census2020_county_target_cities.csv"),
        "--out",
        str(regions),
    )
    assert built.returncode == 0, built.stderr
    return regions


def test_minimal_csv_and_gcj02_regions_through_the_cli(
    facilities_db_url: str, gcj02_regions: Path, tmp_path: Path
) -> None:
    regions = gcj02_regions
    loaded = carecircle(facilities_db_url, "regions", "import", str(regions))
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["created"] == len(json.loads(regions.read_text())["features"])

    csv_path = tmp_path / "f.csv"
    # Only the five required columns; one point in Yubei (WGS84), one in Siming.
    csv_path.write_text(
        "external_id,name,type,lon,lat\nA1,渝北甲站,community_station,106.6300,29.7200\n"
        "A2,思明乙站,day_care,118.0900,24.4600\n",
        encoding="utf-8",
    )
    imported = carecircle(facilities_db_url, "facilities", "import", str(csv_path))
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["created"] == 2
    assert (
        scalar(facilities_db_url, "SELECT region_code FROM facilities WHERE external_id = 'A1'")
        == "500112000000"
    )
    assert (
        scalar(facilities_db_url, "SELECT status FROM facilities WHERE external_id = 'A2'")
        == "active"
    )

    # Re-import with a change: an upsert, not a second row.
    csv_path.write_text(
        "external_id,name,type,lon,lat,capacity,operation_mode\n"
        "A1,渝北甲站,community_station,106.6300,29.7200,12,public_run\n",
        encoding="utf-8",
    )
    again = json.loads(carecircle(facilities_db_url, "facilities", "import", str(csv_path)).stdout)
    assert (again["created"], again["updated"]) == (0, 1)
    assert scalar(facilities_db_url, "SELECT count(*) FROM facilities") == 2


def test_bad_rows_fail_the_command_and_write_nothing(
    facilities_db_url: str, tmp_path: Path
) -> None:
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text(
        "external_id,name,type,lon,lat,star_rating\nB1,好站,day_care,106.6,29.7,3\n"
        "B2,坏站,castle,106.6,29.7,\nB3,坏站二,day_care,106.6,95,9\n",
        encoding="utf-8",
    )
    result = carecircle(facilities_db_url, "facilities", "import", str(csv_path))
    assert result.returncode == 1
    for expected in ("row 2: type", "row 3: lat", "row 3: star_rating"):
        assert expected in result.stderr
    assert scalar(facilities_db_url, "SELECT count(*) FROM facilities") == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_default_database_is_the_embedded_sqlite_file(backend: str, tmp_path: Path) -> None:
    csv_path = tmp_path / "f.csv"
    csv_path.write_text(
        "external_id,name,type,lon,lat\nC1,站,meal_point,106.6,29.7\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k != "FACILITIES_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "facilities", "import", str(csv_path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "facilities.sqlite3").exists()
