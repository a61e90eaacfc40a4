"""Registry writes over HTTP on both engines: validation, ETag/If-Match, idempotency, duplicates, regions, audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.common.geo import haversine_m
from services.facilities import crs as crs_mod
from tests.facilities.conftest import station

pytestmark = pytest.mark.asyncio


async def create(client: httpx.AsyncClient, body: dict[str, Any], **params: Any) -> httpx.Response:
    return await client.post("/api/v1/facilities", json=body, params=params)


async def version(client: httpx.AsyncClient) -> int:
    return (await client.get("/api/v1/registry/version")).json()["registry_version"]


async def test_create_then_get_returns_what_was_sent_with_etag(client: httpx.AsyncClient) -> None:
    body = station(
        opening_hours={"tue": [["08:00", "12:00"]], "mon": [["08:00", "18:00"]]},
        star_rating=3,
        operation_mode="private",
        capacity=20,
        verified_on="2026-10-01",
    )
    created = await create(client, body)
    assert created.status_code == 201, created.text
    got = await client.get(created.headers["Location"])
    assert got.status_code == 200
    assert got.headers["ETag"] == '"1"'
    observed = got.json()
    for key, known in body.items():
        assert observed[key] == known, key
    assert observed["type_label"] == "社区养老服务站"
    assert observed["version"] == 1
    assert observed["created_at"].endswith("Z")
    cached = await client.get(created.headers["Location"], headers={"If-None-Match": '"1"'})
    assert cached.status_code == 304 and cached.headers["ETag"] == '"1"'


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "hospital"}, "body.type"),
        ({"lat": 91}, "body.lat"),
        ({"star_rating": 6}, "body.star_rating"),
        ({"services": ["karaoke"]}, "body.services.0"),
        ({"opening_hours": {"mon": [["08:00", "08:00"]]}}, "body.opening_hours"),
        ({"region_code": "5001"}, "body.region_code"),
        ({"unknown_field": 1}, "body.unknown_field"),
    ],
)
async def test_invalid_field_is_problem_json_naming_it(
    client: httpx.AsyncClient, overrides: dict[str, Any], field: str
) -> None:
    response = await create(client, station(**overrides))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await version(client) == 0


async def test_center_must_exist(client: httpx.AsyncClient) -> None:
    response = await create(client, station(center_id=999))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "center_id"


async def test_patch_needs_current_if_match(client: httpx.AsyncClient) -> None:
    url = (await create(client, station())).headers["Location"]
    missing = await client.patch(url, json={"capacity": 5})
    assert missing.status_code == 428
    ok = await client.patch(url, json={"capacity": 5}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["ETag"] == '"2"' and ok.json()["capacity"] == 5
    stale = await client.patch(url, json={"capacity": 7}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert (await client.get(url)).json()["capacity"] == 5


async def test_put_replaces_and_delete_needs_version(client: httpx.AsyncClient) -> None:
    url = (await create(client, station(capacity=9, phone="123"))).headers["Location"]
    replaced = await client.put(url, json=station(name="新名字站"), headers={"If-Match": '"1"'})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["capacity"] is None and replaced.json()["name"] == "新名字站"
    assert (await client.delete(url, headers={"If-Match": '"1"'})).status_code == 412
    assert (await client.delete(url, headers={"If-Match": '"2"'})).status_code == 204
    assert (await client.get(url)).status_code == 404
    history = (await client.get(url + "/history")).json()["items"]
    assert [h["action"] for h in history] == ["create", "update", "delete"]


async def test_center_with_stations_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    center = (
        await create(client, station(external_id="C", name="综合中心", type="care_center"))
    ).json()
    await create(client, station(center_id=center["id"]))
    response = await client.delete(
        f"/api/v1/facilities/{center['id']}", headers={"If-Match": '"1"'}
    )
    assert response.status_code == 409


async def test_idempotency_key_replays_and_refuses_a_different_body(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "abc-1"}
    first = await client.post("/api/v1/facilities", json=station(), headers=headers)
    again = await client.post("/api/v1/facilities", json=station(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await client.post("/api/v1/facilities", json=station(name="别的站"), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"
    snapshot = (await client.get("/api/v1/facilities/snapshot")).json()
    assert len(snapshot["items"]) == 1


async def test_same_name_within_50_m_is_a_likely_duplicate(client: httpx.AsyncClient) -> None:
    first = (await create(client, station())).json()
    # 0.0003° of latitude is about 33 m; full-width brackets and spaces normalize away.
    near = station(external_id="S-2", name=" 龙溪社区 养老服务站 ", lat=29.5503)
    conflict = await create(client, near)
    assert conflict.status_code == 409
    assert conflict.json()["existing_id"] == first["id"]
    assert 20 < conflict.json()["distance_m"] < 50
    far = station(external_id="S-3", lat=29.5506)  # about 67 m
    assert (await create(client, far)).status_code == 201
    assert (await create(client, near, force="true")).status_code == 201


async def test_region_is_derived_from_the_point(
    client: httpx.AsyncClient, small_regions: dict[str, Any]
) -> None:
    in_street = (await create(client, station())).json()
    assert in_street["region_code"] == "500112001000"
    in_district = (await create(client, station(external_id="S-2", name="乙站", lon=106.65))).json()
    assert in_district["region_code"] == "500112000000"
    # A wrong district of the right city is corrected by the point.
    declared = (
        await create(
            client, station(external_id="S-3", name="丙站", lon=106.8, region_code="500112000000")
        )
    ).json()
    assert declared["region_code"] == "500105000000"


async def test_point_outside_its_declared_city_is_refused_unless_allowed(
    client: httpx.AsyncClient, small_regions: dict[str, Any]
) -> None:
    body = station(lon=107.5, region_code="500112000000")
    refused = await create(client, body)
    assert refused.status_code == 422
    assert {"lon", "region_code"} <= {e["field"] for e in refused.json()["errors"]}
    allowed = await create(client, body, allow_outside_region="true")
    assert allowed.status_code == 201 and allowed.json()["region_code"] == "500112000000"


async def test_every_write_bumps_the_registry_version_and_the_snapshot_etag(
    client: httpx.AsyncClient,
) -> None:
    assert await version(client) == 0
    url = (await create(client, station())).headers["Location"]
    assert await version(client) == 1
    await client.patch(url, json={"status": "suspended"}, headers={"If-Match": '"1"'})
    assert await version(client) == 2
    snap = await client.get("/api/v1/facilities/snapshot", params={"status": "suspended"})
    assert snap.headers["ETag"] == '"2"' and len(snap.json()["items"]) == 1
    cached = await client.get("/api/v1/facilities/snapshot", headers={"If-None-Match": '"2"'})
    assert cached.status_code == 304
    await client.patch(
        url, json={"status": "suspended"}, headers={"If-Match": '"2"'}
    )  # no change, no bump
    assert await version(client) == 2
    assert (
        await client.get("/api/v1/facilities/snapshot", params={"type": "bogus"})
    ).status_code == 422


async def test_history_records_actor_before_and_after(client: httpx.AsyncClient) -> None:
    url = (await create(client, station(capacity=1))).headers["Location"]
    await client.patch(url, json={"capacity": 2}, headers={"If-Match": '"1"'})
    items = (await client.get(url + "/history")).json()["items"]
    assert [i["action"] for i in items] == ["create", "update"]
    assert items[0]["before"] is None and items[0]["after"]["capacity"] == 1
    assert items[1]["before"]["capacity"] == 1 and items[1]["after"]["capacity"] == 2
    assert {i["actor"] for i in items} == {"anonymous"}
    assert (await client.get("/api/v1/facilities/999/history")).status_code == 404


async def test_gcj02_input_is_stored_as_wgs84(client: httpx.AsyncClient) -> None:
    wgs = (106.55, 29.55)
    gcj = crs_mod.point_from_wgs84(*wgs, "gcj02")
    created = (await create(client, station(lon=gcj[0], lat=gcj[1]), crs="gcj02")).json()
    assert created["lon"] == pytest.approx(gcj[0], abs=1e-7)
    stored = (await client.get(f"/api/v1/facilities/{created['id']}")).json()
    assert float(haversine_m(stored["lon"], stored["lat"], *wgs)) < 1.0
    as_bd = (await client.get(f"/api/v1/facilities/{created['id']}", params={"crs": "bd09"})).json()
    assert (as_bd["lon"], as_bd["lat"]) == pytest.approx(
        crs_mod.point_from_wgs84(*wgs, "bd09"), abs=1e-5
    )


async def test_nearby_is_not_taken_for_an_id(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/facilities/abc")).status_code in (404, 405, 422)
    assert (await client.get("/api/v1/facilities/0")).status_code == 422


async def test_if_match_star_is_a_deliberate_blind_write(client: httpx.AsyncClient) -> None:
    url = (await create(client, station())).headers["Location"]
    response = await client.patch(url, json={"status": "closed"}, headers={"If-Match": "*"})
    assert response.status_code == 200 and response.json()["status"] == "closed"


async def test_patch_validation_names_the_field(client: httpx.AsyncClient) -> None:
    url = (await create(client, station())).headers["Location"]
    response = await client.patch(url, json={"name": None}, headers={"If-Match": '"1"'})
    assert response.status_code == 422
    response = await client.patch(url, json={"lon": 106.6}, headers={"If-Match": '"1"'})
    assert response.status_code == 422 and "lon and lat" in response.json()["detail"]


async def test_every_registry_route_is_documented_with_examples(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    mine = {
        ("/api/v1/facilities/{facility_id}", "get"),
        ("/api/v1/facilities", "post"),
        ("/api/v1/facilities/{facility_id}", "patch"),
        ("/api/v1/facilities/snapshot", "get"),
        ("/api/v1/registry/version", "get"),
        ("/api/v1/regions/{code}", "get"),
        ("/api/v1/regions", "get"),
        ("/api/v1/regions/lookup", "get"),
        ("/api/v1/facilities/{facility_id}/history", "get"),
        ("/api/v1/facilities/import", "post"),
        ("/api/v1/regions/import", "post"),
    }
    for path, method in mine:
        operation = spec["paths"][path][method]
        assert operation.get("summary") or operation.get("description"), (path, method)
        ok = operation["responses"].get("200") or operation["responses"].get("201")
        ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert schemas[ref].get("examples"), (path, method, ref)


async def test_idempotency_keys_expire(client: httpx.AsyncClient, app: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from services.facilities import repository as repo

    first = await client.post(
        "/api/v1/facilities", json=station(), headers={"Idempotency-Key": "old"}
    )
    with app.state.service.write_sessions() as session:
        session.execute(
            update(repo.IDEMPOTENCY).values(
                created_at=repo.now_utc() - timedelta(seconds=repo.IDEMPOTENCY_TTL_S + 60)
            )
        )
        session.commit()
    # Expired: the key is new again, so the same body is now a second facility (a likely duplicate).
    again = await client.post(
        "/api/v1/facilities", json=station(), headers={"Idempotency-Key": "old"}
    )
    assert again.status_code == 409 and again.json()["existing_id"] == first.json()["id"]
