"""Which network address a request came from: the one place that reads `X-Forwarded-For`.

The direct peer is the address, unless it is a proxy named in `FIELDGOAL_TRUSTED_PROXIES`; then the header's
right-most address that is not itself a trusted proxy is. Anything left of that was written by whoever
connected to the first trusted proxy, so it proves nothing (anyone can send `X-Forwarded-For: 1.2.3.4`).
The server (uvicorn) is told not to rewrite the peer itself, so this rule holds under any ASGI server and in
tests alike.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any

# What a request is counted by when it has no peer at all (not seen over a socket).
UNKNOWN = "unknown"


def parse_trusted_proxies(raw: str) -> tuple[str, ...]:
    """`FIELDGOAL_TRUSTED_PROXIES`: addresses or networks, comma-separated (`127.0.0.1, 10.0.0.0/8, ::1`)."""
    parts = tuple(part.strip() for part in raw.split(",") if part.strip())
    _networks(parts)  # raises ValueError naming the part that is not an address or network
    return parts


def client_address(request: Any, trusted_proxies: tuple[str, ...]) -> str:
    """The address a request is counted by (the per-address sign-in limit), as described above."""
    peer = request.client.host if request.client else None
    if not peer:
        return UNKNOWN
    return forwarded_client(peer, request.headers.getall("x-forwarded-for", []), trusted_proxies)


def forwarded_client(peer: str, forwarded_for: list[str], trusted_proxies: tuple[str, ...]) -> str:
    """Walk from the peer leftwards through `X-Forwarded-For` while each hop is a trusted proxy."""
    networks = _networks(trusted_proxies)
    current = _address(peer)
    if current is None or not _trusted(current, networks):
        return peer
    # Several headers count as one list, in order (RFC 9110 field lines combine with commas).
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Not an address (`unknown`, `_hidden`): nobody can be counted by it, so the trusted proxy that
            # passed it on is; never a string a client may have chosen.
            break
        current = address
        if not _trusted(current, networks):
            break
    return str(current)


@lru_cache(maxsize=16)
def _networks(trusted_proxies: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    networks = []
    for part in trusted_proxies:
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or network") from None
    return tuple(networks)


def _trusted(address: IPv4Address | IPv6Address, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1 arriving on an IPv6 socket
    return any(address in network for network in networks)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    """An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `::1` or `[::1]:5678`."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ip_address(text)
    except ValueError:
        return None
