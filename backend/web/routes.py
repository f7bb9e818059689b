"""The handlers that hand the browser the PWA in `pwa/`: shell, service worker, manifest, static files.

None of them needs a user: the shell must start with no network and no token, so every handler here is
`exclude_from_auth` and out of the OpenAPI schema. The version and the service worker's module lists are
derived from the files once, when the app is built (backend/web/assets.py): the shell puts the version on every
asset URL, and `/sw.js` carries it with the lists, so a changed file means a new worker and a new shell.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Response, get
from litestar.datastructures import CacheControlHeader
from litestar.file_system import BaseLocalFileSystem
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler, PathType
from litestar.types.file_types import FileInfo

from backend.web.assets import PwaAssets
from backend.web.headers import content_security_policy

DEFAULT_PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"

# The folders of pwa/ the browser may fetch under /static/ (templates and tools stay private).
STATIC_FOLDERS = ("js", "css", "icons")

# Asset URLs carry the version, and revalidate on every use outside the service worker: a stale module
# next to a fresh one breaks an ES-module app in ways no user can fix.
_NO_CACHE = {"Cache-Control": "no-cache"}


class _PwaFiles(BaseLocalFileSystem):
    """The disk under pwa/, where a name the OS refuses to look up is simply not there: a null byte
    (`/static/icons/%00`), a name longer than the OS allows, a file used as a folder. Litestar turns such an
    OSError into a 500; a path someone typed is never the server's fault, so it is a 404."""

    async def info(self, path: PathType, **kwargs: Any) -> FileInfo:
        try:
            return await super().info(path, **kwargs)
        except (ValueError, OSError) as error:
            raise FileNotFoundError(str(path)) from error


def _modules(assets: PwaAssets) -> dict[str, str]:
    """Every ES module's URL and its versioned URL. As an import map it makes `import './db.js'` inside a
    module carry `?v=` too, so the URLs the service worker caches are the ones the page asks for."""
    return {url: f"{url}?v={assets.version}" for url in assets.modules}


def _import_map(modules: dict[str, str]) -> str:
    # `</` cannot end the inline <script> early: the escaped slash keeps the JSON inert in HTML.
    return json.dumps({"imports": modules}, ensure_ascii=False).replace("</", "<\\/")


def web_routes(pwa_dir: Path = DEFAULT_PWA_DIR) -> list[ControllerRouterHandler]:
    """The route handlers and static routers that serve the PWA, for the app factory to include."""
    pwa_dir = pwa_dir.resolve()
    templates = Environment(
        loader=FileSystemLoader(pwa_dir / "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=True,
    )
    manifest_path = pwa_dir / "manifest.webmanifest"
    # Read once: every process serving the same files derives the same version, and a release restarts them.
    assets = PwaAssets.scan(pwa_dir)
    modules = _modules(assets)
    import_map = _import_map(modules)
    worker = assets.service_worker().encode("utf-8")

    @get("/", include_in_schema=False, exclude_from_auth=True, sync_to_thread=False)
    def shell() -> Response[str]:
        # Only the rep's modules are preloaded: the team screens' modules load when a lead opens one.
        html = templates.get_template("shell.html").render(
            version=assets.version, import_map=import_map, modules=[modules[url] for url in assets.rep_modules]
        )
        # The import map is the page's one inline script: the policy allows it by the hash of this very text.
        csp = {"Content-Security-Policy": content_security_policy(import_map)}
        return Response(html, media_type="text/html", headers={**_NO_CACHE, **csp})

    @get("/sw.js", include_in_schema=False, exclude_from_auth=True, sync_to_thread=False)
    def service_worker() -> Response[bytes]:
        return Response(
            worker,
            media_type="application/javascript; charset=utf-8",
            headers={**_NO_CACHE, "Service-Worker-Allowed": "/"},
        )

    @get("/manifest.webmanifest", include_in_schema=False, exclude_from_auth=True, sync_to_thread=False)
    def manifest() -> Response[bytes]:
        return Response(manifest_path.read_bytes(), media_type="application/manifest+json", headers=_NO_CACHE)

    static_routers = [
        create_static_files_router(
            path=f"/static/{folder}",
            directories=[pwa_dir / folder],
            name=f"pwa-{folder}",
            include_in_schema=False,
            opt={"exclude_from_auth": True},
            cache_control=CacheControlHeader(no_cache=True),
            file_system=_PwaFiles(),
        )
        for folder in STATIC_FOLDERS
    ]
    return [shell, service_worker, manifest, *static_routers]
