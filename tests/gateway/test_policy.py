"""Every role against every write route, through the gateway to a recording upstream.

The expected table is written from the issue's role definitions, not from the
code: anonymous/public read only; operators report beds for their own
facilities; officials write facilities and beds inside their region subtree;
planners run coverage and set plan targets; admins do everything.
Allowed requests must reach the right upstream carrying a signed identity of the
caller's role; forbidden ones must be answered 401/403 naming why and reach nothing.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway import policy
from services.common.errors import Forbidden, Unauthorized
from services.common.identity import Identity
from tests.gateway.conftest import Stub

IN_REGION = "110105001000"  # a street of Chaoyang district (the official's subtree)
OUT_REGION = "110106000000"  # Fengtai district

# (name, upstream, method, path, json body)
WRITES: list[tuple[str, str, str, str, Any]] = [
    (
        "create facility in region",
        "facilities",
        "POST",
        "/api/v1/facilities",
        {"name": "a", "region_code": IN_REGION},
    ),
    (
        "create facility out of region",
        "facilities",
        "POST",
        "/api/v1/facilities",
        {"name": "b", "region_code": OUT_REGION},
    ),
    ("patch facility", "facilities", "PATCH", "/api/v1/facilities/7", {"capacity": 40}),
    (
        "replace facility",
        "facilities",
        "PUT",
        "/api/v1/facilities/7",
        {"name": "c", "region_code": IN_REGION},
    ),
    ("delete facility", "facilities", "DELETE", "/api/v1/facilities/7", None),
    (
        "import facilities",
        "facilities",
        "POST",
        "/api/v1/facilities/import",
        [{"name": "d", "region_code": IN_REGION}],
    ),
    (
        "import regions",
        "facilities",
        "POST",
        "/api/v1/regions/import",
        {"type": "FeatureCollection"},
    ),
    (
        "report own facility",
        "beds",
        "POST",
        "/api/v1/beds/reports",
        {"facility_id": 7, "period": "2026-10"},
    ),
    (
        "report other facility",
        "beds",
        "POST",
        "/api/v1/beds/reports",
        {"facility_id": 9, "period": "2026-10"},
    ),
    ("correct own report", "beds", "PUT", "/api/v1/beds/reports/8/2026-10", {"total_beds": 10}),
    ("correct other report", "beds", "PUT", "/api/v1/beds/reports/9/2026-10", {"total_beds": 10}),
    ("import reports", "beds", "POST", "/api/v1/beds/reports/import", None),
    ("add plan target", "beds", "POST", "/api/v1/beds/targets", {"indicator": "nursing_share"}),
    ("start coverage run", "coverage", "POST", "/api/v1/coverage/runs", {"region_code": IN_REGION}),
    ("load network", "coverage", "POST", "/api/v1/coverage/networks", {"path": "x.osm.pbf"}),
    ("load demand", "coverage", "POST", "/api/v1/coverage/demand", {"name": "d"}),
    ("isochrones", "coverage", "POST", "/api/v1/coverage/runs/1/isochrones", {}),
    ("siting", "coverage", "POST", "/api/v1/coverage/runs/1/siting", {"k": 3}),
    (
        "walk times",
        "coverage",
        "POST",
        "/api/v1/coverage/walk-times",
        {"lon": 116.4, "lat": 39.9, "stations": []},
    ),
    ("create API key", "gateway", "POST", "/api/v1/gateway/keys", {"role": "public"}),
]

ALLOWED: dict[str, set[str]] = {
    "anonymous": set(),
    "public": set(),
    "operator": {"report own facility", "correct own report", "import reports", "walk times"},
    "official": {
        "create facility in region",
        "patch facility",
        "replace facility",
        "delete facility",
        "import facilities",
        "report own facility",
        "report other facility",
        "correct own report",
        "correct other report",
        "import reports",
        "walk times",
    },
    "planner": {
        "add plan target",
        "start coverage run",
        "load network",
        "load demand",
        "isochrones",
        "siting",
        "walk times",
    },
    "admin": {name for name, *_ in WRITES},
}

CASES = [(role, *write) for role in ALLOWED for write in WRITES]


@pytest.mark.parametrize(
    ("role", "name", "upstream", "method", "path", "body"),
    CASES,
    ids=[f"{c[0]}-{c[1]}" for c in CASES],
)
async def test_role_against_write_route(
    client: httpx.AsyncClient,
    keys: dict[str, str],
    upstreams: dict[str, Stub],
    role: str,
    name: str,
    upstream: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    headers = {"X-API-Key": keys[role]} if role != "anonymous" else {}
    response = await client.request(method, path, json=body, headers=headers)
    received = [r for stub in upstreams.values() for r in stub.behaviour.received]
    if name in ALLOWED[role]:
        assert response.status_code in (200, 201), response.text
        if upstream != "gateway":
            assert len(received) == 1
            assert upstreams[upstream].behaviour.paths() == [path]
            identity = received[0]["identity"]
            assert (
                identity is not None and identity.role == role
            )  # verified by the stub with the shared secret
    else:
        assert response.status_code == (401 if role == "anonymous" else 403), response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
        assert received == []


def test_forbidden_names_the_region_and_the_callers_region() -> None:
    official = Identity("key:abc", "official", "110105000000")
    with pytest.raises(Forbidden, match=r"region 110106000000 lies outside .* region 110105000000"):
        policy.authorize(
            official, "POST", "/api/v1/facilities", policy.Scope(region_codes=(OUT_REGION,))
        )


def test_official_without_region_may_write_nowhere() -> None:
    with pytest.raises(Forbidden, match="has no region"):
        policy.authorize(Identity("user:x", "official"), "PATCH", "/api/v1/facilities/1")


def test_reads_need_a_key_only_outside_the_public_registry() -> None:
    policy.authorize(None, "GET", "/api/v1/facilities/nearby")
    policy.authorize(None, "GET", "/ogc/collections")
    policy.authorize(None, "GET", "/api/v1/nearby")
    with pytest.raises(Unauthorized):
        policy.authorize(None, "GET", "/api/v1/beds/indicators")
    with pytest.raises(Forbidden):
        policy.authorize(
            Identity("key:p", "public"), "GET", "/api/v1/coverage/regions/110105000000/latest"
        )
    policy.authorize(
        Identity("key:o", "operator", facility_ids=(1,)), "GET", "/api/v1/beds/indicators"
    )


@pytest.mark.parametrize(
    ("path", "query", "body", "known"),
    [
        ("/api/v1/regions/110105/dashboard", {}, None, ((("110105000000",)), ())),
        ("/api/v1/beds/facilities/12/current", {}, None, ((), (12,))),
        (
            "/api/v1/beds/reports",
            {},
            [{"facility_id": 3}, {"facility_id": 4, "region_code": "1101"}],
            (("110100000000",), (3, 4)),
        ),
        ("/api/v1/facilities", {"region": "110105"}, {"region_code": 12}, (("110105000000",), ())),
        ("/api/v1/beds/reports", {}, {"facility_id": True}, ((), ())),
    ],
)
def test_scope_of_reads_path_query_and_body(
    path: str, query: dict[str, str], body: Any, known: tuple[tuple[str, ...], tuple[int, ...]]
) -> None:
    observed = policy.scope_of(path, query, body)
    assert (observed.region_codes, observed.facility_ids) == known


PATHS = st.sampled_from(
    [
        "/api/v1/facilities",
        "/api/v1/facilities/7",
        "/api/v1/regions/110105/children",
        "/api/v1/beds/reports",
        "/api/v1/beds/targets",
        "/api/v1/coverage/runs",
        "/api/v1/gateway/keys",
        "/ogc/collections",
    ]
)
METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
CODES = st.text(alphabet="0123456789", min_size=6, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    method=METHODS,
    path=PATHS,
    codes=st.lists(CODES, max_size=3),
    role=st.sampled_from(list(ALLOWED)),
)
def test_policy_properties(method: str, path: str, codes: list[str], role: str) -> None:
    """Admins are never refused; nobody without a key writes; an allowed official write names
    only regions inside the official's subtree (checked with plain string prefixes)."""
    scope = policy.Scope(region_codes=tuple(c.ljust(12, "0") for c in codes))
    identity = None if role == "anonymous" else Identity("key:x", role, "110105000000", (7,))
    try:
        policy.authorize(identity, method, path, scope)
        allowed = True
    except (Forbidden, Unauthorized):
        allowed = False
    if role == "admin":
        assert allowed
    if method not in policy.READ_METHODS and role in ("anonymous", "public"):
        assert not allowed
    if allowed and role == "official" and method not in policy.READ_METHODS:
        assert all(code.startswith("110105") for code in scope.region_codes)
