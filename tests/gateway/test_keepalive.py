"""No error answer drops the client's keep-alive connection: after each, the next request on the
same connection is answered (a served gateway, real sockets)."""

from __future__ import annotations

from gateway.app import create_app
from tests.gateway.conftest import Stub, make_settings, new_key
from tests.gateway.rawhttp import RawConnection
from tests.servers import running_app


def test_every_error_path_keeps_the_connection(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    settings = make_settings(
        gateway_sqlite_url,
        upstreams,
        rate_limit_key="2/minute",
        max_write_body_bytes=4096,
        inspect_body_bytes=1024,
        upstream_timeout_s=0.3,
        retries=0,
        breaker_fail_max=100,
    )
    app = create_app(settings)
    planner = new_key(app, "planner")
    official = new_key(app, "official", region_code="110105000000")
    facilities = upstreams["facilities"].behaviour
    facilities.answer("GET", "/api/v1/facilities/5", 500, {"detail": "boom"})
    facilities.answer("GET", "/api/v1/facilities/6", 422, {"detail": "bad", "errors": []})
    facilities.answer("GET", "/api/v1/facilities/7", 503, {"detail": "down"})
    facilities.answer("GET", "/api/v1/regions/110105000000", 200, b"not json")
    # Valid JSON the nearby view does not expect: an unexpected error in a FastAPI route.
    facilities.answer("GET", "/api/v1/facilities/nearby", 200, {"items": [{"id": 1}]})
    ok = ("GET", b"/api/v1/facilities/1", {}, b"")
    cases: list[tuple[int, tuple[str, bytes, dict[str, str], bytes]]] = [
        (400, ("GET", b"/api/v1/facilities/%252e%252e/metrics", {}, b"")),
        (401, ("GET", b"/api/v1/beds/indicators", {}, b"")),
        (401, ("GET", b"/api/v1/facilities/1", {"X-API-Key": "cc_000000000000_nope"}, b"")),
        (403, ("POST", b"/api/v1/beds/targets", {"X-API-Key": official}, b"{}")),
        (404, ("GET", b"/api/v1/nowhere", {}, b"")),
        (405, ("POST", b"/api/v1/nearby", {}, b"{}")),
        (413, ("POST", b"/api/v1/facilities", {"X-API-Key": official}, b"x" * 5000)),
        (
            422,
            (
                "POST",
                b"/api/v1/facilities",
                {"X-API-Key": official, "Content-Type": "application/json"},
                b"{nope",
            ),
        ),
        (422, ("GET", b"/api/v1/nearby?lon=500&lat=1", {}, b"")),
        (422, ("GET", b"/api/v1/facilities/6", {}, b"")),
        (500, ("GET", b"/api/v1/facilities/5", {}, b"")),
        (503, ("GET", b"/api/v1/facilities/7", {}, b"")),
        (200, ("GET", b"/api/v1/regions/110105/dashboard", {"X-API-Key": planner}, b"")),
        (500, ("GET", b"/api/v1/nearby?lon=116.4&lat=39.9", {}, b"")),
        (200, ("GET", b"/api/v1/beds/indicators", {"X-API-Key": planner}, b"")),
        (429, ("GET", b"/api/v1/beds/indicators", {"X-API-Key": planner}, b"")),
    ]
    with running_app(app) as base:
        port = int(base.rsplit(":", 1)[1])
        with RawConnection(port) as connection:
            for status, (method, target, headers, body) in cases:
                answer = connection.request(method, target, headers, body)
                assert answer.status == status, (target, answer.status, answer.body[:200])
                assert answer.headers.get("connection") != "close", target
                again = connection.request(*ok)
                assert again.status == 200, (target, again.status)
