"""The security headers every response carries: the page, the service worker, static files, the API, exports and
problem details alike.

They are added in one place, a `before_send` hook (`add_security_headers`, wired in backend/app.py): it sees every
response the app sends, even a 404 for a path no route knows, where a middleware would never run.

- Content-Security-Policy: the app's own origin for everything, no plugin, no framing, no <base>, and no inline
  script but the shell's import map, allowed by the SHA-256 of its text (`content_security_policy(import_map)`,
  which the shell's handler sets; the hook gives every other response the policy without it). The app sets
  styles through the CSSOM (`el.style`), which CSP does not govern, so not even style attributes are allowed.
  Images may be `blob:` (visit photos, fetched with the token) or `data:`; workers and the manifest come
  from the origin.
- X-Content-Type-Options: nosniff, so a CSV or an SVG is never run as a script.
- Referrer-Policy: no-referrer. The app links nowhere else and the server never reads a Referer, so nothing
  is lost, and a URL with an id or a period in it never leaves the phone.
- Permissions-Policy: the phone's location and camera for the app itself (a visit's check-in), nothing else.
- Cache-Control: no-store on every /api answer (exports included): what a user may read changes with their
  role and unit, and a shared phone or proxy must not keep it. A handler that chose `private` caching for
  content that never changes under its id keeps it.
"""

from __future__ import annotations

import base64
import hashlib

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' blob: data:",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(self), camera=(self), microphone=(), payment=()",
}


def script_hash(inline_script: str) -> str:
    """The CSP source that allows exactly this inline script: its text's SHA-256, in base64."""
    digest = hashlib.sha256(inline_script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(*inline_scripts: str) -> str:
    """The app's policy, allowing these inline scripts (by the exact text between their tags) and no other."""
    policy = dict(_POLICY)
    if inline_scripts:
        policy["script-src"] = " ".join([policy["script-src"], *map(script_hash, inline_scripts)])
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


_DEFAULT_POLICY = content_security_policy()


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Litestar's `before_send` hook: the headers above, on the start of every HTTP response."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    if "content-security-policy" not in headers:
        headers["Content-Security-Policy"] = _DEFAULT_POLICY
    for name, value in _ALWAYS.items():
        headers[name] = value
    if scope["path"].startswith("/api/") and "private" not in headers.get("cache-control", ""):
        headers["Cache-Control"] = "no-store"
