"""Street lines (GeoPackage, GeoJSON, GeoParquet) to a :class:`Network`, through Arrow.

Why this module: reading a million street lines through geopandas builds a shapely
object per line (seconds); here GDAL hands the features over as one Arrow table
(pyogrio) or pyarrow reads GeoParquet, and :mod:`wkb` decodes every vertex at once.

Topology, two ways:

* lines with integer ``u`` and ``v`` columns (OSMnx's edge layers, ``carecircle synth
  city``): a line's first vertex is node ``u``, its last node ``v``; ends with the same
  id are one node (their coordinates must agree within 0.5 m) and intermediate vertices
  belong to their line only — lines crossing at a bridge do not connect;
* otherwise vertices (not only ends) within 0.5 m of each other are one node.

Lines in a WGS84 UTM zone (EPSG:326xx/327xx) are used in that zone as they are; lines
in any other CRS are projected to the UTM zone of their centre (lon/lat first).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.common.geo import WGS84
from services.coverage.graph import DRIVE, WALK, Network
from services.coverage.loaders import (
    DEFAULT_DRIVE_KMH,
    MERGE_TOLERANCE_M,
    _oneway_codes,
    _speeds_mps,
    finish_xy,
    merge_close_points,
    projector,
)
from services.coverage.wkb import decode_linestrings

WANTED = ("u", "v", "oneway", "highway", "speed_kmh")
"""The only attribute columns a network needs (others are not read)."""


def read_line_network(
    path: Path,
    kind: str = WALK,
    speeds_kmh: dict[str, float] | None = None,
    max_segment_m: float | None = None,
) -> Network:
    """A network from LineStrings (see the module docstring for topology and CRS)."""
    path = Path(path)
    columns, geometry, crs = _read_table(path)
    n_features = len(geometry)
    xy, line_start, feature = decode_linestrings(geometry)
    del geometry  # the WKB bytes (tens of MB) are not needed any more
    if line_start.size < 2 or xy.shape[0] == 0:
        raise ValueError(f"{path}: no LineString features, so the network has no edges")
    epsg, x, y = _to_meters(path, xy, crs)
    del xy
    label = _node_labels(path, columns, x, y, line_start, feature)
    # an edge between consecutive vertices of the same part
    same = np.ones(label.size - 1, dtype=bool)
    same[line_start[1:-1] - 1] = False
    edge_at = np.flatnonzero(same)
    del same
    u, v = label[edge_at], label[edge_at + 1]
    n = int(label.max()) + 1
    first = np.full(n, -1, dtype=np.int64)
    first[label[::-1]] = np.arange(label.size - 1, -1, -1)
    del label
    x, y = x[first], y[first]
    del first
    codes = np.zeros(u.size, dtype=np.int8)
    speeds = None
    if kind == DRIVE:
        part = np.searchsorted(line_start, edge_at, side="right") - 1
        edge_feature = feature[part]
        if "oneway" in columns:
            codes = _oneway_codes(_strings(columns["oneway"]), None)[edge_feature]
        speeds = _drive_speeds(columns, n_features, speeds_kmh)[edge_feature]
    del edge_at
    return finish_xy(x, y, u, v, codes, kind, speeds, max_segment_m, epsg)


def _read_table(path: Path) -> tuple[dict[str, Any], Any, str | None]:
    """The wanted attribute columns (Arrow), the WKB geometry column and the CRS."""
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return _read_geoparquet(path)
    import pyogrio

    try:
        info = pyogrio.read_info(path)
    except Exception as exc:  # GDAL's own errors: not a file it can read
        raise ValueError(f"{path}: cannot read lines ({exc})") from None
    fields = [f for f in info["fields"] if str(f).lower() in WANTED]
    meta, table = pyogrio.read_arrow(path, columns=fields)
    geom_name = meta.get("geometry_name") or "wkb_geometry"
    if geom_name not in table.column_names:
        raise ValueError(f"{path}: no geometry column")
    cols = {str(f).lower(): table.column(f) for f in fields}
    return cols, table.column(geom_name), meta.get("crs")


def _read_geoparquet(path: Path) -> tuple[dict[str, Any], Any, str | None]:
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    geo = json.loads((schema.metadata or {}).get(b"geo", b"{}"))
    geom_name = geo.get("primary_column", "geometry")
    if geom_name not in schema.names:
        raise ValueError(f"{path}: no geometry column (GeoParquet 'geo' metadata)")
    wanted = [c for c in schema.names if c.lower() in WANTED]
    table = pq.read_table(path, columns=[*wanted, geom_name])
    crs = geo.get("columns", {}).get(geom_name, {}).get("crs", "OGC:CRS84")
    crs_text = json.dumps(crs) if isinstance(crs, dict) else crs
    return {c.lower(): table.column(c) for c in wanted}, table.column(geom_name), crs_text


def _to_meters(
    path: Path, xy: NDArray[np.float64], crs: str | None
) -> tuple[int, NDArray[np.float64], NDArray[np.float64]]:
    """(epsg, x, y): a UTM zone as it is; anything else to lon/lat, then its UTM zone."""
    epsg = _epsg(crs)
    if epsg is not None and (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
        return epsg, xy[:, 0], xy[:, 1]  # views: no copy
    lon, lat = xy[:, 0], xy[:, 1]
    if crs is not None and epsg != 4326:
        from pyproj import CRS, Transformer

        if not CRS.from_user_input(crs).equals(CRS.from_epsg(4326), ignore_axis_order=True):
            t = Transformer.from_crs(crs, WGS84, always_xy=True)
            lon, lat = (np.asarray(a, dtype=np.float64) for a in t.transform(lon, lat))
    if np.any(~np.isfinite(lon)) or np.any(np.abs(lon) > 180) or np.any(np.abs(lat) > 90):
        raise ValueError(f"{path}: coordinates are not WGS84 lon/lat degrees")
    zone, tr = projector(lon, lat)
    x, y = tr.transform(lon, lat)
    return zone, np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _epsg(crs: str | None) -> int | None:
    if crs is None:
        return None
    text = str(crs).strip()
    if text.upper().startswith("EPSG:") and text[5:].isdigit():
        return int(text[5:])
    if text.upper() in ("OGC:CRS84", "CRS84"):
        return 4326
    from pyproj import CRS

    code = CRS.from_user_input(text).to_epsg()
    return int(code) if code is not None else None


def _node_labels(
    path: Path,
    columns: dict[str, Any],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    line_start: NDArray[np.int64],
    feature: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Node label of every vertex, numbered in order of first appearance."""
    ids = _end_ids(columns, line_start, feature)
    if ids is None:
        return merge_close_points(np.column_stack([x, y]), MERGE_TOLERANCE_M)
    u_id, v_id = ids
    n_parts = line_start.size - 1
    raw = np.empty(x.size, dtype=np.int64)
    inner = np.ones(x.size, dtype=bool)
    inner[line_start[:-1]] = False
    inner[line_start[1:] - 1] = False
    n_ends, end_label = _dense_ids(np.concatenate([u_id, v_id]))
    raw[line_start[:-1]] = end_label[:n_parts]
    raw[line_start[1:] - 1] = end_label[n_parts:]
    raw[inner] = n_ends + np.arange(int(inner.sum()), dtype=np.int64)
    _check_ends(path, raw, x, y, n_ends, feature, line_start)
    return _by_first_appearance(raw, n_ends + int(inner.sum()))


