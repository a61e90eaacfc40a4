"""The coverage CLI's result file, written column by column (Arrow), format by extension.

Columns, in this order: ``id, elderly, minutes, nearest_station, lon, lat, covered``.
``minutes`` is empty (null) when no station is reachable or the home is off the network;
``covered`` is true when ``minutes`` is within the circle.

* ``.csv`` — plain UTF-8 without BOM (machines read it), rounded for people: minutes to
  3 decimals (0.06 s), lon/lat to 7 (1 cm), whole elderly counts without ``.0``,
  ``true``/``false``;
* ``.parquet`` — GeoParquet 1.1 (WKB points, WGS84) with the same columns at full
  precision: planners' GIS tools (QGIS, GDAL, geopandas) open it as a layer;
* ``.gpkg`` — a GeoPackage point layer ``coverage``; ``.geojson`` — an RFC 7946
  FeatureCollection (coordinates and minutes rounded as in CSV). Both via GDAL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from services.common.geo import WGS84
from services.coverage.cpu import cores

FORMATS = (".csv", ".parquet", ".gpkg", ".geojson")
MINUTES_DECIMALS = 3
COORD_DECIMALS = 7


def result_table(
    ids: Any,
    elderly: NDArray[np.float64],
    minutes: NDArray[np.float64],
    station_ids: list[str],
    station: NDArray[np.int64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    circle_min: float,
) -> pa.Table:
    """The result columns; ``station`` indexes ``station_ids`` (-1: none)."""
    none = station < 0
    nearest = pa.DictionaryArray.from_arrays(
        pa.array(np.where(none, 0, station).astype(np.int32), mask=none),
        pa.array(station_ids, pa.string()),
    ).cast(pa.string())
    return pa.table(
        {
            "id": ids
            if isinstance(ids, pa.Array | pa.ChunkedArray)
            else pa.array(ids, pa.string()),
            "elderly": pa.array(elderly, pa.float64()),
            "minutes": pa.array(minutes, pa.float64(), mask=np.isnan(minutes)),
            "nearest_station": nearest,
            "lon": pa.array(lon, pa.float64()),
            "lat": pa.array(lat, pa.float64()),
            "covered": pa.array(np.nan_to_num(minutes, nan=np.inf) <= circle_min),
        }
    )


def write_result(table: pa.Table, path: Path) -> None:
    """Write by extension (see the module docstring); ValueError for others."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out must end with one of {', '.join(FORMATS)}: {path.name}")
    if suffix == ".csv":
        write_csv(table, path)
    elif suffix == ".parquet":
        write_geoparquet(table, path)
    else:
        write_gdal(table, path, "GPKG" if suffix == ".gpkg" else "GeoJSON")


def rounded(table: pa.Table) -> pa.Table:
    """Minutes, coordinates and whole counts as people read them (text formats)."""
    elderly = table.column("elderly")
    whole = pc.all(pc.equal(elderly, pc.round(elderly))).as_py()
    cols = {
        "elderly": pc.cast(elderly, pa.int64()) if whole else elderly,
        "minutes": pc.round(table.column("minutes"), MINUTES_DECIMALS),
        "lon": pc.round(table.column("lon"), COORD_DECIMALS),
        "lat": pc.round(table.column("lat"), COORD_DECIMALS),
    }
    return pa.table({c: cols.get(c, table.column(c)) for c in table.column_names})


def write_csv(table: pa.Table, path: Path) -> None:
    """Plain UTF-8 CSV (no BOM), header unquoted, values rounded (``rounded``).

    Formatting numbers is the slow part (0.35 s of CPU per million rows), so slices of the
    table are formatted on every core at once and written in order.
    """
    import pyarrow.csv as pacsv

    out = rounded(table)
    special = any(_needs_quotes(out.column(c)) for c in ("id", "nearest_station"))
    options = pacsv.WriteOptions(
        include_header=False,
        quoting_style="needed" if special else "none",  # "needed" quotes every text
        batch_size=1 << 16,
    )
    n = out.num_rows
    parts = max(1, min(cores(), -(-n // CSV_ROWS_PER_PART)))
    bounds = np.linspace(0, n, parts + 1).astype(int)

    def text(i: int) -> pa.Buffer:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(out.slice(bounds[i], bounds[i + 1] - bounds[i]), sink, options)
        return sink.getvalue()

    with path.open("wb") as fh:
        fh.write((",".join(out.column_names) + "\n").encode())
        if parts == 1:
            fh.write(text(0))
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(parts) as pool:
            for chunk in pool.map(text, range(parts)):
                fh.write(chunk)


CSV_ROWS_PER_PART = 250_000
_QUOTE = np.zeros(256, dtype=bool)
_QUOTE[[ord(","), ord('"'), ord("\r"), ord("\n")]] = True


def _needs_quotes(col: Any) -> bool:
    """Does any text hold a comma, quote or line break (checked on the bytes)?"""
    from services.coverage.wkb import binary_buffers

    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    return any(bool(_QUOTE[binary_buffers(c)[1]].any()) for c in chunks if len(c))


def _geometry(table: pa.Table) -> pa.Array:
    from services.coverage.wkb import encode_points

    return encode_points(table.column("lon").to_numpy(), table.column("lat").to_numpy())


def write_geoparquet(table: pa.Table, path: Path) -> None:
    """GeoParquet 1.1: a WKB ``geometry`` column (Points, WGS84 lon/lat) and its metadata."""
    import pyarrow.parquet as pq

    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": ["Point"],
                "bbox": [
                    pc.min(table.column("lon")).as_py(),
                    pc.min(table.column("lat")).as_py(),
                    pc.max(table.column("lon")).as_py(),
                    pc.max(table.column("lat")).as_py(),
                ],
            }
        },
    }
    out = table.append_column("geometry", _geometry(table))
    meta = dict(out.schema.metadata or {})
    meta[b"geo"] = json.dumps(geo).encode()
    pq.write_table(out.replace_schema_metadata(meta), path, compression="zstd")


def write_gdal(table: pa.Table, path: Path, driver: str) -> None:
    """A GeoPackage layer or an RFC 7946 GeoJSON file of points (GDAL, through Arrow)."""
    import pyogrio

    out = rounded(table) if driver == "GeoJSON" else table
    out = out.append_column("geometry", _geometry(table))
    if path.exists():
        path.unlink()
    options: dict[str, Any] = {"layer": "coverage", "geometry_name": "geometry"}
    if driver == "GeoJSON":
        options["layer_options"] = {"RFC7946": "YES", "COORDINATE_PRECISION": str(COORD_DECIMALS)}
    else:
        options["dataset_options"] = {"VERSION": "1.2"}  # readable by GDAL 3.6 too
    pyogrio.write_arrow(out, path, driver=driver, geometry_type="Point", crs=WGS84, **options)
