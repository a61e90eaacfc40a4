"""Files to arrays: OSM ``.osm.pbf`` / GeoJSON / GeoPackage street lines and point files.

Everything leaves here projected to one UTM zone (meters) chosen from the data's
centre with :func:`services.common.geo.utm_epsg_for`, so the compute modules never
see degrees. Like spopt's ``from_geodataframe``: this module checks CRS and
columns, then hands plain arrays to :mod:`services.coverage.graph`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from services.common.geo import WGS84, utm_epsg_for
from services.coverage.graph import DRIVE, WALK, Network, build_network, split_long_edges

MERGE_TOLERANCE_M = 0.5
"""Line vertices closer than this are one node (digitising noise, not two junctions)."""

NOT_WALKABLE = {"motorway", "motorway_link"}

DRIVE_SPEEDS_KMH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
    "track": 15.0,
}
"""Default free-flow speeds per OSM ``highway`` class (km/h), overridable per import."""
DEFAULT_DRIVE_KMH = 30.0
ONEWAY_FORWARD = {"yes", "true", "1"}
ONEWAY_BACKWARD = {"-1", "reverse"}


def projector(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[int, Transformer]:
    """The UTM zone of the data's centre and a lon/lat -> meters transformer for it."""
    if lon.size == 0:
        raise ValueError("no coordinates to project")
    epsg = utm_epsg_for(float(np.median(lon)), float(np.median(lat)))
    return epsg, Transformer.from_crs(WGS84, f"EPSG:{epsg}", always_xy=True)


