"""Examples for the facilities service's OpenAPI document that no schema carries (file answers).

Taken from a real export of ``schemas.FACILITY_EXAMPLE`` (id 42, region set).
"""

from __future__ import annotations

from typing import Any

EXPORT_CSV_EXAMPLE = (
    "id,external_id,name,type,source,services,operation_mode,operator,star_rating,status,"
    "capacity,opening_hours,phone,address,region_code,center_id,verified_on,lon,lat\n"
    "42,CQ-YB-0001,渝北区龙溪街道社区养老服务站,community_station,civil_affairs,"
    "meal;recreation;day_care,public_built_private_run,重庆某某养老服务有限公司,3,active,30,"
    '"{""mon"":[[""08:00"",""18:00""]],""tue"":[[""08:00"",""18:00""]]}",023-6700 0000,'
    "重庆市渝北区龙溪街道某某路 1 号,500112000000,,2026-10-01,106.533,29.601\n"
)
EXPORT_GEOJSON_EXAMPLE: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": 42,
            "geometry": {"type": "Point", "coordinates": [106.533, 29.601]},
            "properties": {
                "external_id": "CQ-YB-0001",
                "name": "渝北区龙溪街道社区养老服务站",
                "type": "community_station",
                "source": "civil_affairs",
                "services": ["meal", "recreation", "day_care"],
                "operation_mode": "public_built_private_run",
                "operator": "重庆某某养老服务有限公司",
                "star_rating": 3,
                "status": "active",
                "capacity": 30,
                "opening_hours": {"mon": [["08:00", "18:00"]], "tue": [["08:00", "18:00"]]},
                "phone": "023-6700 0000",
                "address": "重庆市渝北区龙溪街道某某路 1 号",
                "region_code": "500112000000",
                "center_id": None,
                "verified_on": "2026-10-01",
                "type_label": "社区养老服务站",
                "version": 1,
            },
        }
    ],
}

#: One page of ``GET /api/v1/facilities/nearby`` (the demo's station 42, 413 m from the user).
NEARBY_EXAMPLE: dict[str, Any] = {
    "items": [
        {
            **EXPORT_GEOJSON_EXAMPLE["features"][0]["properties"],
            "id": 42,
            "lon": 106.533,
            "lat": 29.601,
            "created_at": "2026-11-25T08:00:00Z",
            "updated_at": "2026-11-25T08:00:00Z",
            "distance_m": 413.2,
            "straight_line_minutes": 6.9,
            "open_now": True,
        }
    ],
    "total": 7,
    "next_cursor": "MHgxLjlkMGI1YTViYWFkZmZwKzh8MnwyfDFiMWQ2YTRhNDQyY3wtMHgxLjgwMDAwMDAwMDAwMDBwKzE",
}
