"""Builders for the query tests: an app with the query routers, seeded random facilities, the oracle.

Facilities are inserted straight into the table (test setup, not a code path under
test); on SQLite the R*Tree triggers and on PostGIS the ``geog`` column index them
exactly as the registry's writes do.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
import numpy as np
from fastapi import FastAPI
from shapely.geometry import Point
from sqlalchemy import insert

from services.common.app import create_service_app
from services.common.db import make_engine
from services.common.geo import haversine_m
from services.facilities import api_queries, ogc
from services.facilities.models import Facility, Region
from services.facilities.normalize import normalize_name
from services.facilities.schemas import FACILITY_TYPES, SERVICES, STATUSES, services_mask
from services.facilities.settings import FacilitiesSettings

TYPES = tuple(FACILITY_TYPES)
# A Chongqing-sized patch around Yubei district (WGS84).
CENTER_LON, CENTER_LAT = 106.55, 29.62


def query_app(database_url: str, *, nearby_index: bool = True) -> FastAPI:
    """The facilities service's query and OGC routers on the shared app factory.

    Built without the registry router so these tests depend only on what they test;
    ``nearby_index=False`` answers nearby from the database (ADR 0075's fallback).
    """
    settings = FacilitiesSettings(database_url=database_url, nearby_index=nearby_index)
    return create_service_app(
        settings,
        title="CareCircle facilities",
        description="queries",
        version="test",
        routers=[api_queries.router, ogc.router],
    )


def random_facilities(n: int, seed: int, spread_deg: float = 0.08) -> list[dict[str, Any]]:
    """``n`` facility rows around the center; every 7th shares a point with another (distance ties)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        if i % 7 == 6 and rows:
            lon, lat = rows[rng.randrange(len(rows))]["lon"], rows[rng.randrange(len(rows))]["lat"]
        else:
            lon = CENTER_LON + rng.uniform(-spread_deg, spread_deg)
            lat = CENTER_LAT + rng.uniform(-spread_deg, spread_deg)
        services = sorted(rng.sample(SERVICES, rng.randint(0, 4)), key=SERVICES.index)
        hours = None
        if rng.random() < 0.8:
            open_h = rng.choice(["07:00", "08:00", "09:00"])
            close_h = rng.choice(["17:00", "18:00", "20:30"])
            days = rng.sample(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], rng.randint(3, 7))
            hours = {day: [[open_h, close_h]] for day in days}
        rows.append(
            {
                "id": i + 1,
                "external_id": f"T-{seed}-{i:05d}",
                "source": "test" if i % 5 else "osm",
                "name": f"{rng.choice(['龙溪', '回兴', '双龙湖', '宝圣湖'])}街道{rng.choice(['社区养老服务站', '日间照料中心', '老年助餐点'])}{i}",
                "type": rng.choice(TYPES),
                "services": services,
                "services_mask": services_mask(services),
                "star_rating": rng.choice([None, 0, 1, 2, 3, 4, 5]),
                "status": rng.choice(STATUSES),
                "opening_hours": hours,
                "lon": lon,
                "lat": lat,
                "region_code": rng.choice(["500112001000", "500112002000", "500113000000", None]),
                "verified_on": date(2026, 1 + i % 12, 1 + i % 28) if i % 3 == 0 else None,
                "capacity": rng.choice([None, 20, 45]),
                "operation_mode": rng.choice(
                    [None, "public_run", "public_built_private_run", "private"]
                ),
                "phone": "023-6700 0000" if i % 2 else None,
                "address": f"重庆市渝北区某某路 {i} 号",
                "version": 1,
            }
        )
    return rows


def seed_facilities(database_url: str, rows: list[dict[str, Any]]) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(Facility.__table__),
                [
                    {
                        **r,
                        "geog": Point(r["lon"], r["lat"]),
                        "name_normalized": normalize_name(r["name"]),
                    }
                    for r in rows
                ],
            )
    finally:
        engine.dispose()


def seed_regions(database_url: str, regions: list[dict[str, Any]]) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(Region.__table__), regions)
    finally:
        engine.dispose()


def brute_force_nearby(
    rows: list[dict[str, Any]],
    lon: float,
    lat: float,
    *,
    keep: Any = None,
    radius_m: float = np.inf,
) -> list[tuple[float, int]]:
    """The oracle: every facility's great-circle distance, filtered and sorted by (distance, id)."""
    kept = [r for r in rows if keep is None or keep(r)]
    d = haversine_m(lon, lat, [r["lon"] for r in kept], [r["lat"] for r in kept])
    pairs = [(float(dist), r["id"]) for dist, r in zip(d, kept, strict=True) if dist <= radius_m]
    return sorted(pairs)


@asynccontextmanager
async def query_client(
    database_url: str, *, nearby_index: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of :func:`query_app` (lifespan run, so the engine is disposed after)."""
    app = query_app(database_url, nearby_index=nearby_index)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
