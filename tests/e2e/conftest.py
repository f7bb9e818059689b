"""End-to-end wiring: the real server over real HTTP on 127.0.0.1 (a service worker needs a real origin, and
localhost counts as secure) and one headless Chromium per test module, with a fresh browser context (its own
storage, service worker and IndexedDB: a fresh phone) for every test.

Tests share their module's server and org (tests/e2e/live.py), so each one works with its own customers and
its own users' records and asserts only on those.

Chromium is Debian's (/usr/bin/chromium); `playwright install` is never needed. Without it these tests skip,
or fail under FIELDGOAL_TEST_STRICT=1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import need
from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, PHONE_VIEWPORT, STEP_MS, Live
from tests.support.server import ServerPool, TestDatabase


@pytest.fixture(scope="module", autouse=True)
def chromium_present() -> None:
    """First of all: without Chromium, skip (or fail under strict mode) before starting any server."""
    need(os.path.exists(CHROMIUM), f"Chromium is not installed at {CHROMIUM}")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One real server per module, on a SQLite file, with the factories' org seeded after it migrated."""
    folder = tmp_path_factory.mktemp("e2e")
    with TestDatabase.sqlite(folder) as database, ServerPool(folder) as pool:
        server = pool.start(database)
        yield Live(server, database, database.seed_org())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per module (starting it is the slow part; contexts are cheap)."""
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (Playwright's own default is 5 s, tight on two shared cores).
    expect.set_options(timeout=STEP_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser: Any, live: Live) -> Iterator[Any]:
    """`new_context()` → a fresh phone (browser context); every one is closed after the test."""
    contexts: list[Any] = []

    def _new_context(**options: Any) -> Any:
        context = browser.new_context(
            base_url=live.base_url, viewport=PHONE_VIEWPORT, service_workers="allow", **options
        )
        context.set_default_timeout(STEP_MS)
        contexts.append(context)
        return context

    try:
        yield _new_context
    finally:
        errors = []
        for context in contexts:
            try:
                context.close()
            except Exception as exc:  # close the others anyway
                errors.append(exc)
        if errors:
            raise errors[0]


@pytest.fixture
def context(new_context: Any) -> Any:
    """The test's phone."""
    return new_context()
