"""The proxy: identity stripping and signing (against the real facilities service), request ids,
hop-by-hop headers, ETag/304 pass-through, streamed bodies, Location rewriting."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

from gateway.app import create_app
from gateway.paths import path_problem
from gateway.settings import GatewaySettings
from services.common.app import GZIP_MIN_BYTES
from services.common.identity import Binding, Identity, sign_identity
from services.facilities.app import create_app as create_facilities_app
from services.facilities.settings import FacilitiesSettings
from tests.gateway.conftest import SECRET, Stub, close_app, make_settings, new_key
from tests.gateway.rawhttp import RawConnection
from tests.servers import running_app


@pytest.fixture
def facilities_url(facilities_db_url: str) -> Iterator[str]:
    """The real facilities service (both backends) that insists on a gateway-signed identity."""
    settings = FacilitiesSettings(
        database_url=facilities_db_url,
        identity_secret=SECRET,
        require_identity=True,
        trust_forwarded_headers=True,  # behind the gateway, as deployed (compose, k8s, demo)
        log_level="WARNING",
    )
    with running_app(create_facilities_app(settings)) as url:
        yield url


FACILITY = {
    "name": "朝阳区双井街道社区养老服务站",
    "type": "community_station",
    "lon": 116.461,
    "lat": 39.894,
}


async def test_forged_identity_headers_never_reach_the_real_service(
    facilities_url: str, gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    app = create_app(make_settings(gateway_sqlite_url, upstreams, facilities_url=facilities_url))
    admin = new_key(app, "admin")
    official = new_key(app, "official", region_code="110105000000")
    post = Binding.of("POST", "/api/v1/facilities")
    forged_admin = sign_identity(Identity("user:mallory", "admin"), "not-the-secret", post)
    genuine_admin_signature = sign_identity(
        Identity("user:mallory", "admin"), SECRET, post
    )  # even a real one is stripped
    try:
        await _forged_headers_scenario(
            app, admin, official, forged_admin, genuine_admin_signature, facilities_url
        )
    finally:
        await close_app(app)


async def _forged_headers_scenario(
    app, admin, official, forged_admin, genuine_admin_signature, facilities_url
):  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://gw") as gw,
        httpx.AsyncClient(base_url=facilities_url) as direct,
    ):
        # Straight to the service: a forged signature is refused, a missing identity too.
        response = await direct.post(
            "/api/v1/facilities",
            json={**FACILITY, "region_code": "110106000000"},
            headers=forged_admin,
        )
        assert response.status_code == 401
        assert "identity" in response.json()["detail"]
        response = await direct.post(
            "/api/v1/facilities", json={**FACILITY, "region_code": "110106000000"}
        )
        assert response.status_code == 401

        # An admin, through the gateway, creates a facility in Fengtai (110106).
        response = await gw.post(
            "/api/v1/facilities",
            json={**FACILITY, "region_code": "110106000000"},
            headers={"X-API-Key": admin},
        )
        assert response.status_code == 201, response.text
        fengtai = response.json()
        assert response.headers["location"] == f"/api/v1/facilities/{fengtai['id']}"

        # A Chaoyang official pretending to be admin: the gateway strips the headers and signs the
        # official; the gateway cannot know facility's region, the service can and refuses (403).
        for extra in (forged_admin, genuine_admin_signature):
            response = await gw.patch(
                f"/api/v1/facilities/{fengtai['id']}",
                json={"capacity": 99},
                headers={
                    "X-API-Key": official,
                    "If-Match": response.headers.get("etag", '"1"'),
                    **extra,
                },
            )
            assert response.status_code == 403, response.text
            assert "110105" in response.json()["detail"]

        # Anonymous with a genuine-looking admin identity cannot write at all.
        response = await gw.post(
            "/api/v1/facilities", json=FACILITY, headers=genuine_admin_signature
        )
        assert response.status_code == 401

        # ETag and If-None-Match pass through: the registry read answers 304 end to end.
        response = await gw.get(f"/api/v1/facilities/{fengtai['id']}")
        assert response.status_code == 200 and response.json()["capacity"] is None
        etag = response.headers["etag"]
        response = await gw.get(
            f"/api/v1/facilities/{fengtai['id']}", headers={"If-None-Match": etag}
        )
        assert response.status_code == 304
        assert response.headers["etag"] == etag
        # The snapshot evaluates If-None-Match in the service itself; its 304 passes through.
        response = await gw.get("/api/v1/facilities/snapshot")
        assert response.status_code == 200 and len(response.json()["items"]) == 1
        response = await gw.get(
            "/api/v1/facilities/snapshot", headers={"If-None-Match": response.headers["etag"]}
        )
        assert response.status_code == 304


async def test_a_captured_identity_works_only_for_its_own_request(facilities_url: str) -> None:
    """Straight to the real service: headers signed for one request are refused with another
    body, path or method (they were accepted with any, for five minutes)."""
    admin = Identity("user:root", "admin")
    body = orjson.dumps({**FACILITY, "region_code": "110106000000"})
    captured = sign_identity(admin, SECRET, Binding.of("POST", "/api/v1/facilities", body))
    json_headers = {**captured, "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=facilities_url) as direct:
        replays = [
            ("POST", "/api/v1/facilities", body.replace(b"110106", b"110105")),
            ("POST", "/api/v1/facilities?dry_run=true", body),
            ("POST", "/api/v1/facilities/import", body),
            ("PUT", "/api/v1/facilities/1", body),
        ]
        for method, path, content in replays:
            response = await direct.request(method, path, content=content, headers=json_headers)
            assert response.status_code == 401, (method, path, response.text)
            assert "does not verify" in response.json()["detail"]
        response = await direct.post("/api/v1/facilities", content=body, headers=json_headers)
        assert response.status_code == 201, response.text


async def test_request_id_is_kept_or_made_and_forwarded(
    client: httpx.AsyncClient, upstreams: dict[str, Stub]
) -> None:
    response = await client.get("/api/v1/facilities/1", headers={"X-Request-ID": "trace-abc.123"})
    assert response.headers["x-request-id"] == "trace-abc.123"
    assert (
        upstreams["facilities"].behaviour.received[-1]["headers"]["x-request-id"] == "trace-abc.123"
    )
    response = await client.get(
        "/api/v1/facilities/1", headers={"X-Request-ID": "bad id\twith spaces"}
    )
    made = response.headers["x-request-id"]
    assert made != "bad id\twith spaces" and len(made) == 32
    assert upstreams["facilities"].behaviour.received[-1]["headers"]["x-request-id"] == made
    assert response.headers.get_list("x-request-id") == [
        made
    ]  # not duplicated by the upstream's own


async def test_hop_by_hop_credentials_and_identity_headers_are_not_forwarded(
    client: httpx.AsyncClient, keys: dict[str, str], upstreams: dict[str, Stub]
) -> None:
    upstreams["beds"].behaviour.answer(
        "GET",
        "/api/v1/beds/indicators",
        200,
        {"ok": True},
        {
            "X-Upstream-Secret": "drop-me",
            "Connection": "X-Upstream-Secret",
            "Cache-Control": "max-age=5",
        },
    )
    response = await client.get(
        "/api/v1/beds/indicators?region=110105",
        headers={
            "X-API-Key": keys["planner"],
            "Connection": "X-Custom-Hop",
            "X-Custom-Hop": "1",
            "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic eDp5",
            "X-CareCircle-Identity": "Zm9yZ2Vk",
            "X-CareCircle-Anything": "x",
            "X-Kept": "yes",
            "X-Forwarded-Host": "evil.example",
        },
    )
    assert response.status_code == 200
    sent = upstreams["beds"].behaviour.received[-1]
    headers = sent["headers"]
    for dropped in (
        "x-custom-hop",
        "keep-alive",
        "proxy-authorization",
        "x-api-key",
        "authorization",
        "x-carecircle-anything",
    ):
        assert dropped not in headers
    assert headers["x-kept"] == "yes"
    assert headers["x-forwarded-for"] == "203.0.113.7"
    # The services learn the public address (for links), never one a client made up.
    assert headers["x-forwarded-host"] == "gateway"
    assert headers["x-forwarded-proto"] == "http"
    assert sent["query"] == "region=110105"
    assert sent["identity"].role == "planner"
    assert "x-upstream-secret" not in response.headers  # named in the upstream's Connection header
    assert response.headers["cache-control"] == "max-age=5"


async def test_large_bodies_stream_through_unchanged(
    client: httpx.AsyncClient, upstreams: dict[str, Stub]
) -> None:
    big = b"[" + b",".join(b'{"id":%d,"name":"station %d"}' % (i, i) for i in range(40_000)) + b"]"
    assert len(big) > 256 * 1024
    upstreams["facilities"].behaviour.answer("GET", "/api/v1/facilities/export", 200, big)
    response = await client.get(
        "/api/v1/facilities/export", headers={"Accept-Encoding": "identity"}
    )
    assert response.status_code == 200
    assert response.content == big
    head = await client.head("/api/v1/facilities/export", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(big)
    response = await client.get("/api/v1/facilities/export", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == big  # httpx decompressed it


async def test_repeated_answer_headers_stay_repeated(
    client: httpx.AsyncClient, upstreams: dict[str, Stub]
) -> None:
    links = [("link", '<a>; rel="next"'), ("link", '<b>; rel="prev"')]
    upstreams["facilities"].behaviour.answer("GET", "/api/v1/facilities/linked", 200, {"ok": 1})
    upstreams["facilities"].behaviour.repeated_headers.extend(links)
    response = await client.get("/api/v1/facilities/linked")
    assert response.status_code == 200
    assert response.headers.get_list("link") == [value for _, value in links]


@pytest.mark.parametrize("size", [GZIP_MIN_BYTES - 200, GZIP_MIN_BYTES + 10, 100_000])
async def test_whole_answers_are_gzipped_from_the_threshold_up(
    client: httpx.AsyncClient, upstreams: dict[str, Stub], size: int
) -> None:
    body = b'"' + b"x" * (size - 2) + b'"'
    upstreams["facilities"].behaviour.answer("GET", "/api/v1/facilities/page", 200, body)
    response = await client.get("/api/v1/facilities/page", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.content == body
    compressed = response.headers.get("content-encoding") == "gzip"
    assert compressed is (size >= GZIP_MIN_BYTES)
    assert "accept-encoding" in response.headers.get("vary", "").lower() or not compressed


async def test_write_bodies_inspected_streamed_or_refused(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    app = create_app(
        make_settings(
            gateway_sqlite_url, upstreams, inspect_body_bytes=2048, max_write_body_bytes=65_536
        )
    )
    admin = {"X-API-Key": new_key(app, "admin")}
    official = {"X-API-Key": new_key(app, "official", region_code="110105000000")}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw"
        ) as client:
            # A bulk import larger than the inspection window streams through unchanged.
            csv = b"name,type,lon,lat\n" + b"".join(
                b"station %d,day_care,116.4,39.9\n" % i for i in range(1500)
            )
            assert 2048 < len(csv) < 65_536
            response = await client.post(
                "/api/v1/facilities/import",
                content=csv,
                headers={**admin, "Content-Type": "text/csv"},
            )
            assert response.status_code == 200
            assert upstreams["facilities"].behaviour.received[-1]["body"] == csv
            # Above the cap: 413, nothing sent.
            upstreams["facilities"].behaviour.received.clear()
            response = await client.post(
                "/api/v1/facilities/import",
                content=b"x" * 65_537,
                headers={**admin, "Content-Type": "text/csv"},
            )
            assert response.status_code == 413 and response.json()["limit_bytes"] == 65_536
            assert upstreams["facilities"].behaviour.received == []
            # A small JSON body is parsed: malformed is 422 naming the body, out of region is 403.
            response = await client.post(
                "/api/v1/facilities",
                content=b"{not json",
                headers={**admin, "Content-Type": "application/json"},
            )
            assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body"
            response = await client.post(
                "/api/v1/facilities", json={"region_code": "110106000000"}, headers=official
            )
            assert response.status_code == 403
    finally:
        await close_app(app)


async def test_unknown_paths_are_not_proxied(
    client: httpx.AsyncClient, upstreams: dict[str, Stub]
) -> None:
    response = await client.get("/api/v1/registry/version")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert all(stub.behaviour.received == [] for stub in upstreams.values())


#: (method, raw request target): each would reach another route than the one authorized.
REFUSED_PATHS: list[tuple[str, bytes]] = [
    ("POST", b"/api/v1/facilities/../registry/version"),
    ("POST", b"/api/v1/facilities/%2e%2e/registry/version"),
    ("POST", b"/api/v1/facilities//7"),
    ("POST", b"/api/v1/beds/./targets"),
    # Double-encoded dots: one decoding leaves %2e%2e, which the HTTP client's URL parser
    # resolved as '..' (the service's /metrics, /openapi.json and /readyz were reachable).
    ("GET", b"/api/v1/facilities/%252e%252e/%252e%252e/%252e%252e/metrics"),
    ("GET", b"/api/v1/facilities/%252e%252e/%252e%252e/%252e%252e/openapi.json"),
    ("GET", b"/api/v1/facilities/%252E%252E/%252E%252E/%252E%252E/readyz"),
    ("GET", b"/ogc/%252e%252e/%252e%252e/metrics"),
    # An operator may post bed reports, not plan targets.
    ("POST", b"/api/v1/beds/reports/%252e%252e/targets"),
    ("POST", b"/api/v1/beds/reports/%2e%2e/targets"),
    # Encoded and raw separators, which URL parsers treat as '/'.
    ("POST", b"/api/v1/beds/reports%2F..%2Ftargets"),
    ("POST", b"/api/v1/beds%2ftargets"),
    ("POST", b"/api/v1/beds/reports/%5c..%5ctargets"),
    ("POST", b"/api/v1/beds/reports\\..\\targets"),
    ("GET", b"/api/v1/facilities/\\..\\..\\..\\metrics"),
]


def test_paths_that_decode_to_other_routes_are_refused_before_routing(
    settings: GatewaySettings, keys: dict[str, str], upstreams: dict[str, Stub]
) -> None:
    """Sent raw over a socket (client libraries resolve or re-encode these) to a served gateway."""
    with running_app(create_app(settings)) as base:
        port = int(base.rsplit(":", 1)[1])
        for method, target in REFUSED_PATHS:
            key = keys["operator"] if b"beds" in target else keys["official"]
            with RawConnection(port) as connection:
                answer = connection.request(
                    method,
                    target,
                    {"X-API-Key": key, "Content-Type": "application/json"},
                    b'{"facility_id": 7}' if method == "POST" else b"",
                )
            assert answer.status == 400, (target, answer.body[:300])
            assert answer.headers["content-type"] == "application/problem+json"
            problem = orjson.loads(answer.body)
            assert problem["field"] == "path" and "path" in problem["detail"], problem
    assert all(stub.behaviour.received == [] for stub in upstreams.values())


def test_the_path_forwarded_is_the_path_authorized(
    settings: GatewaySettings, keys: dict[str, str], upstreams: dict[str, Stub]
) -> None:
    """Harmless encodings are decoded once and forwarded as the decoded path; a query reaches
    the service with the values the gateway saw, and the signed identity verifies there."""
    with running_app(create_app(settings)) as base:
        port = int(base.rsplit(":", 1)[1])
        with RawConnection(port) as connection:
            answer = connection.request(
                "GET",
                b"/api/v1/beds/facilities/%37/current?q=a'b\"c<d>&name=%E4%B8%B0%E5%8F%B0",
                {"X-API-Key": keys["operator"]},
            )
    assert answer.status == 200, answer.body
    (received,) = upstreams["beds"].behaviour.received
    assert received["path"] == "/api/v1/beds/facilities/7/current"
    assert received["identity"] is not None and received["identity"].role == "operator"
    assert httpx.QueryParams(received["query"]) == httpx.QueryParams(
        {"q": "a'b\"c<d>", "name": "丰台"}
    )


@pytest.mark.parametrize(
    ("path", "clean"),
    [
        ("/", True),
        ("/api/v1/facilities/7", True),
        ("/api/v1/facilities/7/", True),
        ("/ogc/collections/facilities/items/a.b~c", True),
        ("/api/v1/facilities/...", True),
        ("/api/v1/facilities/7/..", False),
        ("/api/v1/facilities/./7", False),
        ("/api/v1/facilities//7", False),
        ("/api/v1/facilities/.\t./7", False),  # URL parsers drop tabs: '..'
        ("/api/v1/facilities/.\n.", False),
        ("/api/v1/facilities/a b", False),
        ("/api/v1/facilities/丰台", False),
        ("/api/v1/facilities/%2e", False),
    ],
)
def test_path_problem_names_what_may_not_be_forwarded(path: str, clean: bool) -> None:
    assert (path_problem(path.encode(), path) is None) == clean


async def test_ogc_links_through_the_gateway_point_at_the_gateway(
    facilities_url: str, gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    """GIS clients follow `next` links: behind the gateway they must lead back to the gateway."""
    app = create_app(make_settings(gateway_sqlite_url, upstreams, facilities_url=facilities_url))
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw.example") as gw:
            landing = await gw.get("/ogc", headers={"Accept": "application/json"})
            assert landing.status_code == 200, landing.text
            hrefs = [link["href"] for link in landing.json()["links"]]
            assert hrefs and all(href.startswith("http://gw.example/") for href in hrefs), hrefs
            assert "http://gw.example/ogc/collections" in hrefs
            assert not any(facilities_url in href for href in hrefs)
    finally:
        await close_app(app)
