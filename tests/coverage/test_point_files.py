"""point_files.py: columnar point reading, whole-column checks that name the first bad row."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.coverage import point_files
from services.coverage.point_files import first_repeat, read_points
from services.coverage.wkb import binary_buffers, encode_points


def write(tmp_path: Path, text: str, name: str = "demand.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_columns_and_forgiving_headers(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "\ufeff ID , Lon ,Lat,Elderly,Region\n x ,116.4,39.9, 7 ,110101001001\ny,116.5,39.8,3,\n",
    )
    d = read_points(p, "demand", need_elderly=True)
    assert d.ids.to_pylist() == ["x", "y"]
    assert d.lon.tolist() == [116.4, 116.5] and d.elderly.tolist() == [7.0, 3.0]
    assert d.attrs["region_code"].tolist() == ["110101001001", ""]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("a,1,2,3\nb,1,95.2,4\n", "demand.csv row 2: lat 95.2 outside [-90, 90]"),
        ("a,1,2,3\nb,181,2,4\n", "demand.csv row 2: lon 181 outside [-180, 180]"),
        ("a,1,2,3\nb,1,2,x\n", "demand.csv row 2: elderly 'x' is not a number"),
        ("a,1,2,3\nb,1,2,-1\n", "demand.csv row 2: elderly -1 must be >= 0"),
        ("a,1,2,3\nb,1,2,\n", "demand.csv row 2: missing elderly"),
        ("a,1,2,3\nb,,2,1\n", "demand.csv row 2: missing lon"),
        ("a,1,2,3\n,1,2,1\n", "demand.csv row 2: missing id"),
        ("a,1,2,3\nb,1,2,1\na,1,2,1\n", "demand.csv row 3: id 'a' repeats row 1"),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, body: str, message: str) -> None:
    p = write(tmp_path, "id,lon,lat,elderly\n" + body)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_points(p, "demand", need_elderly=True)


def test_the_bad_row_is_found_among_a_million_others(tmp_path: Path) -> None:
    n = 300_000
    lat = np.full(n, 24.5)
    lat[4710] = 95.2
    rows = "".join(f"d{i},118.1,{lat[i]:g},3\n" for i in range(n))
    p = write(tmp_path, "id,lon,lat,elderly\n" + rows)
    with pytest.raises(ValueError, match=r"demand.csv row 4,711: lat 95.2 outside"):
        read_points(p, "demand", need_elderly=True)


def test_stations_need_no_elderly(tmp_path: Path) -> None:
    p = write(tmp_path, "id,lon,lat\ns1,1,2\n", "st.csv")
    s = read_points(p, "stations")
    assert s.elderly.tolist() == [1.0]
    with pytest.raises(ValueError, match="no 'elderly' column"):
        read_points(p, "demand", need_elderly=True)


def test_repeats_found_exactly_even_when_every_hash_collides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = pa.array(["a", "bb", "c", "bb", "a", "dd"])
    offsets, data = binary_buffers(texts)
    known = (1, 3)  # "bb" at row 4 (index 3) is the first row repeating an earlier one
    assert first_repeat(offsets, data) == known
    monkeypatch.setattr(
        point_files, "text_hashes", lambda o, d: np.zeros(o.size - 1, dtype=np.uint64)
    )
    assert first_repeat(offsets, data) == known
    unique = pa.array(["a", "b", "ab", "ba"])
    assert first_repeat(*binary_buffers(unique)) is None


def test_geoparquet_and_plain_parquet(tmp_path: Path) -> None:
    lon, lat = np.array([116.4, 116.5]), np.array([39.9, 39.8])
    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB"}},
    }
    t = pa.table({"id": ["a", "b"], "elderly": [2.0, 5.0], "geometry": encode_points(lon, lat)})
    t = t.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    pq.write_table(t, tmp_path / "d.parquet")
    d = read_points(tmp_path / "d.parquet", "demand", need_elderly=True)
    assert d.lon.tolist() == lon.tolist() and d.lat.tolist() == lat.tolist()
    pq.write_table(pa.table({"ID": ["a"], "lon": [1.0], "lat": [2.0]}), tmp_path / "s.parquet")
    assert read_points(tmp_path / "s.parquet", "stations").ids.to_pylist() == ["a"]


def test_geopackage_points_and_polygons(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point, Polygon

    gdf = gpd.GeoDataFrame(
        {"id": ["p", "estate"], "elderly": [4, 40]},
        geometry=[
            Point(116.4, 39.9),
            Polygon([(116.41, 39.91), (116.42, 39.91), (116.42, 39.92), (116.41, 39.91)]),
        ],
        crs=4326,
    )
    gdf.to_file(tmp_path / "d.gpkg", driver="GPKG")
    d = read_points(tmp_path / "d.gpkg", "demand", need_elderly=True)
    assert d.ids.to_pylist() == ["p", "estate"] and d.elderly.tolist() == [4.0, 40.0]
    assert 116.41 < d.lon[1] < 116.42 and 39.91 < d.lat[1] < 39.92


def test_csv_saved_by_excel_on_chinese_windows(tmp_path: Path) -> None:
    """GBK (not UTF-8), as Excel saves CSV on Chinese Windows: names and ids survive."""
    p = tmp_path / "demand.csv"
    p.write_bytes("id,lon,lat,elderly,community\n厦门-1,118.1,24.5,3,鼓浪屿\n".encode("gbk"))
    d = read_points(p, "demand", need_elderly=True)
    assert d.ids.to_pylist() == ["厦门-1"] and d.attrs["community"].tolist() == ["鼓浪屿"]
