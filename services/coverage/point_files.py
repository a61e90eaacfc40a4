"""Point files (stations, demand) to a :class:`PointSet`, column by column.

Why: a million-row demand CSV read row by row in Python took 7 s; Arrow's CSV reader
parses it on every core in a fraction of that, and checks run on whole columns. Each
check still names the first bad row ("demand.csv row 4,711: lat 95.2 outside
[-90, 90]"; rows are data rows counted from 1, the header not counted).

Formats, by extension: ``.csv`` (``id,lon,lat`` + ``elderly`` for demand; headers are
trimmed and case-insensitive), ``.parquet``/``.geoparquet`` (GeoParquet Point geometry,
or ``lon``/``lat`` columns), ``.gpkg`` and other GDAL vector files (Points; polygons use
a representative point), ``.geojson``/``.json`` (FeatureCollection). Coordinates are
WGS84 lon/lat degrees (GeoParquet/GeoPackage in another CRS are transformed).

Ids stay an Arrow string array (no Python object per row): see ``PointSet.ids``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from services.coverage.loaders import NUMERIC_ATTRS, PointSet, geojson_records, points_from_records
from services.coverage.wkb import binary_buffers

CORE = ("id", "lon", "lat", "elderly")


def read_points(path: Path, what: str, need_elderly: bool = False) -> PointSet:
    """Stations or demand from a file; ``ValueError`` naming the file, row and column."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{what} file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
        return points_from_records(geojson_records(doc, what), what, need_elderly)
    if suffix == ".csv":
        table = read_csv_table(path)
    elif suffix in (".parquet", ".geoparquet"):
        table = read_parquet_table(path)
    else:
        table = read_gdal_table(path)
    return points_from_table(table, path.name, need_elderly)


def _encoding(path: Path) -> str:
    """UTF-8, or GB18030 for a file that is not UTF-8: Excel on Chinese Windows saves CSV
    as GBK, which GB18030 contains. Decided on the first 1 MB (where the names are)."""
    head = path.read_bytes()[: 1 << 20] if path.stat().st_size < (1 << 20) else _head(path)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 1 MB boundary
            return "gb18030"
    return "utf-8"


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(1 << 20)


def _header(path: Path, encoding: str = "utf-8") -> list[str]:
    """The CSV's column names, trimmed and lower-cased (``region`` means ``region_code``)."""
    with path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as fh:
        first = next(csv.reader(fh), [])
    names = [(h or "").strip().lower() for h in first]
    if "region" in names and "region_code" not in names:
        names[names.index("region")] = "region_code"
    if len(set(names)) != len(names):
        raise ValueError(f"{path.name}: repeated column names in the header {names}")
    return names


