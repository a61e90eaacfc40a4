"""Nearby and search over facilities written by the registry (POST and CSV import), on both engines.

The two halves of the service meet here: the registry fills ``services_mask``,
``name_normalized`` and the spatial index; the query routes must find exactly
what was written. Oracle: the bodies sent, filtered and ranked in Python.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import httpx

from services.common.geo import haversine_m

SERVICES_ROTATION = [["meal"], ["meal", "bathing"], ["medical"], [], ["bathing", "respite"]]


def _bodies(n: int) -> list[dict[str, Any]]:
    rng = random.Random(21)
    out = []
    for i in range(n):
        out.append(
            {
                "external_id": f"R-{i:03d}",
                "source": "survey",
                "name": f"回兴街道第{i}社区养老服务站",
                "type": rng.choice(["community_station", "day_care", "meal_point"]),
                "services": SERVICES_ROTATION[i % len(SERVICES_ROTATION)],
                "star_rating": rng.choice([None, 1, 3, 5]),
                "opening_hours": {"wed": [["08:00", "12:00"]]}
                if i % 2
                else {"wed": [["13:00", "18:00"]]},
                # far apart (≥ ~120 m) so the registry's duplicate check never fires
                "lon": 106.50 + (i % 6) * 0.0125 + rng.uniform(-0.002, 0.002),
                "lat": 29.55 + (i // 6) * 0.0125 + rng.uniform(-0.002, 0.002),
            }
        )
    return out


def _oracle(bodies: list[dict[str, Any]], lon: float, lat: float, keep: Any) -> list[str]:
    kept = [b for b in bodies if keep(b)]
    d = haversine_m(lon, lat, [b["lon"] for b in kept], [b["lat"] for b in kept])
    return [
        b["external_id"] for _, b in sorted(zip(d.tolist(), kept, strict=True), key=lambda p: p[0])
    ]


async def test_posted_facilities_are_found_with_service_and_open_now_filters(
    client: httpx.AsyncClient,
) -> None:
    bodies = _bodies(24)
    for body in bodies:
        response = await client.post("/api/v1/facilities", json=body)
        assert response.status_code == 201, response.text
    lon, lat = 106.53, 29.57
    params = {
        "lon": lon,
        "lat": lat,
        "k": 50,
        "service": "meal",
        "open_now": "true",
        "at": "2026-11-25T09:00:00",
    }
    items = (await client.get("/api/v1/facilities/nearby", params=params)).json()["items"]

    def keep(
        b: dict[str, Any],
    ) -> bool:  # 2026-11-25 is a Wednesday; 09:00 is inside 08:00–12:00 only
        return "meal" in b["services"] and b["opening_hours"]["wed"][0][0] == "08:00"

    known = _oracle(bodies, lon, lat, keep)
    assert known  # the filter selects something, and not everything
    assert [i["external_id"] for i in items] == known
    both = (
        await client.get(
            "/api/v1/facilities/nearby",
            params={"lon": lon, "lat": lat, "k": 50, "service": "meal,bathing"},
        )
    ).json()
    assert [i["external_id"] for i in both["items"]] == _oracle(
        bodies, lon, lat, lambda b: {"meal", "bathing"} <= set(b["services"])
    )


async def test_imported_csv_is_searchable_and_nearby(client: httpx.AsyncClient) -> None:
    bodies = _bodies(18)
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=["external_id", "name", "type", "lon", "lat", "services", "star_rating"]
    )
    writer.writeheader()
    for b in bodies:
        writer.writerow(
            {
                "external_id": b["external_id"], "name": b["name"], "type": b["type"], "lon": b["lon"],
                "lat": b["lat"], "services": ";".join(b["services"]), "star_rating": b["star_rating"] or "",
            }
        )  # fmt: skip
    response = await client.post(
        "/api/v1/facilities/import",
        content=out.getvalue().encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    lon, lat = 106.52, 29.56
    params = {"lon": lon, "lat": lat, "k": 5, "service": "bathing", "min_stars": 3}
    items = (await client.get("/api/v1/facilities/nearby", params=params)).json()["items"]
    known = _oracle(
        bodies, lon, lat, lambda b: "bathing" in b["services"] and (b["star_rating"] or 0) >= 3
    )[:5]
    assert [i["external_id"] for i in items] == known
    found = (
        await client.get("/api/v1/facilities", params={"q": "回兴 街道第1", "limit": 100})
    ).json()["items"]
    assert sorted(i["external_id"] for i in found) == sorted(
        b["external_id"] for b in bodies if "回兴街道第1" in b["name"]
    )


async def test_a_type_change_moves_the_facility_between_type_searches(
    client: httpx.AsyncClient,
) -> None:
    """The index keeps up with writes (SQLite: the R*Tree's type lane follows an UPDATE)."""
    created = await client.post("/api/v1/facilities", json=_bodies(1)[0] | {"type": "day_care"})
    assert created.status_code == 201, created.text
    url = f"/api/v1/facilities/{created.json()['id']}"

    async def found(type_: str) -> bool:
        params = {"lon": 106.5, "lat": 29.55, "radius_m": 2000, "type": type_}
        items = (await client.get("/api/v1/facilities/nearby", params=params)).json()["items"]
        return [i["id"] for i in items] == [created.json()["id"]]

    assert await found("day_care") and not await found("meal_point")
    changed = await client.patch(url, json={"type": "meal_point"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert await found("meal_point") and not await found("day_care")
    assert (await client.delete(url, headers={"If-Match": '"2"'})).status_code == 204
    assert not await found("meal_point")
