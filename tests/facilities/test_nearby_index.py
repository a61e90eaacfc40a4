"""services/facilities/nearby_index.py and nearby_snapshots.py: the in-memory nearby search.

Oracle: the brute-force great-circle scan of queries_support (haversine_m over every row,
filtered in Python, sorted by (distance, id)). The index must agree id for id and bit
for bit in distance, with ties, filters, a radius and open-now; and the service must see
writes — its own at once, another process's within ``nearby_index_refresh_s`` (plus one rebuild).
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from services.common.db import make_engine
from services.common.opening_hours import is_open
from services.facilities import nearby_index
from services.facilities.app import create_app
from services.facilities.nearby_search import NearbyQuery
from services.facilities.normalize import normalize_name
from services.facilities.queries import FacilityFilter
from services.facilities.schemas import FACILITY_TYPES, SERVICES, STATUSES, services_mask
from services.facilities.settings import FacilitiesSettings
from tests.facilities.conftest import station
from tests.facilities.queries_support import (
    CENTER_LAT,
    CENTER_LON,
    brute_force_nearby,
    random_facilities,
    seed_facilities,
)

ROWS = random_facilities(300, seed=11, spread_deg=0.05)
SNAPSHOT = nearby_index.build_snapshot(1, ROWS)
URL = "/api/v1/facilities/nearby"


def _keep(filters: FacilityFilter, open_at: tuple[str, str] | None) -> Any:
    def keep(r: dict[str, Any]) -> bool:
        return (
            (not filters.types or r["type"] in filters.types)
            and (not filters.statuses or r["status"] in filters.statuses)
            and (r["services_mask"] & filters.services_mask) == filters.services_mask
            and (
                filters.min_stars is None
                or (r["star_rating"] is not None and r["star_rating"] >= filters.min_stars)
            )
            and (
                not filters.q
                or filters.q.lower() in r["name"].lower()
                or normalize_name(filters.q) in normalize_name(r["name"])
            )
            and (open_at is None or is_open(r["opening_hours"], *open_at) is True)
        )

    return keep


filters_st = st.builds(
    FacilityFilter,
    types=st.lists(st.sampled_from(tuple(FACILITY_TYPES)), max_size=3, unique=True).map(tuple),
    statuses=st.lists(st.sampled_from(STATUSES), max_size=2, unique=True).map(tuple),
    services_mask=st.lists(st.sampled_from(SERVICES), max_size=2).map(services_mask),
    min_stars=st.none() | st.integers(0, 5),
    q=st.none() | st.sampled_from(["龙溪", "日间", "站1", "回 兴"]),
)
# Query points: anywhere near the cloud, or exactly on a facility (distance ties at 0 and
# among the rows that share a point).
points_st = st.one_of(
    st.tuples(
        st.floats(CENTER_LON - 0.08, CENTER_LON + 0.08),
        st.floats(CENTER_LAT - 0.08, CENTER_LAT + 0.08),
    ),
    st.sampled_from([(r["lon"], r["lat"]) for r in ROWS[:60]]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    point=points_st,
    filters=filters_st,
    need=st.integers(1, 120),
    radius_m=st.none() | st.floats(1.0, 9000.0),
    open_at=st.none() | st.sampled_from([("wed", "09:30"), ("sun", "19:00"), ("mon", "06:00")]),
)
def test_search_equals_brute_force(
    point: tuple[float, float],
    filters: FacilityFilter,
    need: int,
    radius_m: float | None,
    open_at: tuple[str, str] | None,
) -> None:
    lon, lat = point
    query = NearbyQuery(
        lon=lon,
        lat=lat,
        want=need,
        radius_m=math.inf if radius_m is None else radius_m,
        filters=filters,
        open_at=open_at,
    )
    rows, distances = nearby_index.search(SNAPSHOT, query, need)
    known = brute_force_nearby(
        ROWS, lon, lat, keep=_keep(filters, open_at), radius_m=query.radius_m
    )[:need]
    assert SNAPSHOT.ids[rows].tolist() == [i for _, i in known]
    assert distances.tolist() == [d for d, _ in known]  # the same formula: bit for bit


def test_items_are_the_rows_as_facility_json() -> None:
    item = SNAPSHOT.item(0)
    assert item["id"] == ROWS[0]["id"] and "services_mask" not in item
    item["name"] = "changed"
    assert SNAPSHOT.item(0)["name"] == ROWS[0]["name"]  # each call is a fresh dict


def test_an_empty_registry_finds_nothing() -> None:
    empty = nearby_index.build_snapshot(0, [])
    rows, distances = nearby_index.search(empty, NearbyQuery(lon=0.0, lat=0.0, want=5), 5)
    assert rows.tolist() == [] and distances.tolist() == []


# --- freshness: the service sees writes ---------------------------------------------------


def _ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_own_writes_are_seen_at_once(facilities_db_url: str) -> None:
    """A long refresh interval: only the commit hook can make the new station visible."""
    app = create_app(
        FacilitiesSettings(
            database_url=facilities_db_url, log_json=False, nearby_index_refresh_s=3600
        )
    )
    params = {"lon": 106.55, "lat": 29.55, "k": 5}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert _ids(await client.get(URL, params=params)) == []
            created = await client.post("/api/v1/facilities", json=station())
            assert created.status_code == 201, created.text
            new_id = created.json()["id"]
            assert _ids(await client.get(URL, params=params)) == [new_id]
            # a status change moves it out of the default (active) set at once, too
            changed = await client.patch(
                f"/api/v1/facilities/{new_id}",
                json={"status": "closed"},
                headers={"If-Match": created.headers["ETag"]},
            )
            assert changed.status_code == 200, changed.text
            assert _ids(await client.get(URL, params=params)) == []
            assert _ids(await client.get(URL, params={**params, "status": "closed"})) == [new_id]


async def test_another_processs_writes_are_seen_after_the_refresh_interval(
    facilities_db_url: str,
) -> None:
    """A write this process did not make (rows and version bumped in SQL, as another worker
    would) is invisible until the version is checked again; refresh 0 checks every request."""
    rows = random_facilities(40, seed=5)
    for row in rows:
        row["status"] = "active"
    seed_facilities(facilities_db_url, rows[:20])
    app = create_app(
        FacilitiesSettings(database_url=facilities_db_url, log_json=False, nearby_index_refresh_s=0)
    )
    params = {"lon": CENTER_LON, "lat": CENTER_LAT, "k": 40}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert sorted(_ids(await client.get(URL, params=params))) == list(range(1, 21))
            seed_facilities(facilities_db_url, rows[20:])
            # rows alone do not change the snapshot: the registry version does
            assert sorted(_ids(await client.get(URL, params=params))) == list(range(1, 21))
            engine = make_engine(facilities_db_url)
            try:
                with engine.begin() as conn:
                    conn.execute(text("DELETE FROM registry_state"))
                    conn.execute(text("INSERT INTO registry_state (id, version) VALUES (1, 99)"))
            finally:
                engine.dispose()
            # the check and the rebuild run in the background: the old answer meanwhile
            known = [i for _, i in brute_force_nearby(rows, CENTER_LON, CENTER_LAT)]
            deadline = time.monotonic() + 30
            while (observed := _ids(await client.get(URL, params=params))) != known:
                assert sorted(observed) == list(range(1, 21)), observed  # never a mix
                assert time.monotonic() < deadline, "another process's write never seen"
                await asyncio.sleep(0.05)


@pytest.mark.parametrize("sort", ["distance", "rating"])
async def test_pages_of_both_orders_equal_the_oracle(facilities_db_url: str, sort: str) -> None:
    rows = random_facilities(200, seed=9)
    seed_facilities(facilities_db_url, rows)
    app = create_app(FacilitiesSettings(database_url=facilities_db_url, log_json=False))
    params: dict[str, Any] = {
        "lon": CENTER_LON,
        "lat": CENTER_LAT,
        "k": 45,
        "limit": 4,
        "sort": sort,
        "status": "active,planned",
    }
    got: list[dict[str, Any]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for _ in range(50):
                response = await client.get(URL, params=params)
                assert response.status_code == 200, response.text
                body = response.json()
                got += body["items"]
                if body["next_cursor"] is None:
                    break
                params["cursor"] = body["next_cursor"]
    keep = _keep(FacilityFilter(statuses=("active", "planned")), None)
    known = brute_force_nearby(rows, CENTER_LON, CENTER_LAT, keep=keep)[:45]
    assert body["total"] == len(known) == 45
    if sort == "rating":
        stars = {r["id"]: r["star_rating"] for r in rows}
        known.sort(key=lambda p: (-stars[p[1]] if stars[p[1]] is not None else math.inf, p))
    assert [item["id"] for item in got] == [i for _, i in known]
