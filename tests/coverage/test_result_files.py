"""result_files.py: the CLI's result in CSV, GeoParquet, GeoPackage and GeoJSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.coverage import result_files
from services.coverage.result_files import result_table, write_result


def table(ids: list[str] | None = None) -> pa.Table:
    return result_table(
        pa.array(ids or ["a", "b", "c"]),
        np.array([3.0, 12.0, 0.0]),
        np.array([1.23456789, np.nan, 20.0]),
        ["st-1", "st-2"],
        np.array([1, -1, 0]),
        np.array([118.123456789, 118.2, 118.3]),
        np.array([24.5, 24.6, 24.7]),
        15.0,
    )


def test_csv_is_plain_rounded_and_true_false(tmp_path: Path) -> None:
    write_result(table(), tmp_path / "r.csv")
    known = (
        "id,elderly,minutes,nearest_station,lon,lat,covered\n"
        "a,3,1.235,st-2,118.1234568,24.5,true\n"
        "b,12,,,118.2,24.6,false\n"
        "c,0,20,st-1,118.3,24.7,false\n"
    )
    assert (tmp_path / "r.csv").read_bytes() == known.encode()


def test_csv_quotes_only_when_a_text_needs_it(tmp_path: Path) -> None:
    write_result(table(["a", 'b,"x"', "c"]), tmp_path / "r.csv")
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[2].startswith('"b,""x""",12,')


def test_csv_in_parallel_parts_equals_one_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 10_001
    rng = np.random.default_rng(1)
    t = result_table(
        pa.array([f"d{i}" for i in range(n)]),
        rng.integers(0, 9, n).astype(float),
        rng.uniform(0, 30, n),
        ["s"],
        np.zeros(n, dtype=np.int64),
        rng.uniform(118, 119, n),
        rng.uniform(24, 25, n),
        15.0,
    )
    write_result(t, tmp_path / "one.csv")
    monkeypatch.setattr(result_files, "CSV_ROWS_PER_PART", 1000)
    monkeypatch.setattr(result_files, "cores", lambda: 3)
    write_result(t, tmp_path / "parts.csv")
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "parts.csv").read_bytes()


def test_geoparquet_has_geo_metadata_and_full_precision(tmp_path: Path) -> None:
    write_result(table(), tmp_path / "r.parquet")
    back = pq.read_table(tmp_path / "r.parquet")
    geo = json.loads(back.schema.metadata[b"geo"])
    assert geo["primary_column"] == "geometry" and geo["columns"]["geometry"]["encoding"] == "WKB"
    assert back.column("minutes").to_pylist()[0] == 1.23456789
    assert back.column("covered").to_pylist() == [True, False, False]
    import geopandas as gpd

    gdf = gpd.read_parquet(tmp_path / "r.parquet")
    assert gdf.geometry.x.tolist() == [118.123456789, 118.2, 118.3]
    assert gdf.crs.to_string() == "OGC:CRS84"  # WGS84 lon/lat, the GeoParquet default


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.csv, \.parquet, \.gpkg, \.geojson"):
        write_result(table(), tmp_path / "r.xlsx")


@pytest.mark.live
@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs GDAL's ogrinfo")
@pytest.mark.parametrize("name", ["r.gpkg", "r.geojson"])
def test_gis_formats_open_in_ogrinfo(tmp_path: Path, name: str) -> None:
    write_result(table(), tmp_path / name)
    out = subprocess.run(
        ["ogrinfo", "-al", "-so", str(tmp_path / name)], capture_output=True, text=True, check=True
    ).stdout
    assert "Feature Count: 3" in out and "Point" in out
    assert "minutes: Real" in out and "nearest_station: String" in out
    if name.endswith(".geojson"):
        doc = json.loads((tmp_path / name).read_text())
        assert doc["type"] == "FeatureCollection" and "crs" not in doc  # RFC 7946: WGS84
        first = doc["features"][0]
        assert first["geometry"]["coordinates"] == [118.1234568, 24.5]
        assert first["properties"]["covered"] is True and first["properties"]["minutes"] == 1.235
