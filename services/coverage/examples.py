"""Answer examples of the coverage service's routes (OpenAPI documents).

Taken from the demo (`carecircle demo`: central Helsinki's walking network, synthetic demand and
stations), trimmed to one item per list."""

from __future__ import annotations

from typing import Any

import numpy as np

from services.coverage.geojson import isochrone_collection, point_collection, siting_collection

NETWORK: dict[str, Any] = {
    "id": 1,
    "name": "demo walking network",
    "kind": "walk",
    "version": "a78ad87554a2099b",
    "epsg": 32635,
    "n_nodes": 5559,
    "n_edges": 12724,
    "source": "var/demo/Helsinki.osm.pbf",
}
NETWORKS: dict[str, Any] = {
    "items": [
        {
            "id": 1,
            "name": "demo walking network",
            "kind": "walk",
            "version": "a78ad87554a2099b",
            "epsg": 32635,
            "n_nodes": 5559,
            "n_edges": 12724,
            "source": "var/demo/Helsinki.osm.pbf",
        }
    ]
}
DEMAND: dict[str, Any] = {
    "id": 1,
    "name": "demo demand",
    "version": "459b07e31b235139",
    "n_points": 486,
    "total_elderly": 17023.0,
    "derived": False,
    "source": "upload:demand.geojson",
    "skipped": [],
}
RUN: dict[str, Any] = {
    "id": 1,
    "status": "done",
    "progress": 100,
    "network_id": 1,
    "demand_set_id": 1,
    "registry_version": 2,
    "params": {
        "minutes": 15.0,
        "speed_mps": 1.0,
        "max_snap_m": 500.0,
        "skip_far_stations": False,
        "gap_resolution": 9,
    },
    "error": None,
    "cached": False,
}
SUMMARY: dict[str, Any] = {
    "run_id": 1,
    "registry_version": 2,
    "network_version": "a78ad87554a2099b",
    "network_kind": "walk",
    "minutes": 15.0,
    "speed_mps": 1.0,
    "demand_points": 486,
    "stations": 17,
    "elderly": 17023.0,
    "covered_elderly": 15564.0,
    "covered_points": 443,
    "covered_share_by_count": 0.9115,
    "covered_share_by_elderly": 0.9143,
    "unreachable_points": 33,
    "demand_off_network": 0,
    "demand_off_network_ids": [],
    "stations_off_network": [],
    "median_minutes": 4.6374,
    "by_region_code": [
        {
            "group": "990101002003",
            "demand_points": 20,
            "elderly": 849.0,
            "covered_elderly": 497.0,
            "covered_share_by_count": 0.7,
            "covered_share_by_elderly": 0.5854,
        }
    ],
    "by_street_code": [
        {
            "group": "990101002000",
            "demand_points": 39,
            "elderly": 4828.0,
            "covered_elderly": 4190.0,
            "covered_share_by_count": 0.7692,
            "covered_share_by_elderly": 0.8679,
        }
    ],
    "communities": 16,
    "share_communities_with_station_within_circle": 1.0,
    "share_communities_majority_covered": 1.0,
    "streets": 4,
    "share_streets_with_comprehensive_center": 0.5,
    "by_facility_type": [
        {
            "type": "care_center",
            "stations": 2,
            "covered_share_by_count": 0.6193,
            "covered_share_by_elderly": 0.6609,
        }
    ],
    "twosfca_mean_beds_per_elderly": 0.0367,
    "twosfca_by_region_code": [
        {"group": "990101001001", "elderly": 1654.0, "beds_per_elderly": 0.055}
    ],
    "demand_derived_from_registry": False,
    "demand_version": "459b07e31b235139",
}
POINTS: dict[str, Any] = {
    "items": [
        {
            "id": "B00093",
            "elderly": 11.0,
            "minutes": 8.337,
            "nearest_station": "18",
            "access_2sfca": 0.0441,
        },
        {
            "id": "B00094",
            "elderly": 0.0,
            "minutes": 4.9633,
            "nearest_station": "18",
            "access_2sfca": 0.051,
        },
    ],
    "next_cursor": "1",
}
GAPS: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [24.9322, 60.1716],
                        [24.9349, 60.1709],
                        [24.9373, 60.1719],
                        [24.9371, 60.1736],
                        [24.9344, 60.1743],
                        [24.932, 60.1733],
                        [24.9322, 60.1716],
                    ]
                ],
            },
            "properties": {
                "rank": 1,
                "cell": "891126d3387ffff",
                "uncovered_elderly": 208.0,
                "uncovered_points": 2,
            },
        }
    ],
}
COMPARE: dict[str, Any] = {
    "run": 1,
    "baseline": 1,
    "covered_share_by_count": {"run": 0.9115, "baseline": 0.9115, "change": 0.0},
    "covered_share_by_elderly": {"run": 0.9143, "baseline": 0.9143, "change": 0.0},
    "covered_elderly": {"run": 15564.0, "baseline": 15564.0, "change": 0.0},
    "stations": {"run": 17, "baseline": 17, "change": 0},
}
LATEST: dict[str, Any] = {
    "region_code": "990101000000",
    "run_id": 1,
    "finished_at": "2026-12-06T03:34:37.822692Z",
    "minutes": 15.0,
    "speed_mps": 1.0,
    "elderly": 17023.0,
    "covered_elderly": 15564.0,
    "demand_points": 486,
    "covered_share_by_count": 0.9115,
    "covered_share_by_elderly": 0.9143,
    "rolled_up_from": ["990101001001", "990101001002", "990101001003"],
    "demand_derived_from_registry": False,
}

