"""Which address a request comes from, when proxies in front of the gateway say so (pure).

``X-Forwarded-For`` is a list each proxy appends the address it was connected
from to, so only its right end is written by proxies we run; everything to the
left of the hops we trust was written by the client and proves nothing. As
uvicorn's ``ProxyHeadersMiddleware`` and werkzeug's ``ProxyFix`` do, the client
is therefore read from the right: with ``hops`` trusted proxies, the address the
outermost one appended (the ``hops``-th from the right); with trusted networks,
the rightmost address outside them, and only when the direct peer is one of them.
The gateway decides this itself: its uvicorn runs with proxy headers off
(``carecircle serve``), so the socket's peer is what reaches here.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network


def parse_networks(text: list[str]) -> tuple[Network, ...]:
    """``["10.0.0.0/8", "192.0.2.7"]`` → networks; raises ValueError naming a bad entry."""
    out = []
    for item in text:
        try:
            out.append(ip_network(item.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{item!r} is not an IP address or network (CIDR)") from exc
    return tuple(out)


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


@dataclass(frozen=True)
class ForwardedFor:
    """How to read the client's address from ``X-Forwarded-For``.

    ``networks`` empty: trust the ``hops`` proxies nearest to the gateway, whatever
    their address. Otherwise trust the proxies whose addresses are in ``networks``.
    """

    hops: int = 1
    networks: tuple[Network, ...] = ()

    def client(self, peer: str, header: str | None) -> str:
        """The client's address, given the socket peer and the (joined) header value."""
        if not header:
            return peer
        hops = [part.strip() for part in header.split(",")]
        if self.networks:
            if not _within(peer, self.networks):
                return peer  # not sent by a proxy we trust: the header is the client's own
            for address in reversed(hops):
                if not _within(address, self.networks):
                    return address
            return hops[0]
        if len(hops) < self.hops:
            return peer  # fewer hops than proxies we run: something is off, trust nothing
        return hops[-self.hops]
