"""The merged OpenAPI document, /docs, aggregated readiness, CORS and gzip."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway import openapi, routing
from gateway.app import create_app
from services.facilities.app import create_app as create_facilities_app
from services.facilities.settings import FacilitiesSettings
from tests.gateway.conftest import SECRET, Stub, close_app, make_settings, new_key
from tests.servers import free_port, running_app


@pytest.fixture
def facilities_url(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from services.common.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'facilities.sqlite3'}"
    upgrade("facilities", url)
    with running_app(
        create_facilities_app(
            FacilitiesSettings(database_url=url, identity_secret=SECRET, log_level="WARNING")
        )
    ) as base:
        yield base


async def get(app: Any, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://gw"
    ) as client:
        return await client.request(kwargs.pop("method", "GET"), path, **kwargs)


async def test_merged_openapi_has_public_routes_of_every_service(
    facilities_url: str, gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    app = create_app(make_settings(gateway_sqlite_url, upstreams, facilities_url=facilities_url))
    try:
        service_doc = httpx.get(facilities_url + "/openapi.json").json()
        document = (await get(app, "/openapi.json")).json()
        paths = set(document["paths"])
        public = {
            p
            for p in service_doc["paths"]
            if p.startswith(("/api/v1/facilities", "/api/v1/regions", "/ogc"))
        }
        assert public and public <= paths
        assert (
            "/api/v1/registry/version" in service_doc["paths"]
            and "/api/v1/registry/version" not in paths
        )
        assert {
            "/api/v1/nearby",
            "/api/v1/regions/{code}/dashboard",
            "/api/v1/gateway/keys",
            "/readyz",
        } <= paths
        assert not any(
            p.startswith("/api/{") for p in paths
        )  # the stubs' catch-alls are not public routes
        assert set(document["components"]["securitySchemes"]) == {"ApiKey", "Bearer"}
        for path in ("/api/v1/nearby", "/api/v1/regions/{code}/dashboard"):
            ok = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
            assert ok["example"]["items" if path.endswith("nearby") else "unavailable"] is not None
        refs = _refs(document)
        assert refs and all(
            r.removeprefix("#/components/schemas/") in document["components"]["schemas"]
            for r in refs
        )
        assert "x-unavailable-services" not in document["info"]
        _assert_gateway_answers_declared(document)
        docs = await get(app, "/docs")
        assert docs.status_code == 200 and "/openapi.json" in docs.text
    finally:
        await close_app(app)


def _assert_gateway_answers_declared(document: dict[str, Any]) -> None:
    """Every operation declares what the gateway itself may answer, as problem+json."""
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation["responses"]
            must = {"400", "401", "422", "429"}
            if path.startswith(("/api/v1/facilities", "/api/v1/beds", "/ogc", "/api/v1/nearby")):
                must |= {"502", "503", "504"}
            if method != "get":
                must |= {"403", "413"}
            if path.startswith(("/api/v1/beds", "/api/v1/coverage", "/api/v1/gateway")):
                must.add("403")
            assert must <= set(responses), (method, path, sorted(responses))
            for status in must:
                content = responses[status].get("content", {})
                assert "application/problem+json" in content or status not in (
                    "401",
                    "429",
                    "503",
                ), (method, path, status)
            assert "HTTPValidationError" not in str(responses.get("422"))
            checked += 1
    assert checked > 20


def test_gateway_answers_follow_the_route_table() -> None:
    beds_read = openapi.gateway_answers(routing.resolve("/api/v1/beds/indicators"), "get")
    assert beds_read == ["400", "401", "403", "422", "429", "502", "503", "504"]
    registry_read = openapi.gateway_answers(routing.resolve("/api/v1/facilities/1"), "get")
    assert "403" not in registry_read and "502" in registry_read
    registry_write = openapi.gateway_answers(routing.resolve("/api/v1/facilities"), "post")
    assert {"403", "413"} <= set(registry_write)
    assert openapi.gateway_answers(routing.resolve("/metrics"), "get") == [
        "400",
        "401",
        "422",
        "429",
    ]
    document = {
        "paths": {
            "/api/v1/beds/reports": {
                "post": {
                    "responses": {
                        "403": {"description": "the service's own words"},
                        "422": {
                            "description": "FastAPI's",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/HTTPValidationError"}
                                }
                            },
                        },
                    }
                }
            }
        }
    }
    openapi.declare_gateway_answers(document)
    responses = document["paths"]["/api/v1/beds/reports"]["post"]["responses"]
    assert responses["403"] == {"description": "the service's own words"}  # kept
    assert "application/problem+json" in responses["422"]["content"]  # replaced
    assert responses["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert openapi.PROBLEM_SCHEMA_NAME in document["components"]["schemas"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in _refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_merge_renames_conflicting_schemas_and_drops_internal_operations() -> None:
    base = {
        "openapi": "3.1.0",
        "info": {},
        "paths": {},
        "components": {"schemas": {"Page": {"type": "object", "title": "gw"}}},
    }
    beds = {
        "paths": {
            "/api/v1/beds/reports": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Page"}
                                }
                            }
                        }
                    }
                },
                "post": {"tags": ["internal"], "responses": {}},
            },
            "/api/v1/beds/rebuild": {"post": {"tags": ["internal"], "responses": {}}},
            "/healthz": {"get": {"responses": {}}},
        },
        "components": {"schemas": {"Page": {"type": "array"}, "Report": {"type": "object"}}},
    }
    merged = openapi.merge(base, {"beds": beds})
    assert set(merged["paths"]) == {"/api/v1/beds/reports"}
    assert set(merged["paths"]["/api/v1/beds/reports"]) == {"get"}
    ref = merged["paths"]["/api/v1/beds/reports"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    assert ref == "#/components/schemas/beds_Page"
    assert merged["components"]["schemas"]["Page"] == {"type": "object", "title": "gw"}
    assert merged["components"]["schemas"]["beds_Page"] == {"type": "array"}
    assert "Report" in merged["components"]["schemas"]
    assert base["components"]["schemas"] == {
        "Page": {"type": "object", "title": "gw"}
    }  # input unchanged


async def test_readiness_aggregates_the_upstreams(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    cases = [
        ({}, False, 200, "ready"),
        ({"coverage_url": down}, False, 200, "degraded"),
        ({"coverage_url": down}, True, 503, "not ready"),
        ({"facilities_url": down, "beds_url": down, "coverage_url": down}, False, 503, "not ready"),
    ]
    for overrides, strict, status, label in cases:
        app = create_app(make_settings(gateway_sqlite_url, upstreams, **overrides))
        try:
            path = f"/readyz?strict={str(strict).lower()}"
            public = await get(app, path)
            admin = {"X-API-Key": new_key(app, "admin")}
            planner = {"X-API-Key": new_key(app, "planner")}
            response = await get(app, path, headers=admin)
            for_planner = await get(app, path, headers=planner)
        finally:
            await close_app(app)
        # The public (and any non-admin) sees the status, never upstream URLs or revisions.
        for answer in (public, for_planner):
            assert answer.status_code == status
            assert answer.json() == {"status": label, "service": "gateway"}
        assert (response.status_code, response.json()["status"]) == (status, label)
        checks = response.json()["checks"]
        assert checks["database"]["ready"] is True
        assert checks["upstreams"]["beds"]["ready"] is ("beds_url" not in overrides)
        assert checks["upstreams"]["coverage"]["breaker"] == "closed"


async def test_cors_for_configured_origins_only(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    app = create_app(
        make_settings(gateway_sqlite_url, upstreams, cors_origins=["https://planner.example"])
    )
    try:
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-API-Key, Content-Type",
        }
        ok = await get(
            app,
            "/api/v1/facilities",
            method="OPTIONS",
            headers={"Origin": "https://planner.example", **preflight},
        )
        assert (
            ok.status_code == 200
            and ok.headers["access-control-allow-origin"] == "https://planner.example"
        )
        bad = await get(
            app,
            "/api/v1/facilities",
            method="OPTIONS",
            headers={"Origin": "https://evil.example", **preflight},
        )
        assert "access-control-allow-origin" not in bad.headers
        simple = await get(
            app, "/api/v1/facilities/1", headers={"Origin": "https://planner.example"}
        )
        assert simple.headers["access-control-allow-origin"] == "https://planner.example"
        exposed = simple.headers["access-control-expose-headers"]
        assert "ETag" in exposed and "Idempotent-Replayed" in exposed
    finally:
        await close_app(app)
