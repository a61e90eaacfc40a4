"""Client addresses behind proxies: only the hops the gateway trusts are believed, and neither
uvicorn nor a client on loopback can change that."""

from __future__ import annotations

from pathlib import Path

import httpx
import pydantic
import pytest

from gateway.forwarded import ForwardedFor, parse_networks
from gateway.settings import GatewaySettings
from tests.gateway.conftest import SECRET, UPSTREAMS, Stub
from tests.servers import running_process

TRUSTED = parse_networks(["10.0.0.0/8", "192.0.2.1"])


@pytest.mark.parametrize(
    ("rule", "peer", "header", "known"),
    [
        (ForwardedFor(1), "10.0.0.5", None, "10.0.0.5"),
        (ForwardedFor(1), "10.0.0.5", "203.0.113.9", "203.0.113.9"),
        # The client wrote the left part; the proxy appended the address it saw.
        (ForwardedFor(1), "10.0.0.5", "1.1.1.1, 203.0.113.9", "203.0.113.9"),
        (ForwardedFor(2), "10.0.0.5", "1.1.1.1, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (ForwardedFor(2), "10.0.0.5", "203.0.113.9", "10.0.0.5"),  # fewer hops than proxies
        (ForwardedFor(1, TRUSTED), "10.0.0.5", "1.1.1.1, 203.0.113.9, 10.1.2.3", "203.0.113.9"),
        (ForwardedFor(1, TRUSTED), "192.0.2.1", "1.1.1.1, 203.0.113.9", "203.0.113.9"),
        (ForwardedFor(1, TRUSTED), "198.51.100.4", "1.1.1.1", "198.51.100.4"),  # untrusted peer
        (ForwardedFor(1, TRUSTED), "10.0.0.5", "10.9.9.9, 10.0.0.6", "10.9.9.9"),  # all ours
        (ForwardedFor(1, TRUSTED), "10.0.0.5", "::1, 2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_is_read_from_the_right(
    rule: ForwardedFor, peer: str, header: str | None, known: str
) -> None:
    assert rule.client(peer, header) == known


def test_trusted_proxy_settings_are_checked_at_start() -> None:
    with pytest.raises(pydantic.ValidationError, match="not an IP address"):
        GatewaySettings(trust_forwarded_for=True, trusted_proxies="10.0.0.0/8,nonsense")
    with pytest.raises(pydantic.ValidationError, match="GATEWAY_TRUST_FORWARDED_FOR"):
        GatewaySettings(trusted_proxies="10.0.0.0/8")
    settings = GatewaySettings(trust_forwarded_for=True, trusted_proxies="10.0.0.0/8, ::1")
    assert settings.forwarded_for() == ForwardedFor(1, parse_networks(["10.0.0.0/8", "::1"]))
    assert GatewaySettings().forwarded_for() is None


def _serve_env(stubs: dict[str, Stub], tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
        "CARECIRCLE_IDENTITY_SECRET": SECRET,
        "CARECIRCLE_LOG_LEVEL": "WARNING",
        "GATEWAY_RATE_LIMIT_ANONYMOUS": "3/minute",
        "REDIS_URL": "",
        **{f"{name.upper()}_URL": stubs[name].url for name in UPSTREAMS},
        **extra,
    }
    return env


def test_a_client_on_loopback_cannot_pick_its_address_with_x_forwarded_for(
    upstreams: dict[str, Stub], tmp_path: Path
) -> None:
    """`carecircle serve gateway` with the defaults: uvicorn trusted forwarded headers from
    loopback, so each request with a new X-Forwarded-For had a fresh anonymous budget."""
    with running_process("gateway", _serve_env(upstreams, tmp_path)) as (url, _):
        codes = [
            httpx.get(
                url + "/api/v1/facilities/1", headers={"X-Forwarded-For": f"203.0.113.{i}"}
            ).status_code
            for i in range(5)
        ]
    assert codes == [200, 200, 200, 429, 429]
    forwarded = [
        r["headers"]["x-forwarded-for"] for r in upstreams["facilities"].behaviour.received
    ]
    assert forwarded[0] == "203.0.113.0, 127.0.0.1"  # the gateway appends the peer it saw


def test_behind_one_trusted_proxy_the_hop_it_added_is_the_client(
    upstreams: dict[str, Stub], tmp_path: Path
) -> None:
    """What the client writes on the left changes nothing; the proxy's hop decides the budget."""
    env = _serve_env(upstreams, tmp_path, GATEWAY_TRUST_FORWARDED_FOR="true")
    with running_process("gateway", env) as (url, _):

        def get(header: str) -> int:
            response = httpx.get(url + "/api/v1/facilities/1", headers={"X-Forwarded-For": header})
            return response.status_code

        assert [get(f"198.51.100.{i}, 203.0.113.7") for i in range(4)] == [200, 200, 200, 429]
        assert get("203.0.113.8") == 200  # another client behind the same proxy