def _dense_ids(ids: NDArray[np.int64]) -> tuple[int, NDArray[np.int64]]:
    """(number of distinct ids, each id's rank among them): a lookup table when the ids
    are small non-negative numbers (synth, renumbered exports), else a sort (OSM ids)."""
    if ids.size and ids.min() >= 0 and ids.max() < 4 * ids.size + 1024:
        present = np.zeros(int(ids.max()) + 1, dtype=np.int64)
        present[ids] = 1
        rank = np.cumsum(present) - 1
        return int(present.sum()), rank[ids]
    ends, label = np.unique(ids, return_inverse=True)
    return int(ends.size), label.astype(np.int64)


def _end_ids(
    columns: dict[str, Any], line_start: NDArray[np.int64], feature: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]] | None:
    """Integer ``u``/``v`` of each line, when every line has them and is a single part."""
    import pyarrow as pa

    if "u" not in columns or "v" not in columns:
        return None
    u, v = columns["u"], columns["v"]
    if not (pa.types.is_integer(u.type) and pa.types.is_integer(v.type)):
        return None
    if u.null_count or v.null_count or np.any(np.diff(feature) == 0):  # a multi-line
        return None
    u_np = u.to_numpy().astype(np.int64)[feature]
    v_np = v.to_numpy().astype(np.int64)[feature]
    return u_np, v_np


def _check_ends(
    path: Path,
    raw: NDArray[np.int64],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    n_ends: int,
    feature: NDArray[np.int64],
    line_start: NDArray[np.int64],
) -> None:
    """Line ends with the same id must lie within 0.5 m of each other."""
    is_end = raw < n_ends
    where = np.flatnonzero(is_end)
    first = np.full(n_ends, -1, dtype=np.int64)
    first[raw[where][::-1]] = where[::-1]
    ref = first[raw[where]]
    gap = np.hypot(x[where] - x[ref], y[where] - y[ref])
    bad = np.flatnonzero(gap > MERGE_TOLERANCE_M)
    if bad.size:
        vertex = int(where[bad[0]])
        part = int(np.searchsorted(line_start, vertex, side="right") - 1)
        raise ValueError(
            f"{path} feature {int(feature[part]) + 1:,}: its end is {gap[bad[0]]:.1f} m from "
            "another line's end with the same u/v id"
        )


def _by_first_appearance(raw: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Renumber labels 0..k-1 in order of first appearance (as the merge path does)."""
    first = np.full(n, raw.size, dtype=np.int64)
    first[raw[::-1]] = np.arange(raw.size - 1, -1, -1, dtype=np.int64)  # first write wins
    used = first < raw.size
    rank = np.full(n, -1, dtype=np.int64)
    order = np.argsort(first[used], kind="stable")
    rank[np.flatnonzero(used)[order]] = np.arange(order.size, dtype=np.int64)
    return rank[raw]


def _strings(col: Any) -> NDArray[Any]:
    return np.asarray(col.to_pylist(), dtype=object)


def _drive_speeds(
    columns: dict[str, Any], n_features: int, speeds_kmh: dict[str, float] | None
) -> NDArray[np.float64]:
    """Per-feature driving speed (m/s): ``speed_kmh``, else by ``highway`` class, else 30."""
    if "speed_kmh" in columns:
        kmh = np.asarray(
            [DEFAULT_DRIVE_KMH if s is None else float(s) for s in columns["speed_kmh"].to_pylist()]
        )
        return kmh / 3.6
    if "highway" in columns:
        hw = np.asarray([h or "" for h in columns["highway"].to_pylist()], dtype=object)
        return _speeds_mps(hw, speeds_kmh)
    return np.full(n_features, DEFAULT_DRIVE_KMH / 3.6)
