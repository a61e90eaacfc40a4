"""Coverage results as RFC 7946 FeatureCollections (WGS84 lon/lat), for GIS tools and maps.

Why a module of its own: the same results are answered as the service's JSON (kept for
existing clients) and as GeoJSON that ``ogrinfo``, QGIS and map libraries open directly.
Pure: dicts and arrays in, dicts out.

* isochrones: one feature per station *and* minute value (properties ``station_id``,
  ``minutes``, ``status``); a station that could not be placed on the network keeps its
  features, with a null geometry, ``status: "error"`` and the ``detail`` — so the count is
  always stations × minute values;
* points: one Point per demand point with its minutes, nearest station and ``covered``;
* siting: one Point per chosen site, in pick order (``rank``), with its marginal gain; the
  run-level figures are foreign members of the collection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

FeatureCollection = dict[str, Any]


def collection(features: list[dict[str, Any]], **members: Any) -> FeatureCollection:
    """A FeatureCollection; ``members`` are foreign members (RFC 7946 §6.1)."""
    return {"type": "FeatureCollection", "features": features, **members}


def isochrone_collection(
    items: Sequence[dict[str, Any]], minutes: Sequence[float]
) -> FeatureCollection:
    """The per-station answer of :func:`services.coverage.isochrones.isochrone_batch` as features.

    >>> fc = isochrone_collection(
    ...     [{"id": "a", "status": "error", "detail": "far", "contours": []}], [5, 10])
    >>> [(f["properties"]["station_id"], f["properties"]["minutes"]) for f in fc["features"]]
    [('a', 5.0), ('a', 10.0)]
    """
    wanted = sorted({float(m) for m in minutes})
    features = []
    for item in items:
        sid = str(item["id"])
        by_minutes = {float(c["minutes"]): c["geometry"] for c in item.get("contours", [])}
        for m in wanted:
            geometry = by_minutes.get(m)
            props: dict[str, Any] = {"station_id": sid, "minutes": m, "status": item["status"]}
            if item["status"] != "ok":
                props["detail"] = item.get("detail")
            features.append(
                {
                    "type": "Feature",
                    "id": f"{sid}/{m:g}",
                    "geometry": geometry,
                    "properties": props,
                }
            )
    return collection(features)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    out = float(value)
    return None if math.isnan(out) else out


def point_collection(
    rows: Sequence[dict[str, Any]],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    circle_min: float,
    **members: Any,
) -> FeatureCollection:
    """Demand points of a run as Point features; ``rows[i]`` has ``idx`` into ``lon``/``lat``.

    >>> fc = point_collection([{"idx": 0, "id": "p", "elderly": 3.0, "minutes": 4.2,
    ...     "nearest_station": "s"}], np.array([24.9]), np.array([60.1]), 15.0)
    >>> fc["features"][0]["properties"]["covered"], fc["features"][0]["geometry"]["coordinates"]
    (True, [24.9, 60.1])
    """
    features = []
    for r in rows:
        i = int(r["idx"])
        minutes = _number(r.get("minutes"))
        props = {
            "id": r["id"],
            "elderly": _number(r.get("elderly")),
            "minutes": minutes,
            "nearest_station": r.get("nearest_station"),
            "covered": minutes is not None and minutes <= circle_min,
        }
        if "access_2sfca" in r:
            props["access_2sfca"] = _number(r["access_2sfca"])
        features.append(
            {
                "type": "Feature",
                "id": str(r["id"]),
                "geometry": {"type": "Point", "coordinates": [float(lon[i]), float(lat[i])]},
                "properties": props,
            }
        )
    return collection(features, **members)


SITING_MEMBERS = (
    "method",
    "k",
    "candidates_considered",
    "newly_covered_elderly",
    "covered_share_by_elderly_before",
    "covered_share_by_elderly_after",
)


def siting_collection(result: dict[str, Any]) -> FeatureCollection:
    """A siting answer (``chosen`` sites in pick order) as Point features.

    >>> fc = siting_collection({"method": "greedy", "k": 1, "chosen": [
    ...     {"id": "n1", "lon": 24.9, "lat": 60.1, "marginal_elderly": 12.0}]})
    >>> fc["features"][0]["properties"], fc["method"]
    ({'id': 'n1', 'rank': 1, 'marginal_elderly': 12.0}, 'greedy')
    """
    features = [
        {
            "type": "Feature",
            "id": str(site["id"]),
            "geometry": {"type": "Point", "coordinates": [site["lon"], site["lat"]]},
            "properties": {
                "id": str(site["id"]),
                "rank": rank,
                "marginal_elderly": site.get("marginal_elderly"),
            },
        }
        for rank, site in enumerate(result.get("chosen", []), start=1)
    ]
    return collection(features, **{k: result[k] for k in SITING_MEMBERS if k in result})