def to_epsg(
    epsg: int, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project WGS84 lon/lat (degrees) to ``epsg`` meters."""
    t = Transformer.from_crs(WGS84, f"EPSG:{epsg}", always_xy=True)
    x, y = t.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def from_epsg(
    epsg: int, x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Back from ``epsg`` meters to WGS84 lon/lat (degrees)."""
    t = Transformer.from_crs(f"EPSG:{epsg}", WGS84, always_xy=True)
    lon, lat = t.transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _oneway_codes(values: Any, junction: Any) -> NDArray[np.int8]:
    """+1 forward only, -1 backward only, 0 both ways (roundabouts are oneway)."""
    s = np.asarray([str(v).strip().lower() if v is not None else "" for v in values], dtype=object)
    codes = np.zeros(s.shape, dtype=np.int8)
    codes[np.isin(s, list(ONEWAY_FORWARD))] = 1
    codes[np.isin(s, list(ONEWAY_BACKWARD))] = -1
    if junction is not None:
        j = np.asarray([str(v).lower() for v in junction], dtype=object)
        codes[(codes == 0) & np.isin(j, ["roundabout", "circular"])] = 1
    return codes


def _speeds_mps(highway: Any, overrides: dict[str, float] | None) -> NDArray[np.float64]:
    table = {**DRIVE_SPEEDS_KMH, **(overrides or {})}
    hw = np.asarray([str(h) for h in highway], dtype=object)
    kmh = np.full(hw.shape, DEFAULT_DRIVE_KMH)
    for cls, speed in table.items():
        kmh[hw == cls] = speed
    return kmh / 3.6


def _finish(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    codes: NDArray[np.int8],
    kind: str,
    speeds: NDArray[np.float64] | None,
    max_segment_m: float | None = None,
) -> Network:
    """Project nodes, measure edges in meters, orient oneways, build the CSR graph."""
    if u.size == 0:
        raise ValueError("the network has no edges")
    epsg, tr = projector(lon, lat)
    x, y = tr.transform(lon, lat)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return finish_xy(x, y, u, v, codes, kind, speeds, max_segment_m, epsg)


def finish_xy(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    codes: NDArray[np.int8],
    kind: str,
    speeds: NDArray[np.float64] | None,
    max_segment_m: float | None,
    epsg: int,
) -> Network:
    """Nodes already in ``epsg`` meters: measure edges, orient oneways, build the CSR graph."""
    if u.size == 0:
        raise ValueError("the network has no edges")
    back = codes == -1
    u, v = np.where(back, v, u), np.where(back, u, v)
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    if max_segment_m is not None:
        x, y, u, v, length, origin = split_long_edges(x, y, u, v, length, max_segment_m)
        codes = codes[origin]
        speeds = None if speeds is None else speeds[origin]
    return build_network(
        x,
        y,
        u,
        v,
        length,
        epsg=epsg,
        oneway=codes != 0 if kind == DRIVE else None,
        speed_mps=speeds if kind == DRIVE else None,
        kind=kind,
    )


def load_osm_pbf(
    path: Path,
    kind: str = WALK,
    speeds_kmh: dict[str, float] | None = None,
    max_segment_m: float | None = None,
) -> Network:
    """A walking (no motorways) or driving network from an ``.osm.pbf`` via pyrosm.

    pyrosm yields one row per OSM segment (consecutive way nodes u -> v); all the
    rest is vectorised numpy. Lengths are Euclidean in the UTM zone (meters).
    """
    import pyrosm

    osm = pyrosm.OSM(str(path))
    got = osm.get_network(network_type="walking" if kind == WALK else "driving", nodes=True)
    if got is None:
        raise ValueError(f"{path}: no {kind} network in this file")
    nodes, edges = got
    if edges is None or len(edges) == 0:
        raise ValueError(f"{path}: the network has no edges")
    hw = edges["highway"].astype(str).to_numpy()
    if kind == WALK:
        edges = edges[~np.isin(hw, list(NOT_WALKABLE))]
        hw = edges["highway"].astype(str).to_numpy()
    uid = edges["u"].to_numpy(np.int64)
    vid = edges["v"].to_numpy(np.int64)
    ids, inverse = np.unique(np.concatenate([uid, vid]), return_inverse=True)
    node_ids = nodes["id"].to_numpy(np.int64)
    order = np.argsort(node_ids)
    pos = order[np.searchsorted(node_ids, ids, sorter=order)]
    lon = nodes["lon"].to_numpy(np.float64)[pos]
    lat = nodes["lat"].to_numpy(np.float64)[pos]
    u, v = inverse[: uid.size], inverse[uid.size :]
    junction = edges["junction"].to_numpy() if "junction" in edges else None
    codes = _oneway_codes(edges["oneway"].to_numpy(), junction)
    speeds = _speeds_mps(hw, speeds_kmh) if kind == DRIVE else None
    return _finish(lon, lat, u, v, codes, kind, speeds, max_segment_m)


def load_lines(
    path: Path,
    kind: str = WALK,
    speeds_kmh: dict[str, float] | None = None,
    max_segment_m: float | None = None,
) -> Network:
    """A network from LineStrings (GeoPackage, GeoJSON, GeoParquet), read through Arrow.

    Vertices (not only endpoints) within 0.5 m of each other become one node, so
    crossing lines that share a vertex connect — unless the lines carry integer ``u``/``v``
    end ids (then those say which ends meet); lines are two-way unless ``oneway`` says
    otherwise (driving only). ``highway`` or ``speed_kmh`` columns set speeds. See
    :mod:`services.coverage.line_files`.
    """
    from services.coverage.line_files import read_line_network

    return read_line_network(path, kind, speeds_kmh, max_segment_m)


def merge_close_points(xy: NDArray[np.float64], tol_m: float) -> NDArray[np.int64]:
    """Label points so that any two within ``tol_m`` (transitively) share a label 0..k-1."""
    tree = cKDTree(xy)
    pairs = tree.query_pairs(r=tol_m, output_type="ndarray")
    n = xy.shape[0]
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    # renumber in order of first appearance, so labels follow the file order
    _, first_idx, inv = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty_like(first_idx)
    rank[np.argsort(first_idx)] = np.arange(first_idx.size)
    return rank[inv].astype(np.int64)


PBF_SUFFIXES = (".osm.pbf", ".pbf")
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


def check_network_file(path: Path) -> None:
    """Refuse a network file whose bytes are not what its name says (``ValueError``).

    Why: GDAL picks its driver by content, not by name, so a ``.geojson`` holding a VRT
    document would make it open other files on the server; and a truncated ``.osm.pbf``
    can be read by pyrosm without complaint, giving a silently partial network. An
    ``.osm.pbf`` is read through once by libosmium (every block's header and
    compression, no objects built: ~10 ms for a city extract).
    """
    name = path.name.lower()
    with path.open("rb") as fh:
        head = fh.read(64)
    if name.endswith(PBF_SUFFIXES):
        import osmium

        try:
            for _ in osmium.FileProcessor(str(path), osmium.osm.CHANGESET):
                pass
        except RuntimeError as exc:
            raise ValueError(f"not a complete OSM PBF file ({exc})") from None
    elif name.endswith((".geojson", ".json")):
        if not head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{":
            raise ValueError("not a GeoJSON document (it must start with '{')")
    elif name.endswith(".gpkg"):
        if not head.startswith(SQLITE_MAGIC):
            raise ValueError("not a GeoPackage (SQLite) file")
    elif name.endswith(".npz"):
        if not head.startswith(ZIP_MAGICS):
            raise ValueError("not an .npz (zip) file")
    else:
        raise ValueError("unknown network format (.osm.pbf, .geojson, .gpkg or .npz)")


def load_network(
    path: Path,
    kind: str = WALK,
    speeds_kmh: dict[str, float] | None = None,
    max_segment_m: float | None = None,
) -> Network:
    """Pick the reader by file name: ``.pbf`` via pyrosm, ``.npz`` saved, else lines.

    ``max_segment_m`` cuts longer straight edges into pieces (see ``split_long_edges``).
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"network file not found: {path}")
    if path.name.endswith(".pbf"):
        return load_osm_pbf(path, kind, speeds_kmh, max_segment_m)
    if path.suffix == ".npz":
        from services.coverage.graph import load_network as load_npz

        return load_npz(path)
    return load_lines(path, kind, speeds_kmh, max_segment_m)


@dataclass
class PointSet:
    """Points (stations or demand) in WGS84 with their attributes (arrays, same length)."""

    ids: Any  # NDArray[np.str_], or a pyarrow string array when read from a file (columnar)
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    elderly: NDArray[np.float64]
    attrs: dict[str, NDArray[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.lon.shape[0])


NUMERIC_ATTRS = ("elderly", "elderly_65plus", "elderly_80plus", "capacity")


CORE_COLUMNS = ("id", "lon", "lat", "elderly", "geometry")


def points_from_records(
    records: list[dict[str, Any]], what: str, need_elderly: bool, max_columns: int | None = None
) -> PointSet:
    """Validate records with ``id``, ``lon``, ``lat`` (and ``elderly``) into a PointSet.

    Other keys become attribute columns (``region`` is read as ``region_code``). Linear in
    the number of values: a value is stored once under its column, and columns are filled
    at the end (records that each carry a different key once made this quadratic). With
    ``max_columns`` set, more distinct attribute names than that is a ``ValueError``.

    >>> ps = points_from_records([{"id": 1, "lon": 1, "lat": 2, "type": "a"},
    ...                           {"id": "b", "lon": 3, "lat": 4, "region": "1"}], "s", False)
    >>> ps.ids.tolist(), ps.attrs["type"].tolist(), ps.attrs["region_code"].tolist()
    (['1', 'b'], ['a', None], [None, '1'])
    """
    if not records:
        raise ValueError(f"{what}: no points")
    n = len(records)
    lon, lat, elderly = np.empty(n), np.empty(n), np.empty(n)
    ids: list[str] = []
    columns: dict[str, list[tuple[int, Any]]] = {}
    for i, r in enumerate(records):
        where = f"{what} row {i + 1}"
        if not isinstance(r, dict):
            raise ValueError(f"{where}: not an object")
        if r.get("id") in (None, ""):
            raise ValueError(f"{where}: missing id")
        try:
            lo, la = float(r["lon"]), float(r["lat"])
        except (KeyError, TypeError, ValueError, OverflowError):
            raise ValueError(f"{where}: lon/lat missing or not numbers") from None
        if not (np.isfinite(lo) and np.isfinite(la) and abs(lo) <= 180 and abs(la) <= 90):
            raise ValueError(f"{where}: lon/lat outside WGS84 range")
        e = r.get("elderly")
        if need_elderly and e in (None, ""):
            raise ValueError(f"{where}: missing elderly count")
        try:
            ev = float(e) if e not in (None, "") else 1.0
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{where}: elderly is not a number") from None
        if not (np.isfinite(ev) and ev >= 0):
            raise ValueError(f"{where}: elderly must be >= 0")
        ids.append(str(r["id"]))
        lon[i], lat[i], elderly[i] = lo, la, ev
        for k, val in r.items():
            k = "region_code" if k == "region" and "region_code" not in r else k
            if k in CORE_COLUMNS:
                continue
            column = columns.get(k)
            if column is None:
                if max_columns is not None and len(columns) >= max_columns:
                    raise ValueError(
                        f"{where}: more than {max_columns} distinct property names "
                        f"(each becomes a column); keep the ones the run needs"
                    )
                column = columns[k] = []
            column.append((i, val))
    arr_ids = np.asarray(ids, dtype=str)
    if np.unique(arr_ids).size != arr_ids.size:
        raise ValueError(f"{what}: ids are not unique")
    attrs: dict[str, NDArray[Any]] = {}
    for k, pairs in columns.items():
        values = np.full(n, None, dtype=object)
        for i, val in pairs:
            values[i] = val
        attrs[str(k)] = values
    return PointSet(arr_ids, lon, lat, elderly, attrs)


def read_points(path: Path, what: str, need_elderly: bool = False) -> PointSet:
    """GeoJSON Point features (``properties.id``) or CSV with ``lon,lat,id`` columns."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{what} file not found: {path}")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows = [
            {
                (k or "").strip().lower(): (v.strip() if isinstance(v, str) else v)
                for k, v in r.items()
            }
            for r in csv.DictReader(io.StringIO(text))
        ]
        return points_from_records(rows, what, need_elderly)
    return points_from_records(geojson_records(json.loads(text), what), what, need_elderly)


def geojson_records(doc: Any, what: str) -> list[dict[str, Any]]:
    """Flatten a FeatureCollection of Points to records (polygons use a representative point).

    ``ValueError`` naming the feature for anything that is not a Point or Polygon feature.
    """
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list):
        raise ValueError(f"{what}: not a GeoJSON FeatureCollection")
    out = []
    for i, f in enumerate(feats):
        where = f"{what} feature {i + 1}"
        if not isinstance(f, dict):
            raise ValueError(f"{where}: not a GeoJSON Feature")
        geom = f.get("geometry") or {}
        raw_props = f.get("properties") or {}
        if not isinstance(geom, dict) or not isinstance(raw_props, dict):
            raise ValueError(f"{where}: geometry and properties must be objects")
        props = dict(raw_props)
        if "id" not in props and f.get("id") is not None:
            props["id"] = f["id"]
        coords = geom.get("coordinates")
        if geom.get("type") == "Point":
            if not isinstance(coords, list) or len(coords) < 2:
                raise ValueError(f"{where}: a Point needs [lon, lat] coordinates")
            props["lon"], props["lat"] = coords[:2]
        elif geom.get("type") in ("Polygon", "MultiPolygon"):
            import shapely.geometry

            try:
                c = shapely.geometry.shape(geom).representative_point()
            except Exception:  # shapely/GEOS refuse malformed rings in several ways
                raise ValueError(f"{where}: malformed {geom.get('type')} coordinates") from None
            props["lon"], props["lat"] = c.x, c.y
        else:
            raise ValueError(f"{where}: geometry must be a Point or Polygon")
        out.append(props)
    return out
