"""Point sets as one compressed blob of columns (numpy ``.npz``), and their content version.

Why: a demand set stored as JSON rows cost a Python dict per point to write and to read
back for every run. Columns go in and out as arrays: ids and text attributes as UTF-8
bytes plus offsets (Arrow's layout, without the dependency), numbers as float64. No
pickled objects (``allow_pickle=False``), so a stored blob can never run code.

Attributes named in :data:`NUMERIC_ATTRS` are numbers (missing: NaN on disk, ``None``
when read back); every other attribute is text (``str`` of the value as given).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.coverage.loaders import NUMERIC_ATTRS, PointSet

FORMAT = 1


def pack_text(values: Sequence[Any]) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Text values (``None`` kept apart by an offset of -1) as UTF-8 bytes and end offsets.

    >>> data, ends = pack_text(["a", None, "дом"])
    >>> unpack_text(data, ends).tolist()
    ['a', None, 'дом']
    """
    encoded = [None if v is None else str(v).encode("utf-8", "surrogatepass") for v in values]
    lengths = np.array([0 if e is None else len(e) for e in encoded], dtype=np.int64)
    ends = np.cumsum(lengths)
    data = np.frombuffer(b"".join(e for e in encoded if e is not None), dtype=np.uint8)
    ends[[i for i, e in enumerate(encoded) if e is None]] = -1
    return data, ends


def unpack_text(data: NDArray[np.uint8], ends: NDArray[np.int64]) -> NDArray[np.object_]:
    """The inverse of :func:`pack_text`: an object array of ``str`` (or ``None``)."""
    raw = data.tobytes()
    out = np.empty(ends.size, dtype=object)
    start = 0
    for i, end in enumerate(ends.tolist()):
        if end < 0:
            out[i] = None
            continue
        out[i] = raw[start:end].decode("utf-8", "surrogatepass")
        start = end
    return out


def numeric_column(values: NDArray[Any], name: str, what: str) -> NDArray[np.float64]:
    """Numbers (``None``/empty: NaN); ``ValueError`` naming the first row that is not one."""
    out = np.full(values.size, np.nan)
    for i, v in enumerate(values.tolist()):
        if v is None or v == "":
            continue
        try:
            out[i] = float(v)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{what} row {i + 1}: {name} {v!r} is not a number") from None
        if not np.isfinite(out[i]) or out[i] < 0:
            raise ValueError(f"{what} row {i + 1}: {name} must be a finite number >= 0")
    return out


def columns(ps: PointSet, what: str = "points") -> dict[str, NDArray[Any]]:
    """The arrays a point set is stored as (checked: numeric attributes are numbers)."""
    names = sorted(ps.attrs)
    name_data, name_ends = pack_text(names)
    id_data, id_ends = pack_text(ps.ids.tolist())
    out: dict[str, NDArray[Any]] = {
        "format": np.array([FORMAT], dtype=np.int64),
        "lon": np.ascontiguousarray(ps.lon, dtype=np.float64),
        "lat": np.ascontiguousarray(ps.lat, dtype=np.float64),
        "elderly": np.ascontiguousarray(ps.elderly, dtype=np.float64),
        "id_data": id_data,
        "id_ends": id_ends,
        "name_data": name_data,
        "name_ends": name_ends,
    }
    for k, name in enumerate(names):
        if name in NUMERIC_ATTRS:
            out[f"a{k}_num"] = numeric_column(ps.attrs[name], name, what)
        else:
            out[f"a{k}_data"], out[f"a{k}_ends"] = pack_text(ps.attrs[name].tolist())
    return out


def version(cols: dict[str, NDArray[Any]]) -> str:
    """SHA-256 (first 16 hex) of the columns: the same points give the same version."""
    h = hashlib.sha256()
    for key in sorted(cols):
        a = np.ascontiguousarray(cols[key])
        h.update(f"{key}:{a.dtype.str}:{a.shape}:".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def encode(cols: dict[str, NDArray[Any]]) -> bytes:
    """The columns as a compressed ``.npz`` blob."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **cols)  # type: ignore[arg-type]
    return buf.getvalue()


def decode(blob: bytes) -> PointSet:
    """A point set back from :func:`encode` (attributes as object arrays, ``None`` if missing)."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        if int(z["format"][0]) != FORMAT:
            raise ValueError(f"stored points have format {int(z['format'][0])}, not {FORMAT}")
        names = unpack_text(z["name_data"], z["name_ends"]).tolist()
        attrs: dict[str, NDArray[Any]] = {}
        for k, name in enumerate(names):
            if f"a{k}_num" in z.files:
                num = z[f"a{k}_num"]
                values = num.astype(object)
                values[np.isnan(num)] = None
                attrs[str(name)] = values
            else:
                attrs[str(name)] = unpack_text(z[f"a{k}_data"], z[f"a{k}_ends"])
        ids = unpack_text(z["id_data"], z["id_ends"]).astype(str)
        return PointSet(ids, z["lon"], z["lat"], z["elderly"], attrs)
