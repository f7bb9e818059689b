"""Whatever path a browser, a scanner or a typo sends to the PWA's routes, the answer is the file asked for
or a 404-like refusal: never a 500 (`GET /static/icons/%00` once answered `embedded null byte`), and
never a file from outside pwa/'s public folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.web.routes import DEFAULT_PWA_DIR, STATIC_FOLDERS

PREFIXES = (
    "/",
    "/static/",
    *(f"/static/{folder}/" for folder in STATIC_FOLDERS),
    "/static/js/views/",
    "/sw.js",
    "/manifest.webmanifest",
)
# Pieces that have broken static file servers before: traversal in every spelling, null bytes, encoded
# slashes and backslashes, bytes that are not UTF-8, overlong UTF-8, names longer than the OS allows.
PIECES = (
    "..",
    "../",
    "..\\",
    "%2e%2e",
    "%2e%2e%2f",
    "%2E%2E/",
    "..%2f",
    "..%5c",
    "%252e%252e%252f",
    "%c0%ae%c0%ae/",
    "%00",
    "\x00",
    "%2500",
    "%ff",
    "%fe%ff",
    "%",
    "%zz",
    "\\",
    "%5c",
    "%2f",
    "//",
    "/",
    ".",
    "./",
    "~",
    ";",
    ":",
    "*",
    "?",
    "#",
    "app.js",
    "icon-192.png",
    "sw.js",
    "templates",
    "tools",
    "shell.html",
    "make_icons.py",
    "README.md",
    "pyproject.toml",
    "etc/passwd",
    "é",
    "中文",
    "\u202e",
    "\ufeff",
    "😀",
    "\r\n",
    " ",
    "a" * 300,
    "b" * 5000,
)


def on_the_wire(path: str) -> str:
    """The path as a client sends it: control characters percent-encoded (httpx refuses them raw; the
    server decodes them back), everything else left for httpx to encode or pass."""
    return "".join(f"%{ord(c):02X}" if c.isascii() and not c.isprintable() else c for c in path)


ODD_PATHS = st.builds(
    lambda prefix, parts: on_the_wire(prefix + "".join(parts)),
    st.sampled_from(PREFIXES),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=8),
)
# Spellings that must keep answering 404 however the generator's luck runs.
KNOWN_ODD = [
    "/static/icons/%00",
    "/static/js/%00.js",
    "/static/css/app.css%00.js",
    "/static/js/app.js/extra",
    "/static/js/" + "x" * 4096,
    "/static/js/%2e%2e/templates/shell.html",
    "/static/js/..%2f..%2ftemplates%2fshell.html",
    "/static/js/%2e%2e/%2e%2e/README.md",
    "/static/icons/..\\..\\sw.js",
    "/static/js/%ff",
    "/static/tools/make_icons.py",
    "/static/templates/shell.html",
    "/sw.js%00",
    "/%00",
]


def public_files(pwa_dir: Path = DEFAULT_PWA_DIR) -> set[bytes]:
    """The contents of every file the browser may be handed."""
    files = [pwa_dir / "sw.js", pwa_dir / "manifest.webmanifest"]
    files += [path for folder in STATIC_FOLDERS for path in (pwa_dir / folder).rglob("*") if path.is_file()]
    return {path.read_bytes() for path in files}


def test_no_path_of_the_pwa_answers_500_or_serves_a_file_from_outside_its_public_folders(
    app_client: Any,
) -> None:
    # The shell and the worker are rendered: the worker carries its derived version and module lists first.
    served = public_files() | {app_client.get("/").content, app_client.get("/sw.js").content}

    def answer_is_safe(path: str, method: str = "GET") -> None:
        # An absolute URL: httpx takes a relative one starting with `//` for a host.
        response = app_client.request(method, f"{app_client.base_url}{path}")
        assert response.status_code < 500, (path, response.status_code, response.text[:200])
        if response.status_code == 200 and method == "GET":
            assert response.content in served, path

    for path in KNOWN_ODD:
        answer_is_safe(path)
        assert app_client.get(path).status_code in (400, 404), path

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(ODD_PATHS, st.sampled_from(["GET", "HEAD"]))
    def odd_path_is_refused_or_a_public_file(path: str, method: str) -> None:
        answer_is_safe(path, method)

    odd_path_is_refused_or_a_public_file()
