"""What a service says, or refuses, when it starts with an unsafe configuration (issue 13, item 10).

A service with no ``CARECIRCLE_IDENTITY_SECRET`` ignores identities and (unless
``CARECIRCLE_REQUIRE_IDENTITY``) accepts writes from anyone who reaches it: right for the
embedded development default on loopback, wrong on an address others reach. So it logs a
loud warning at start, and ``carecircle serve`` refuses a non-loopback bind without the
secret unless ``CARECIRCLE_ALLOW_WITHOUT_IDENTITY_SECRET=true`` says to do it anyway.
"""

from __future__ import annotations

from ipaddress import ip_address

from services.common.settings import ServiceSettings

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def startup_warnings(settings: ServiceSettings) -> list[str]:
    """Loud warnings for what the service was (not) configured with."""
    name = settings.service_name
    out = []
    if not settings.identity_secret:
        writes = (
            "refuses every write"
            if settings.require_identity
            else "ACCEPTS WRITES FROM ANYONE WHO CAN REACH IT"
        )
        out.append(
            f"{name}: CARECIRCLE_IDENTITY_SECRET is not set, so this service ignores caller "
            f"identities and {writes}; set the gateway's secret here too before exposing it"
        )
    elif not settings.require_identity:
        out.append(
            f"{name}: CARECIRCLE_REQUIRE_IDENTITY is false, so a write without a gateway-signed "
            "identity is accepted as anonymous; set it to true behind the gateway"
        )
    if not settings.database_url.strip():
        out.append(
            f"{name}: no {name.upper()}_DATABASE_URL, using the embedded SQLite file "
            f"{settings.resolved_database_url().removeprefix('sqlite:///')}"
        )
    return out


def serve_refusal(host: str, settings: ServiceSettings, *, allow: bool) -> str | None:
    """Why ``carecircle serve <service> --host HOST`` must not start, or None."""
    if settings.identity_secret or is_loopback(host) or allow:
        return None
    return (
        f"refusing to serve {settings.service_name} on {host} without "
        "CARECIRCLE_IDENTITY_SECRET: anyone reaching it could write. Set the secret (the "
        "gateway's), bind 127.0.0.1, or set CARECIRCLE_ALLOW_WITHOUT_IDENTITY_SECRET=true "
        "(or pass --allow-without-identity-secret) to do it anyway."
    )
