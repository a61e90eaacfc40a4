"""services/common/exports.py and negotiation.py: files read back as a bureau's tools read them."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.common import negotiation
from services.common.errors import InvalidInput, NotAcceptable
from services.common.exports import Column, csv_bytes, gpkg_bytes, xlsx_bytes

COLUMNS = [
    Column("id", "编号"),
    Column("minutes", "步行分钟", 1),
    Column("covered", "是否覆盖"),
    Column("elderly", "老年人数", 1),
    Column("name", "名称"),
]
ROWS = [
    {"id": "a", "minutes": 8.3456, "covered": True, "elderly": 12.0, "name": "幸福院, 东区"},
    {"id": "b", "minutes": None, "covered": False, "elderly": 3.25, "name": 'say "hi"'},
    {"id": "c", "minutes": float("nan"), "covered": False, "elderly": 0.0, "name": None},
]
POINTS = [
    {"type": "Point", "coordinates": [24.94, 60.17]},
    {"type": "Point", "coordinates": [24.95, 60.18]},
    None,
]


def test_csv_has_bom_rounds_and_writes_words_not_python() -> None:
    raw = csv_bytes(COLUMNS, ROWS)
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    text = raw.decode("utf-8")
    assert "True" not in text and "False" not in text and "nan" not in text
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["minutes"] for r in rows] == ["8.3", "", ""]
    assert [r["covered"] for r in rows] == ["true", "false", "false"]
    assert [r["elderly"] for r in rows] == ["12", "3.2", "0"]  # round half to even: 3.25 → 3.2
    assert rows[0]["name"] == "幸福院, 东区" and rows[1]["name"] == 'say "hi"'
    zh = list(csv.reader(io.StringIO(csv_bytes(COLUMNS, ROWS, "zh").decode("utf-8-sig"))))
    assert zh[0] == ["编号", "步行分钟", "是否覆盖", "老年人数", "名称"]
    assert [r[2] for r in zh[1:]] == ["是", "否", "否"]


def test_xlsx_reads_back_with_numbers_as_numbers() -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(COLUMNS, ROWS, "zh", sheet="points")))
    ws = book["points"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["编号", "步行分钟", "是否覆盖", "老年人数", "名称"]
    assert values[1] == ["a", 8.3, "是", 12, "幸福院, 东区"]
    assert values[2][1] is None and values[2][2] == "否" and values[2][3] == 3.2
    assert ws["B2"].number_format == "0.0" and ws.freeze_panes == "A2"


def test_gpkg_reads_back_with_sqlite_and_ogrinfo(tmp_path: Path) -> None:
    path = tmp_path / "points.gpkg"
    path.write_bytes(gpkg_bytes(COLUMNS, ROWS, POINTS, layer="points"))
    with sqlite3.connect(path) as db:
        assert db.execute("select table_name, data_type from gpkg_contents").fetchall() == [
            ("points", "features")
        ]
        got = db.execute("select id, minutes, covered, elderly, name from points order by fid")
        assert got.fetchall() == [
            ("a", 8.3456, 1, 12.0, "幸福院, 东区"),  # full precision in the GIS file
            ("b", None, 0, 3.25, 'say "hi"'),
            ("c", None, 0, 0.0, None),
        ]
        srs = db.execute("select srs_id from gpkg_geometry_columns").fetchone()
        assert srs == (4326,)
    if shutil.which("ogrinfo"):
        out = subprocess.run(
            ["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True
        ).stdout
        assert "Feature Count: 3" in out and "Geometry: Point" in out


def test_gpkg_mixed_polygons_become_multipolygons(tmp_path: Path) -> None:
    square = [[[0, 0], [1, 0], [1, 1], [0, 0]]]
    geoms = [
        {"type": "Polygon", "coordinates": square},
        {"type": "MultiPolygon", "coordinates": [square]},
        None,
    ]
    path = tmp_path / "iso.gpkg"
    path.write_bytes(gpkg_bytes(COLUMNS, ROWS, geoms, layer="iso"))
    with sqlite3.connect(path) as db:
        assert db.execute("select geometry_type_name from gpkg_geometry_columns").fetchone() == (
            "MULTIPOLYGON",
        )


def test_negotiation() -> None:
    offered: tuple[negotiation.Format, ...] = ("json", "geojson", "csv")
    assert negotiation.choose(None, None, offered, "json") == "json"
    assert negotiation.choose("text/csv;q=0.9, application/geo+json", None, offered, "json") == (
        "geojson"
    )
    assert negotiation.choose("application/geo+json;q=0, text/csv", None, offered, "json") == "csv"
    assert negotiation.choose("image/png, */*;q=0.1", None, offered, "geojson") == "geojson"
    with pytest.raises(NotAcceptable):
        negotiation.choose("image/png", None, offered, "json")
    with pytest.raises(InvalidInput):
        negotiation.choose(None, "xlsx", offered, "json")
