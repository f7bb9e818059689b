"""What the service worker precaches, derived from the files under pwa/ when the app starts.

Nothing here is kept by hand: `PwaAssets.scan(pwa_dir)` reads the folder once and yields

- `version`: a content hash of every file the worker caches (the shell template, the worker itself, the
  manifest, every module under js/, the stylesheets and the page's icon). Any change to one of them is a new
  version: new `?v=` asset URLs, a new `fieldgoal-<version>` cache, the page's "new version — reload" offer.
  Every server process reading the same files agrees on it, and a restart after a change is what publishes it.
- `rep_modules`: the ES modules everyone's app needs (every .js under js/ outside js/team/), precached at
  install so a rep's phone starts offline.
- `team_modules`: the modules of the screens for people who manage others (js/team/, recursively), cached only
  on a lead's or manager's phone: see the header of pwa/sw.js.

`service_worker()` is the worker as served: these values as constants, then pwa/sw.js unchanged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

# The folder under js/ whose modules only leads and managers fetch.
TEAM_FOLDER = "team"
# The files outside js/ the worker caches (sw.js precaches these URLs; the template is the shell at `/`).
CACHED_FILES = ("sw.js", "manifest.webmanifest", "templates/shell.html", "icons/icon-192.png")
CACHED_FOLDERS = ("js", "css")


@dataclass(frozen=True)
class PwaAssets:
    version: str
    rep_modules: tuple[str, ...]
    team_modules: tuple[str, ...]
    worker_source: str

    @classmethod
    def scan(cls, pwa_dir: Path) -> PwaAssets:
        rep: list[str] = []
        team: list[str] = []
        js_dir = pwa_dir / "js"
        for path in sorted(js_dir.rglob("*.js")):
            relative = path.relative_to(js_dir)
            url = "/static/js/" + relative.as_posix()
            (team if relative.parts[0] == TEAM_FOLDER else rep).append(url)
        worker_source = (pwa_dir / "sw.js").read_text(encoding="utf-8")
        return cls(_content_hash(pwa_dir), tuple(rep), tuple(team), worker_source)

    @property
    def modules(self) -> tuple[str, ...]:
        """Every module's URL: the import map versions them all, whichever list caches them."""
        return self.rep_modules + self.team_modules

    def service_worker(self) -> str:
        """pwa/sw.js as the browser receives it: the derived constants first, then the file as it is."""
        prelude = (
            "// Derived from the files under pwa/ by the server (backend/web/assets.py).\n"
            f"const VERSION = {json.dumps(self.version)};\n"
            f"const REP_MODULES = {json.dumps(list(self.rep_modules))};\n"
            f"const TEAM_MODULES = {json.dumps(list(self.team_modules))};\n"
        )
        return prelude + self.worker_source


def cached_files(pwa_dir: Path) -> list[Path]:
    """The files whose content makes the version, in a fixed order."""
    files = [pwa_dir / name for name in CACHED_FILES]
    for folder in CACHED_FOLDERS:
        files.extend(path for path in (pwa_dir / folder).rglob("*") if path.is_file())
    return sorted(files, key=lambda path: path.relative_to(pwa_dir).as_posix())


def _content_hash(pwa_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in cached_files(pwa_dir):
        content = path.read_bytes()
        # The name and the length frame each file, so moving bytes between files changes the hash too.
        name = path.relative_to(pwa_dir).as_posix().encode("utf-8")
        digest.update(b"%s\0%d\0" % (name, len(content)))
        digest.update(content)
    return digest.hexdigest()[:16]
