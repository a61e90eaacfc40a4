"""Well-known binary (WKB) points and line strings to and from numpy arrays, vectorised.

Why: GeoPackage and GeoParquet files hand geometries over as one WKB blob per feature;
building a shapely object per feature costs ~1 µs each (0.6 s for a million streets).
Plain 2D little-endian points and line strings, which is what GDAL and GeoParquet
writers produce, are decoded here straight from the Arrow buffers; anything else
(multi-lines, 3D, big-endian) goes through shapely, with the same result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

_POINT_BYTES = 21  # byte order (1) + type (4) + x, y (8 + 8)
_LINE_HEADER = 9  # byte order (1) + type (4) + number of points (4)


def binary_buffers(arr: Any) -> tuple[NDArray[np.int64], NDArray[np.uint8]]:
    """Offsets (int64) and the data bytes of a binary or string Arrow array (no copy of
    the bytes): string checks and WKB decoding run on them with numpy."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    t = arr.type
    large = pa.types.is_large_binary(t) or pa.types.is_large_string(t)
    if not (large or pa.types.is_binary(t) or pa.types.is_string(t)):
        raise ValueError(f"column is {arr.type}, not binary (WKB) or text")
    _, off_buf, data_buf = arr.buffers()
    off_type = np.int64 if large else np.int32
    offsets = np.frombuffer(
        off_buf,
        dtype=off_type,
        count=len(arr) + 1,
        offset=arr.offset * 8 if large else arr.offset * 4,
    )
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    return offsets.astype(np.int64), data


def _u32(data: NDArray[np.uint8], at: NDArray[np.int64]) -> NDArray[np.uint32]:
    """Little-endian uint32 read at each byte position ``at``."""
    return np.asarray(data[at[:, None] + np.arange(4)].view("<u4").ravel(), dtype=np.uint32)


def decode_points(arr: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """x, y of WKB points (one per feature); polygons are not points here (ValueError)."""
    offsets, data = binary_buffers(arr)
    start = offsets[:-1]
    n = start.size
    if n and not arr.null_count and np.all(np.diff(offsets) == _POINT_BYTES):
        head = data[start[:, None] + np.arange(5)]
        if np.all(head[:, 0] == 1) and np.all(head[:, 1] == 1) and not head[:, 2:].any():
            block = data[offsets[0] : offsets[-1]].reshape(n, _POINT_BYTES)[:, 5:]
            xy = np.ascontiguousarray(block).view("<f8").reshape(n, 2)
            return xy[:, 0].copy(), xy[:, 1].copy()
    import shapely

    geoms = shapely.from_wkb(np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object))
    bad = np.flatnonzero(shapely.get_type_id(geoms) != 0)
    if bad.size:
        raise ValueError(f"feature {int(bad[0]) + 1:,}: geometry is not a Point")
    return shapely.get_x(geoms), shapely.get_y(geoms)


def decode_linestrings(
    arr: Any,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Vertices of WKB line strings (an Arrow binary array): ``(xy, line_start, feature)``.

    ``xy[line_start[i]:line_start[i + 1]]`` are the vertices of part ``i``, which came
    from feature ``feature[i]``: multi-line strings give one part per line, other
    geometry types are left out (a network is made of lines).
    """
    offsets, data = binary_buffers(arr)
    if arr.null_count:
        return _linestrings_by_shapely(np.asarray(arr.to_numpy(zero_copy_only=False)))
    return decode_linestring_blobs(data, offsets[:-1], offsets[1:])


def decode_linestring_blobs(
    data: NDArray[np.uint8], start: NDArray[np.int64], end: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """As :func:`decode_linestrings`, for WKB blobs at ``data[start[i]:end[i]]`` (sorted,
    not overlapping; other bytes, e.g. GeoPackage headers, may lie between them)."""
    n = start.size
    size = end - start
    if n and np.all(size >= _LINE_HEADER):
        order = data[start]
        kind = _u32(data, start + 1)
        if np.all(order == 1) and np.all(kind == 2):
            npts = _u32(data, start + 5).astype(np.int64)
            if np.array_equal(size, _LINE_HEADER + 16 * npts):
                # keep the coordinate bytes [start + 9, end) of every blob
                step = np.zeros(data.size + 1, dtype=np.int8)
                step[start + _LINE_HEADER] = 1
                step[end] -= 1
                np.cumsum(step, out=step)  # 1 inside a coordinate range, 0 elsewhere
                xy = data[step[:-1].view(bool)].view("<f8").reshape(-1, 2)
                del step
                line_start = np.zeros(n + 1, dtype=np.int64)
                np.cumsum(npts, out=line_start[1:])
                return xy, line_start, np.arange(n, dtype=np.int64)
    blobs = np.empty(n, dtype=object)
    blobs[:] = [data[a:b].tobytes() for a, b in zip(start.tolist(), end.tolist(), strict=True)]
    return _linestrings_by_shapely(blobs)


def _linestrings_by_shapely(
    blobs: NDArray[Any],
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    import shapely

    geoms = shapely.from_wkb(np.asarray(blobs, dtype=object))
    parts, feature = shapely.get_parts(geoms, return_index=True)
    lines = shapely.get_type_id(parts) == 1
    parts, feature = parts[lines], feature[lines]
    xy, part = shapely.get_coordinates(parts, return_index=True)
    line_start = np.zeros(parts.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(part, minlength=parts.size), out=line_start[1:])
    return xy, line_start, np.asarray(feature, dtype=np.int64)


def encode_points(x: NDArray[np.float64], y: NDArray[np.float64]) -> pa.Array:
    """WKB points (little-endian, 2D) as an Arrow binary array, one per (x, y)."""
    n = int(np.asarray(x).size)
    block = np.zeros((n, _POINT_BYTES), dtype=np.uint8)
    block[:, 0] = 1
    block[:, 1] = 1
    block[:, 5:] = np.column_stack([x, y]).astype("<f8").view(np.uint8).reshape(n, 16)
    offsets = np.arange(0, (n + 1) * _POINT_BYTES, _POINT_BYTES, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(block.ravel())]
    )


def encode_linestrings(
    x: NDArray[np.float64], y: NDArray[np.float64], line_start: NDArray[np.int64]
) -> pa.Array:
    """WKB line strings (little-endian, 2D): line ``i`` is vertices ``line_start[i]:[i + 1]``."""
    npts = np.diff(line_start)
    n = npts.size
    size = _LINE_HEADER + 16 * npts
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(size, out=offsets[1:])
    out = np.zeros(int(offsets[-1]), dtype=np.uint8)
    head = np.zeros((n, _LINE_HEADER), dtype=np.uint8)
    head[:, 0] = 1
    head[:, 1] = 2
    head[:, 5:] = npts.astype("<u4").view(np.uint8).reshape(n, 4)
    out[(offsets[:-1, None] + np.arange(_LINE_HEADER)).ravel()] = head.ravel()
    body = np.ones(out.size, dtype=bool)
    body[(offsets[:-1, None] + np.arange(_LINE_HEADER)).ravel()] = False
    out[body] = np.column_stack([x, y]).astype("<f8").view(np.uint8).ravel()
    kind = pa.large_binary() if offsets[-1] > np.iinfo(np.int32).max else pa.binary()
    off = offsets if kind == pa.large_binary() else offsets.astype(np.int32)
    return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(off), pa.py_buffer(out)])
