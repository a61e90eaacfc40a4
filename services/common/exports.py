"""Tables as files for planners and bureaus: CSV (UTF-8 with BOM), xlsx and GeoPackage.

Why one module: every export a person opens (coverage points, gaps, siting, isochrones,
the bed compliance report, the facility registry) must read the same way. Excel on
Chinese Windows guesses GBK for a CSV without a byte-order mark and garbles the names,
and Python's ``True``/``False`` or ``8.336999999`` are not what a report shows. So:

* CSV: UTF-8 with BOM, CRLF line ends (RFC 4180), numbers rounded per column (whole
  numbers without ``.0``), booleans ``true``/``false`` (``lang="zh"``: 是/否), empty
  cells for missing values;
* xlsx (openpyxl): the same headings and cells, numbers stay numbers (rounded, with a
  number format), booleans as the same words;
* GeoPackage (pyogrio/GDAL, WGS84): one layer with the table's columns at full
  precision and each row's GeoJSON geometry (null allowed), for QGIS.

Headings: the column names (``lang="en"``) or each column's Chinese heading (``"zh"``;
the GeoPackage always keeps the names: GIS fields are identifiers).
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

Lang = Literal["en", "zh"]
BOM: Final = "\ufeff"
WORDS: Final[dict[Lang, tuple[str, str]]] = {"en": ("true", "false"), "zh": ("是", "否")}


@dataclass(frozen=True)
class Column:
    """One exported column: its name, its Chinese heading, how many decimals people see."""

    name: str
    zh: str
    decimals: int | None = None

    def heading(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.name


def _number(value: float, decimals: int | None) -> float | int:
    out = round(value, decimals) if decimals is not None else value
    return int(out) if float(out).is_integer() and abs(out) < 2**53 else out


def cell(value: Any, column: Column, lang: Lang = "en") -> Any:
    """A value as a report shows it: rounded number, true/false (是/否) word, or text.

    >>> cell(8.336999, Column("minutes", "步行分钟", 3)), cell(12.0, Column("n", "人数"))
    (8.337, 12)
    >>> cell(True, Column("covered", "是否覆盖")), cell(False, Column("c", "c"), "zh")
    ('true', '否')
    >>> cell(float("nan"), Column("minutes", "步行分钟", 3)) is None
    True
    """
    if value is None:
        return None
    if isinstance(value, bool):
        yes, no = WORDS[lang]
        return yes if value else no
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else _number(value, column.decimals)
    if hasattr(value, "item"):  # numpy scalars
        return cell(value.item(), column, lang)
    return str(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def csv_text(value: Any, lang: Lang = "en") -> str:
    """One CSV cell for a value of no particular column: words for booleans, empty for
    None, whole numbers without ``.0``, other values as they are.

    >>> [csv_text(v) for v in (True, None, 16.0, 0.55, "x")]
    ['true', '', '16', '0.55', 'x']
    """
    return _text(cell(value, Column("", ""), lang))


def csv_bytes(
    columns: Sequence[Column], rows: Sequence[dict[str, Any]], lang: Lang = "en"
) -> bytes:
    """UTF-8 CSV with BOM, CRLF, rounded numbers and true/false (是/否) words.

    >>> csv_bytes([Column("ok", "是否")], [{"ok": True}], "zh").decode("utf-8")
    '\\ufeff是否\\r\\n是\\r\\n'
    """
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.heading(lang) for c in columns])
    for r in rows:
        writer.writerow([_text(cell(r.get(c.name), c, lang)) for c in columns])
    return out.getvalue().encode("utf-8")


def xlsx_bytes(
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    lang: Lang = "en",
    sheet: str = "data",
) -> bytes:
    """One sheet: bold headings, frozen header row, numbers as numbers with their decimals."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    assert ws is not None  # a new workbook has its sheet
    ws.title = sheet[:31]
    ws.append([c.heading(lang) for c in columns])
    for heading in ws[1]:
        heading.font = Font(bold=True)
    ws.freeze_panes = "A2"
    formats = {
        i: ("0." + "0" * c.decimals if c.decimals else "0")
        for i, c in enumerate(columns, start=1)
        if c.decimals is not None
    }
    for r in rows:
        ws.append([cell(r.get(c.name), c, lang) for c in columns])
    for i, fmt in formats.items():
        for (value_cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
            if isinstance(value_cell.value, int | float):
                value_cell.number_format = fmt
    for i, c in enumerate(columns, start=1):
        letter = ws.cell(row=1, column=i).column_letter
        ws.column_dimensions[letter].width = max(10, min(40, len(c.heading(lang)) * 2 + 2))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _promoted(geometries: Sequence[dict[str, Any] | None]) -> tuple[list[bytes | None], str]:
    """WKB of each geometry and one layer type (polygons made multi when any is multi)."""
    import shapely

    shapes = [shapely.geometry.shape(g) if g else None for g in geometries]
    kinds = {s.geom_type for s in shapes if s is not None and not s.is_empty}
    if kinds <= {"Polygon", "MultiPolygon"} and "MultiPolygon" in kinds:
        shapes = [
            shapely.MultiPolygon([s]) if s is not None and s.geom_type == "Polygon" else s
            for s in shapes
        ]
        kind = "MultiPolygon"
    elif len(kinds) == 1:
        kind = kinds.pop()
    else:
        kind = "Unknown"
    wkb = [None if s is None or s.is_empty else shapely.to_wkb(s) for s in shapes]
    return wkb, kind


def gpkg_bytes(
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    geometries: Sequence[dict[str, Any] | None],
    layer: str,
) -> bytes:
    """A GeoPackage with one layer (WGS84): the columns at full precision, booleans as 0/1
    integers with GDAL's boolean subtype, and the geometries (GeoJSON dicts; None: none)."""
    import numpy as np
    import pyogrio.raw

    wkb, kind = _promoted(geometries)
    field_data = []
    for c in columns:
        values = [r.get(c.name) for r in rows]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, bool) for v in present):
            field_data.append(np.array([v if v is not None else False for v in values], dtype=bool))
        elif len(present) == len(values) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in values
        ):
            field_data.append(np.array(values, dtype=np.int64))
        elif present and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in present
        ):
            field_data.append(
                np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
            )
        else:
            field_data.append(
                np.array([None if v is None else str(v) for v in values], dtype=object)
            )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.gpkg"
        pyogrio.raw.write(
            path,
            geometry=np.array(wkb, dtype=object),
            field_data=field_data,
            fields=[c.name for c in columns],
            layer=layer,
            driver="GPKG",
            geometry_type=kind,
            crs="EPSG:4326",
            dataset_options={"VERSION": "1.2"},
        )
        return path.read_bytes()
