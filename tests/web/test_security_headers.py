"""Every answer carries the security headers (backend/web/headers.py): the shell, the service worker, static
files, API answers and their problem details, exports, and a 404 for a path no route knows."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest

IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.DOTALL)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL)
EVENT_HANDLER_ATTRIBUTE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
POLICY = {
    "default-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "blob:", "data:"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "manifest-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response: Any) -> dict[str, list[str]]:
    directives = [part.split() for part in response.headers["content-security-policy"].split(";")]
    return {name: sources for name, *sources in directives}


def assert_secured(response: Any, script_src: list[str] | None = None) -> None:
    csp = policy(response)
    assert csp.pop("script-src") == (script_src or ["'self'"])
    assert csp == POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["permissions-policy"] == "geolocation=(self), camera=(self), microphone=(), payment=()"


def test_the_shell_allows_its_import_map_by_the_hash_of_the_text_it_serves_and_no_other_inline_script(
    app_client: Any,
) -> None:
    response = app_client.get("/")
    assert response.status_code == 200
    (import_map,) = IMPORT_MAP.findall(response.text)
    digest = base64.b64encode(hashlib.sha256(import_map.encode("utf-8")).digest()).decode("ascii")
    assert_secured(response, script_src=["'self'", f"'sha256-{digest}'"])
    assert response.headers["cache-control"] == "no-cache"  # the shell's own caching is unchanged
    for attributes, body in SCRIPT_TAG.findall(response.text):
        assert 'src="' in attributes or (attributes == ' type="importmap"' and body == import_map)
    assert not EVENT_HANDLER_ATTRIBUTE.search(response.text)


@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest", "/static/js/app.js", "/static/css/app.css"])
def test_the_service_worker_and_static_files_carry_the_headers_and_keep_their_caching(
    app_client: Any, path: str
) -> None:
    response = app_client.get(path)
    assert response.status_code == 200
    assert_secured(response)
    assert response.headers["cache-control"] == "no-cache"


def test_api_answers_and_their_problems_carry_the_headers_and_are_never_stored(org: Any, sign_in: Any) -> None:
    rep = sign_in("rep1@example.com")
    answer = rep.get("/api/v1/me")
    assert answer.status_code == 200
    unauthenticated = rep.client.get("/api/v1/me")
    invalid = rep.get("/api/v1/reports/trend", params={"format": "pdf"})
    unknown = rep.get("/api/v1/no-such-thing")
    assert (unauthenticated.status_code, invalid.status_code, unknown.status_code) == (401, 422, 404)
    for response in (answer, unauthenticated, invalid, unknown):
        assert_secured(response)
        assert response.headers["cache-control"] == "no-store"
    assert invalid.headers["content-type"].startswith("application/problem+json")


def test_exports_carry_the_headers_and_are_never_stored(org: Any, sign_in: Any) -> None:
    lead = sign_in("lead1@example.com")
    for file_format in ("csv", "xlsx", "svg"):
        response = lead.get("/api/v1/reports/regions", params={"format": file_format})
        assert response.status_code == 200, response.text
        assert_secured(response)
        assert response.headers["cache-control"] == "no-store"


def test_a_path_no_route_knows_and_an_odd_static_path_carry_the_headers(app_client: Any) -> None:
    for path in ("/no/such/page", "/static/icons/%00"):
        response = app_client.get(path)
        assert response.status_code == 404
        assert_secured(response)
