"""Which hosts the server may send to on a user's behalf: push endpoints, and the team robots' webhooks.

A subscription's endpoint is a URL the server will POST to on the user's behalf, so an unchecked one would
let any user aim the server at any host (server-side request forgery). `endpoint_allowed` accepts only
absolute `https://` URLs whose host is named in the allow list (`FIELDGOAL_PUSH_ALLOWED_HOSTS`); plain
`http://` is accepted only for loopback hosts that the list names, which is how tests run a local push
service.

Allow-list entries are host names compared exactly (case-insensitively), with an optional `:port` (an entry
without a port allows any port; IPv6 addresses in brackets, `[::1]:8443`). An entry `*.example.com` allows
exactly one DNS label in front of `example.com` (`a.example.com`, not `example.com` nor `a.b.example.com`):
the Windows push service hands out endpoints on per-region hosts such as `wns2-par02p.notify.windows.com`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

# The public browser push services: Chrome, Edge on Android, Opera and Samsung Internet (FCM), Firefox
# (Mozilla autopush), Safari (Apple), Edge on Windows (WNS, one host per region).
DEFAULT_PUSH_HOSTS: tuple[str, ...] = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "web.push.apple.com",
    "*.notify.windows.com",
)

# The chat platforms whose group robots the server posts to (backend/channels/).
DEFAULT_CHANNEL_HOSTS: tuple[str, ...] = ("qyapi.weixin.qq.com", "oapi.dingtalk.com", "open.feishu.cn")

# The codes `endpoint_allowed` answers, for the API's `errors[].code`.
ENDPOINT_INVALID = "endpoint_invalid"  # not an absolute http(s) URL, or it carries user:password@
ENDPOINT_NOT_HTTPS = "endpoint_not_https"  # http:// to a host that is not loopback
ENDPOINT_NOT_ALLOWED = "endpoint_not_allowed"  # the host (and port) is not in the allow list

MAX_ENDPOINT_LENGTH = 2048

_DEFAULT_PORTS = {"http": 80, "https": 443}
# One DNS label: what a `*.` wildcard may stand for.
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Whitespace, control characters and backslashes: URL parsers disagree about these (a browser reads `\` as
# `/`, Python keeps it in the host part), and a genuine push endpoint never contains them.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f\\]")


def endpoint_allowed(endpoint: str, allowed_hosts: Sequence[str]) -> str | None:
    """None if the server may push to `endpoint`; otherwise the code of the rule it breaks."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT_LENGTH:
        return ENDPOINT_INVALID
    if _UNSAFE.search(endpoint) or not endpoint.isascii():
        return ENDPOINT_INVALID
    try:
        url = urlsplit(endpoint)
        port = url.port
    except ValueError:  # a malformed port or IPv6 literal
        return ENDPOINT_INVALID
    host = url.hostname
    if url.scheme not in _DEFAULT_PORTS or not host:
        return ENDPOINT_INVALID
    # `https://fcm.googleapis.com@evil.com/` is a request to evil.com; push endpoints never carry userinfo.
    if "@" in url.netloc:
        return ENDPOINT_INVALID
    if url.scheme == "http" and not _is_loopback(host):
        return ENDPOINT_NOT_HTTPS
    effective_port = port if port is not None else _DEFAULT_PORTS[url.scheme]
    if not any(_entry_matches(entry, host, effective_port) for entry in allowed_hosts):
        return ENDPOINT_NOT_ALLOWED
    return None


def parse_allowed_hosts(value: str) -> tuple[str, ...]:
    """The entries of a comma-separated `FIELDGOAL_PUSH_ALLOWED_HOSTS`, lower-cased; ValueError if one is
    malformed (a scheme, a path, a bad port or a wildcard anywhere but a leading `*.`)."""
    entries = tuple(part.strip().lower() for part in value.split(",") if part.strip())
    for entry in entries:
        if _split_entry(entry) is None:
            raise ValueError(f"FIELDGOAL_PUSH_ALLOWED_HOSTS: {entry!r} is not a host name with an optional :port")
    return entries


def _entry_matches(entry: str, host: str, port: int) -> bool:
    parsed = _split_entry(entry.strip().lower())
    if parsed is None:
        return False  # a malformed entry allows nothing
    entry_host, entry_port = parsed
    if entry_port is not None and entry_port != port:
        return False
    if entry_host.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(dot) and rest == entry_host[2:] and _LABEL.match(label) is not None
    return host == entry_host


def _split_entry(entry: str) -> tuple[str, int | None] | None:
    """(host, port or None) of an allow-list entry, the host as `urlsplit().hostname` spells it; None if
    the entry is malformed."""
    if not entry or _UNSAFE.search(entry) or any(c in entry for c in "/@?#"):
        return None
    try:
        # Parsing the entry as a URL's authority spells hosts (brackets, case) the same way as endpoints.
        url = urlsplit(f"//{entry}")
        host, port = url.hostname, url.port
    except ValueError:
        return None
    if not host:
        return None
    if "*" in host and (not host.startswith("*.") or "*" in host[2:] or "." not in host[2:]):
        return None
    return host, port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
