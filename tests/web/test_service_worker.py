"""The service worker as served: its version and module lists come from the files under pwa/, never from a hand
kept constant, so a changed file is always a new version and a new module is always cached."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from backend.web.routes import DEFAULT_PWA_DIR, web_routes

CONSTANT = re.compile(r"^const (VERSION|REP_MODULES|TEAM_MODULES) = (.*);$", re.MULTILINE)
IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.DOTALL)
PRELOADS = re.compile(r'<link rel="modulepreload" href="([^"]+)">')


def served(pwa_dir: Path) -> dict[str, Any]:
    """What a browser gets from a server started on these files: the worker's constants and the shell."""
    with TestClient(Litestar(route_handlers=web_routes(pwa_dir))) as client:
        worker = client.get("/sw.js")
        shell = client.get("/")
    assert (worker.status_code, shell.status_code) == (200, 200)
    constants = {name: json.loads(value) for name, value in CONSTANT.findall(worker.text)}
    (import_map,) = IMPORT_MAP.findall(shell.text)
    return {
        **constants,
        "source": worker.text,
        "shell_version": re.search(r'data-version="([^"]+)"', shell.text).group(1),  # type: ignore[union-attr]
        "imports": json.loads(import_map.replace("<\\/", "</"))["imports"],
        "preloads": PRELOADS.findall(shell.text),
    }


def copy_of_pwa(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEFAULT_PWA_DIR, tmp_path / "pwa"))


def test_the_served_worker_lists_every_module_and_carries_the_shells_version() -> None:
    answer = served(DEFAULT_PWA_DIR)
    on_disk = sorted(
        "/static/js/" + path.relative_to(DEFAULT_PWA_DIR / "js").as_posix()
        for path in (DEFAULT_PWA_DIR / "js").rglob("*.js")
    )
    assert "/static/js/views/home.js" in on_disk
    assert sorted(answer["REP_MODULES"] + answer["TEAM_MODULES"]) == on_disk
    assert not any(url.startswith("/static/js/team/") for url in answer["REP_MODULES"])
    assert all(url.startswith("/static/js/team/") for url in answer["TEAM_MODULES"])
    version = answer["VERSION"]
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    assert answer["shell_version"] == version
    assert answer["imports"] == {url: f"{url}?v={version}" for url in on_disk}
    # The file itself follows the derived constants unchanged.
    assert answer["source"].endswith((DEFAULT_PWA_DIR / "sw.js").read_text(encoding="utf-8"))
    assert "const VERSION" not in (DEFAULT_PWA_DIR / "sw.js").read_text(encoding="utf-8")


def test_a_change_to_any_file_the_worker_caches_is_a_new_version(tmp_path: Path) -> None:
    pwa = copy_of_pwa(tmp_path)
    seen = [served(pwa)["VERSION"]]
    assert served(pwa)["VERSION"] == seen[0]  # the same files, the same version
    for name in (
        "js/views/home.js",
        "js/db.js",
        "css/app.css",
        "templates/shell.html",
        "icons/icon-192.png",
        "sw.js",
        "manifest.webmanifest",
    ):
        with (pwa / name).open("ab") as file:
            file.write(b"\n")
        answer = served(pwa)
        assert answer["VERSION"] not in seen, name
        assert answer["shell_version"] == answer["VERSION"]
        seen.append(answer["VERSION"])
    (pwa / "js" / "views" / "territory.js").write_text("export const territory = 1;\n")
    added = served(pwa)
    assert added["VERSION"] not in seen
    assert "/static/js/views/territory.js" in added["REP_MODULES"]
    # What the worker never caches is no new version: the icons for installing, the tools, the notes.
    (pwa / "README.md").write_text("notes\n")
    (pwa / "tools" / "make_icons.py").write_text("# changed\n")
    assert served(pwa)["VERSION"] == added["VERSION"]


def test_team_modules_are_listed_apart_and_only_the_reps_are_preloaded(tmp_path: Path) -> None:
    pwa = copy_of_pwa(tmp_path)
    (pwa / "js" / "team" / "board").mkdir(parents=True)
    (pwa / "js" / "team" / "roster.js").write_text("export const roster = [];\n")
    (pwa / "js" / "team" / "board" / "weekly.js").write_text("export const weekly = [];\n")
    answer = served(pwa)
    team = ["/static/js/team/board/weekly.js", "/static/js/team/roster.js"]
    assert set(team) <= set(answer["TEAM_MODULES"])
    assert answer["TEAM_MODULES"] == sorted(answer["TEAM_MODULES"])
    assert "/static/js/team/approvals.js" in answer["TEAM_MODULES"]
    assert not set(answer["TEAM_MODULES"]) & set(answer["REP_MODULES"])
    version = answer["VERSION"]
    assert {url: answer["imports"][url] for url in team} == {url: f"{url}?v={version}" for url in team}
    assert answer["preloads"] == [f"{url}?v={version}" for url in answer["REP_MODULES"]]
