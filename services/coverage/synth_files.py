"""Write a :class:`~services.coverage.synth.City` as the coverage CLI's input files.

``network.gpkg`` (layer ``streets``: LineStrings in the city's UTM zone, with ``u``/``v``
intersection ids and ``highway``), ``stations.geojson`` (WGS84 Points with ``id``),
``demand.csv`` (``id,lon,lat,elderly``, WGS84, 7 decimals ≈ 1 cm) and ``city.json``
(what was generated, with which seed). Same seed and size, same content.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from services.common.geo import WGS84, utm_epsg_for
from services.coverage.synth import DEFAULT_CENTRE, HIGHWAYS, City, synth_city
from services.coverage.wkb import encode_linestrings

COORD_DECIMALS = 7


def make_city_files(
    out: Path,
    n_nodes: int,
    seed: int,
    *,
    n_stations: int | None = None,
    n_demand: int | None = None,
    centre_lonlat: tuple[float, float] = DEFAULT_CENTRE,
) -> dict[str, Any]:
    """Generate the city around ``centre_lonlat`` and write its files; returns city.json."""
    from pyproj import Transformer

    epsg = utm_epsg_for(*centre_lonlat)
    to_utm = Transformer.from_crs(WGS84, f"EPSG:{epsg}", always_xy=True)
    cx, cy = to_utm.transform(*centre_lonlat)
    city = synth_city(
        n_nodes,
        seed,
        n_stations=n_stations,
        n_demand=n_demand,
        epsg=epsg,
        centre_xy=(float(cx), float(cy)),
    )
    return write_city(city, out, seed=seed)


def write_city(city: City, out: Path, *, seed: int) -> dict[str, Any]:
    """The four files of one city in ``out`` (created if needed)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_network_gpkg(city, out / "network.gpkg")
    s_lon, s_lat = _lonlat(city.epsg, city.station_x, city.station_y)
    write_stations_geojson(s_lon, s_lat, out / "stations.geojson")
    d_lon, d_lat = _lonlat(city.epsg, city.demand_x, city.demand_y)
    write_demand_csv(d_lon, d_lat, city.elderly, out / "demand.csv")
    info = {
        "generator": "carecircle synth city",
        "seed": seed,
        "nodes": city.n_nodes,
        "street_links": int(city.u.size),
        "stations": int(city.station_x.size),
        "demand_points": int(city.demand_x.size),
        "elderly": int(city.elderly.sum()),
        "network_crs": f"EPSG:{city.epsg}",
        "files": ["network.gpkg", "stations.geojson", "demand.csv"],
        "note": "GENERATED data: no real streets, people or facilities",
    }
    (out / "city.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info


def _lonlat(
    epsg: int, x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    from pyproj import Transformer

    t = Transformer.from_crs(f"EPSG:{epsg}", WGS84, always_xy=True)
    lon, lat = t.transform(x, y)
    lon_r = np.round(np.asarray(lon, dtype=np.float64), COORD_DECIMALS)
    lat_r = np.round(np.asarray(lat, dtype=np.float64), COORD_DECIMALS)
    return lon_r.astype(np.float64), lat_r.astype(np.float64)


def write_network_gpkg(city: City, path: Path) -> None:
    """Streets in the city's UTM zone: a metric CRS the coverage CLI reads without projecting."""
    import pyogrio

    table = pa.table(
        {
            "u": pa.array(city.u, pa.int64()),
            "v": pa.array(city.v, pa.int64()),
            "highway": pa.DictionaryArray.from_arrays(
                pa.array(city.highway.astype(np.int32)), pa.array(HIGHWAYS)
            ).cast(pa.string()),
            "geometry": encode_linestrings(city.vx, city.vy, city.line_start),
        }
    )
    if path.exists():
        path.unlink()
    pyogrio.write_arrow(
        table,
        path,
        layer="streets",
        driver="GPKG",
        geometry_name="geometry",
        geometry_type="LineString",
        crs=f"EPSG:{city.epsg}",
    )


def write_stations_geojson(lon: NDArray[np.float64], lat: NDArray[np.float64], path: Path) -> None:
    """RFC 7946 FeatureCollection of Points with ``id`` (s1, s2, ...); no type, so a run does
    the same job as the benchmarks' baselines (nearest station of any kind)."""
    features = [
        {
            "type": "Feature",
            "properties": {"id": f"s{i + 1}"},
            "geometry": {"type": "Point", "coordinates": [float(a), float(b)]},
        }
        for i, (a, b) in enumerate(zip(lon, lat, strict=True))
    ]
    doc = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")


def write_demand_csv(
    lon: NDArray[np.float64], lat: NDArray[np.float64], elderly: NDArray[np.int64], path: Path
) -> None:
    """``id,lon,lat,elderly`` with ids d1, d2, ...: the CLI's demand input."""
    n = int(lon.size)
    ids = pc.binary_join_element_wise(
        "d", pc.cast(pa.array(np.arange(1, n + 1, dtype=np.int64)), pa.string()), ""
    )
    table = pa.table({"id": ids, "lon": lon, "lat": lat, "elderly": elderly})
    with path.open("wb") as fh:
        fh.write(b"id,lon,lat,elderly\n")
        pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))