def read_csv_table(path: Path) -> pa.Table:
    """The CSV as Arrow columns: numeric columns as float64, all others as text."""
    import pyarrow.csv as pacsv

    encoding = _encoding(path)
    names = _header(path, encoding)
    if not names:
        raise ValueError(f"{path.name}: empty file")
    types = {n: (pa.float64() if n in _NUMERIC else pa.string()) for n in names}
    read = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 22, encoding=encoding)
    try:
        return pacsv.read_csv(
            path, read_options=read, convert_options=pacsv.ConvertOptions(column_types=types)
        )
    except pa.ArrowInvalid:
        pass  # a number with spaces around it, or not a number: read as text, then check
    try:
        text = pacsv.read_csv(
            path,
            read_options=read,
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:  # not UTF-8 past the first 1 MB, or a broken row
        raise ValueError(f"{path.name}: cannot read as {encoding} CSV ({exc})") from None
    cols = {n: text.column(n) for n in names}
    for n in names:
        if n in _NUMERIC:
            cols[n] = _to_float(pc.utf8_trim_whitespace(cols[n]), f"{path.name}", n)
    return pa.table(cols)


_NUMERIC = ("lon", "lat", *NUMERIC_ATTRS)


def _to_float(col: Any, where: str, name: str) -> pa.ChunkedArray:
    """Text to float64 (empty -> null); names the first value that is not a number."""
    text = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    empty = pc.equal(text, "")
    text = pc.if_else(empty, pa.scalar(None, pa.string()), text)
    try:
        return pa.chunked_array([pc.cast(text, pa.float64())])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = text.to_pylist()
        for i, v in enumerate(values):
            if v is None:
                continue
            try:
                float(v)
            except ValueError:
                raise ValueError(f"{where} row {i + 1:,}: {name} {v!r} is not a number") from None
        raise


def read_parquet_table(path: Path) -> pa.Table:
    """Parquet columns; a GeoParquet Point geometry becomes ``lon``/``lat``."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    geo = json.loads((table.schema.metadata or {}).get(b"geo", b"{}"))
    table = table.rename_columns([c.strip().lower() for c in table.column_names])
    geom = str(geo.get("primary_column", "")).lower()
    if geom and geom in table.column_names:
        crs = geo.get("columns", {}).get(geo.get("primary_column"), {}).get("crs", "OGC:CRS84")
        table = _with_lonlat(table, geom, json.dumps(crs) if isinstance(crs, dict) else crs, path)
    return table


def read_gdal_table(path: Path) -> pa.Table:
    """GeoPackage (or any GDAL vector file) points through pyogrio's Arrow reader."""
    import pyogrio

    try:
        meta, table = pyogrio.read_arrow(path)
    except Exception as exc:  # GDAL's own errors: not a file it can read
        raise ValueError(f"{path.name}: cannot read points ({exc})") from None
    geom = meta.get("geometry_name") or "wkb_geometry"
    table = table.rename_columns(
        [c if c == geom else c.strip().lower() for c in table.column_names]
    )
    return _with_lonlat(table, geom, meta.get("crs"), path)


def _with_lonlat(table: pa.Table, geom: str, crs: str | None, path: Path) -> pa.Table:
    """Replace the WKB geometry column by WGS84 ``lon``/``lat`` columns."""
    from services.coverage.wkb import decode_points

    col = table.column(geom)
    try:
        x, y = decode_points(col)
    except ValueError:
        x, y = _representative_points(col, path)
    if crs is not None and not _is_wgs84(crs):
        from pyproj import Transformer

        x, y = (
            np.asarray(a) for a in Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
        )
    table = table.drop_columns([geom, *[c for c in ("lon", "lat") if c in table.column_names]])
    return table.append_column("lon", pa.array(x)).append_column("lat", pa.array(y))


def _representative_points(col: Any, path: Path) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points as they are, polygons by a point inside them (a building's entrance is there)."""
    import shapely

    geoms = shapely.from_wkb(np.asarray(col.to_numpy(zero_copy_only=False), dtype=object))
    kind = shapely.get_type_id(geoms)
    bad = np.flatnonzero(~np.isin(kind, [0, 3, 6]))
    if bad.size:
        raise ValueError(
            f"{path.name} row {int(bad[0]) + 1:,}: geometry must be a Point or Polygon"
        )
    pts = np.where(kind == 0, geoms, shapely.point_on_surface(geoms))
    return shapely.get_x(pts), shapely.get_y(pts)


def _is_wgs84(crs: str) -> bool:
    text = str(crs).strip().upper()
    if text in ("EPSG:4326", "OGC:CRS84", "CRS84"):
        return True
    from pyproj import CRS

    return bool(CRS.from_user_input(crs).equals(CRS.from_epsg(4326), ignore_axis_order=True))


def points_from_table(table: pa.Table, where: str, need_elderly: bool) -> PointSet:
    """Check whole columns and build the PointSet; errors name the first bad row."""
    names = table.column_names
    for col in ("id", "lon", "lat"):
        if col not in names:
            raise ValueError(f"{where}: no {col!r} column (columns: {', '.join(names)})")
    if table.num_rows == 0:
        raise ValueError(f"{where}: no points")
    ids = _ids(table.column("id"), where)
    lon = _numbers(table, "lon", where)
    lat = _numbers(table, "lat", where)
    _range(lon, "lon", 180.0, where)
    _range(lat, "lat", 90.0, where)
    if "elderly" in names:
        elderly = _numbers(table, "elderly", where, allow_null=not need_elderly)
        nan = np.isnan(elderly)
        elderly = np.where(nan, 1.0, elderly)
        _first_bad(~np.isfinite(elderly) | (elderly < 0), where, "elderly", elderly, "must be >= 0")
    elif need_elderly:
        raise ValueError(f"{where}: no 'elderly' column (elderly people per point)")
    else:
        elderly = np.ones(table.num_rows)
    attrs = {
        n: np.asarray(table.column(n).to_pylist(), dtype=object) for n in names if n not in CORE
    }
    return PointSet(ids, lon, lat, elderly, attrs)


def _ids(col: Any, where: str) -> pa.Array:
    """Trimmed text ids; none empty, none repeated. Checked on the Arrow bytes with numpy
    (pyarrow's hash kernels took 0.3-1 s per million ids here)."""
    text = col if pa.types.is_string(col.type) else pc.cast(col, pa.string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    if text.null_count:
        i = int(np.flatnonzero(text.is_null().to_numpy(zero_copy_only=False))[0])
        raise ValueError(f"{where} row {i + 1:,}: missing id")
    offsets, data = binary_buffers(text)
    if _has_edge_space(offsets, data):
        text = pc.utf8_trim_whitespace(text)
        offsets, data = binary_buffers(text)
    empty = np.flatnonzero(np.diff(offsets) == 0)
    if empty.size:
        raise ValueError(f"{where} row {int(empty[0]) + 1:,}: missing id")
    repeated = first_repeat(offsets, data)
    if repeated is not None:
        i, j = repeated
        raise ValueError(
            f"{where} row {j + 1:,}: id {text[j].as_py()!r} repeats row {i + 1:,}; "
            "ids are not unique"
        )
    return text


_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 11, 12, 13, 32]] = True


def _has_edge_space(offsets: NDArray[np.int64], data: NDArray[np.uint8]) -> bool:
    """Does any non-empty text start or end with ASCII white space?"""
    full = np.diff(offsets) > 0
    if not full.any():
        return False
    first = data[offsets[:-1][full]]
    last = data[offsets[1:][full] - 1]
    return bool(_SPACE[first].any() or _SPACE[last].any())


_MULT = np.uint64(0x100000001B3)  # FNV-1's 64-bit prime
_MAX_POWERS = 1 << 12


def text_hashes(offsets: NDArray[np.int64], data: NDArray[np.uint8]) -> NDArray[np.uint64]:
    """A 64-bit hash of each (non-empty) text: sum of byte x P**position, mixed with the
    length and a splitmix64 finaliser. Equal texts hash equal; callers confirm equal
    hashes by comparing the texts, so a collision can cost time, never a wrong answer."""
    lengths = np.diff(offsets)
    n = lengths.size
    out = np.zeros(n, dtype=np.uint64)
    longest = int(lengths.max()) if n else 0
    powers = np.cumprod(np.full(max(1, min(longest, _MAX_POWERS)), _MULT, dtype=np.uint64))
    step = 1 << 16
    for s in range(0, n, step):
        e = min(s + step, n)
        lo, hi = int(offsets[s]), int(offsets[e])
        starts = offsets[s:e] - lo
        ln = lengths[s:e]
        pos = np.arange(hi - lo, dtype=np.int64) - np.repeat(starts, ln)
        part = data[lo:hi].astype(np.uint64) * powers[pos % powers.size]
        if part.size:
            out[s:e] = np.add.reduceat(part, starts)
    h = out ^ (lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def first_repeat(offsets: NDArray[np.int64], data: NDArray[np.uint8]) -> tuple[int, int] | None:
    """(earlier row, row) of the first text (in row order) that repeats an earlier one,
    else None: texts are sorted by hash, and texts sharing a hash are compared."""
    h = text_hashes(offsets, data)
    order = np.argsort(h, kind="stable")
    same = np.flatnonzero(h[order][1:] == h[order][:-1])
    if same.size == 0:
        return None
    groups: dict[int, list[int]] = {}
    for k in same.tolist():  # rows sharing a hash, in row order (stable sort)
        rows = groups.setdefault(int(h[order[k]]), [int(order[k])])
        rows.append(int(order[k + 1]))
    found: tuple[int, int] | None = None
    for rows in groups.values():
        seen: dict[bytes, int] = {}
        for r in rows:
            text = data[offsets[r] : offsets[r + 1]].tobytes()
            if text in seen and (found is None or r < found[1]):
                found = (seen[text], r)
            seen.setdefault(text, r)
    return found


def _numbers(
    table: pa.Table, name: str, where: str, allow_null: bool = False
) -> NDArray[np.float64]:
    col = table.column(name)
    if not pa.types.is_floating(col.type) and not pa.types.is_integer(col.type):
        col = _to_float(pc.utf8_trim_whitespace(pc.cast(col, pa.string())), where, name)
    values = np.asarray(col.to_numpy(), dtype=np.float64)  # nulls -> nan
    if not allow_null and col.null_count:
        nulls = np.asarray(pc.is_null(col).to_numpy(zero_copy_only=False), dtype=bool)
        raise ValueError(f"{where} row {int(np.argmax(nulls)) + 1:,}: missing {name}")
    return values


def _range(values: NDArray[np.float64], name: str, limit: float, where: str) -> None:
    bad = ~(np.abs(values) <= limit)  # nan too
    _first_bad(bad, where, name, values, f"outside [{-limit:g}, {limit:g}]")


def _first_bad(
    bad: NDArray[np.bool_], where: str, name: str, values: NDArray[np.float64], why: str
) -> None:
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{where} row {i + 1:,}: {name} {values[i]:g} {why}")
