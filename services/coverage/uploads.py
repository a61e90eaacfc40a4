"""Uploaded point files (demand) to records: CSV or GeoJSON, bounded and linear in size.

``ValueError`` names the row or feature; the API turns it into a 422 on ``file``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from services.common.csv_files import MAX_CELL_CHARS, decode_text
from services.coverage.loaders import CORE_COLUMNS, geojson_records

BOM = b"\xef\xbb\xbf"


def point_records(filename: str, raw: bytes, what: str, max_columns: int) -> list[dict[str, Any]]:
    """Records of an uploaded ``.csv`` (by name) or GeoJSON FeatureCollection."""
    if filename.lower().endswith(".csv"):
        return csv_records(raw, what, max_columns)
    try:
        doc = orjson.loads(raw.removeprefix(BOM))  # nesting is capped (no RecursionError)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{what}: not JSON ({exc})") from None
    return geojson_records(doc, what)


def csv_records(raw: bytes, what: str, max_columns: int) -> list[dict[str, Any]]:
    """Rows of a CSV with a header (trimmed, lower-cased, as the CLI reads it), as dicts.

    Text is decoded as every import decodes it (UTF-8, else GB18030:
    :func:`services.common.csv_files.decode_text`) and no cell may pass the imports' one
    size limit (``MAX_CELL_CHARS``, 128 KiB); rows stay plain lists here, read once.
    """
    text = decode_text(raw, field="file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [(h or "").strip().lower() for h in next(reader, [])]
        if not header:
            raise ValueError(f"{what}: empty file")
        if len(header) > max_columns + len(CORE_COLUMNS):
            raise ValueError(
                f"{what}: {len(header)} columns; at most {max_columns} besides "
                f"{', '.join(CORE_COLUMNS[:4])}"
            )
        if len(set(header)) != len(header):
            raise ValueError(f"{what}: repeated column names in the header")
        rows: list[dict[str, Any]] = []
        for fields in reader:
            if not fields:
                continue
            if max(map(len, fields)) > MAX_CELL_CHARS:
                raise ValueError(
                    f"{what} row {len(rows) + 1}: a field larger than 128 KiB "
                    f"({MAX_CELL_CHARS} characters)"
                )
            if len(fields) > len(header):
                raise ValueError(
                    f"{what} row {len(rows) + 1}: {len(fields)} fields, the header has {len(header)}"
                )
            rows.append(dict(zip(header, (f.strip() for f in fields), strict=False)))
    except csv.Error as exc:  # e.g. an unclosed quote
        raise ValueError(f"{what} line {reader.line_num}: {exc}") from None
    return rows
