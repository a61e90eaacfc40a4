"""The route table: every path the gateway or a service answers has a rule, and the most
specific entry governs each path."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from gateway import operations, routes, routing, web
from gateway.app import create_app
from gateway.routing import GATEWAY, resolve
from gateway.settings import GatewaySettings
from services.beds.app import create_app as create_beds_app
from services.beds.settings import BedsSettings
from services.coverage.app import create_app as create_coverage_app
from services.coverage.settings import CoverageSettings
from services.facilities.app import create_app as create_facilities_app
from services.facilities.settings import FacilitiesSettings

#: A service's own operational routes, which the gateway never exposes (it has its own).
NOT_EXPOSED = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc"}


@pytest.mark.parametrize(
    ("path", "template", "upstream"),
    [
        ("/api/v1/facilities", "/api/v1/facilities", "facilities"),
        ("/api/v1/facilities/7", "/api/v1/facilities", "facilities"),
        ("/api/v1/regions/110105/children", "/api/v1/regions", "facilities"),
        ("/api/v1/regions/110105/dashboard", "/api/v1/regions/{code}/dashboard", "gateway"),
        ("/api/v1/regions/110105/dashboard/", "/api/v1/regions/{code}/dashboard", "gateway"),
        ("/api/v1/regions/dashboard", "/api/v1/regions", "facilities"),
        ("/ogc", "/ogc", "facilities"),
        ("/ogc/collections/facilities/items", "/ogc", "facilities"),
        ("/api/v1/beds/targets/3", "/api/v1/beds/targets", "beds"),
        ("/api/v1/beds/targetsx", "/api/v1/beds", "beds"),
        ("/api/v1/coverage/walk-times", "/api/v1/coverage/walk-times", "coverage"),
        ("/api/v1/coverage/runs/1", "/api/v1/coverage", "coverage"),
        ("/api/v1/nearby", "/api/v1/nearby", "gateway"),
        ("/api/v1/gateway/keys/abc", "/api/v1/gateway", "gateway"),
        ("/", "/", "gateway"),
        ("/map", "/map", "gateway"),
        ("/map/vendor/leaflet.css", "/map", "gateway"),
        ("/api/v1/coverage/streets", "/api/v1/coverage/streets", "coverage"),
    ],
)
def test_the_most_specific_entry_governs(path: str, template: str, upstream: str) -> None:
    route = resolve(path)
    assert route is not None and (route.template, route.upstream) == (template, upstream)


@pytest.mark.parametrize("path", ["/mapx", "/api/v1", "/ogcx", "/api/v1/bedsx", "/api/v1/registry"])
def test_paths_outside_the_table_have_no_entry(path: str) -> None:
    assert resolve(path) is None


def test_every_entry_has_a_rule_for_reads_and_writes() -> None:
    for route in routing.ROUTES:
        assert route.read.roles and route.write.roles, route
        assert "admin" in route.read.roles | route.write.roles | {"admin"}
    templates = [route.template for route in routing.ROUTES]
    assert len(templates) == len(set(templates))


def test_every_route_of_the_gateway_app_is_the_gateways_in_the_table(
    settings: GatewaySettings,
) -> None:
    create_app(settings)  # checks it itself, see below
    paths = [
        r.path for router in (operations.router, routes.router, web.router) for r in router.routes
    ]
    assert "/api/v1/regions/{code}/dashboard" in paths and "/readyz" in paths
    for path in paths:
        route = resolve(routing.concrete_path(path))
        assert route is not None and route.upstream == GATEWAY, path


def test_a_new_gateway_route_under_a_proxied_prefix_stops_the_gateway_from_starting(
    settings: GatewaySettings,
) -> None:
    """Without an entry it would be forwarded to the facilities service (a silent 404)."""

    async def summary(code: str) -> dict[str, str]:
        return {"code": code}

    routes.router.add_api_route("/regions/{code}/summary", summary, methods=["GET"])
    try:
        with pytest.raises(RuntimeError, match=r"/api/v1/regions/\{code\}/summary"):
            create_app(settings)
    finally:
        routes.router.routes.pop()
    assert routing.undeclared_gateway_paths(["/api/v1/somewhere-new", "/api/v1/nearby"]) == [
        "/api/v1/somewhere-new"
    ]


def _service_apps(tmp_path: Path) -> dict[str, FastAPI]:
    def url(name: str) -> str:
        return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"

    return {
        "facilities": create_facilities_app(
            FacilitiesSettings(database_url=url("facilities"), log_level="WARNING")
        ),
        "beds": create_beds_app(BedsSettings(database_url=url("beds"), log_level="WARNING")),
        "coverage": create_coverage_app(
            CoverageSettings(database_url=url("coverage"), log_level="WARNING")
        ),
    }


async def test_every_service_route_has_an_entry_that_sends_it_to_that_service(
    tmp_path: Path,
) -> None:
    """A service route the table does not know would be unreachable or, worse, ruled by a
    neighbour's entry: adding one to a service means adding its rule here."""
    apps = _service_apps(tmp_path)
    try:
        for service, app in apps.items():
            for path in app.openapi()["paths"]:
                if path in NOT_EXPOSED or any(
                    path.startswith(prefix) and upstream == service
                    for prefix, upstream in routing.INTERNAL.items()
                ):
                    continue
                route = resolve(routing.concrete_path(path))
                assert route is not None, (
                    f"{service} route {path} has no rule in gateway/routing.py"
                )
                assert route.upstream == service, (service, path, route)
    finally:
        for app in apps.values():
            app.state.service.engine.dispose()