WALK_TIMES: dict[str, Any] = {
    "items": [
        {"id": "21", "walk_minutes": 5.5222, "network_distance_m": 331.3305},
        {"id": "19", "walk_minutes": 6.5803, "network_distance_m": 394.8164},
    ]
}
SITING: dict[str, Any] = {
    "method": "greedy",
    "k": 1,
    "candidates_considered": 200,
    "chosen": [{"id": "node-5034", "lon": 24.945564, "lat": 60.168993, "marginal_elderly": 320.0}],
    "newly_covered_elderly": 320.0,
    "covered_share_by_elderly_before": 0.9143,
    "covered_share_by_elderly_after": 0.9331,
}
#: One station's 5-minute contour (its polygon thinned to a few vertices for the example).
ISOCHRONES: dict[str, Any] = {
    "items": [
        {
            "id": "18",
            "status": "ok",
            "contours": [
                {
                    "minutes": 5.0,
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [24.934519, 60.165352],
                                [24.935581, 60.167905],
                                [24.940588, 60.168532],
                                [24.944167, 60.167],
                                [24.943953, 60.164784],
                                [24.939062, 60.164465],
                                [24.93452, 60.165349],
                                [24.934519, 60.165352],
                            ]
                        ],
                    },
                }
            ],
        }
    ]
}
#: The same answers as GeoJSON (``Accept: application/geo+json`` or ``format=geojson``).
ISOCHRONES_GEOJSON: dict[str, Any] = isochrone_collection(ISOCHRONES["items"], [5.0])
POINTS_GEOJSON: dict[str, Any] = point_collection(
    [{"idx": i, **p} for i, p in enumerate(POINTS["items"])],
    np.array([24.941123, 24.941871]),
    np.array([60.168201, 60.168544]),
    15.0,
    next_cursor="1",
)
SITING_GEOJSON: dict[str, Any] = siting_collection(SITING)
#: A long query accepted as a job (202; ``Location`` is the task).
TASK: dict[str, Any] = {
    "id": 3,
    "kind": "isochrones",
    "run_id": 7,
    "status": "running",
    "progress": 45,
    "params": {"station_ids": None, "minutes": [5.0, 10.0, 15.0], "buffer_m": 50.0},
    "error": None,
    "result": "/api/v1/coverage/tasks/3/result",
    "cached": False,
}
