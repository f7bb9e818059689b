"""The rep's budget and the second bundle (WAVE.md): the rep's shell plus the service worker's precache stay
≤ 100 KB gzipped, measured as `bench.pwa_bench` measures them (the encoded body of every response a fresh
phone's first load receives, the page's and the worker's); a rep's session never fetches a module of js/team/;
a lead's phone caches them after signing in and opens those screens offline.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, STEP_MS, Live
from tests.e2e.phone import Phone, hook

pytestmark = pytest.mark.browser

BUDGET_KB = 100.0
TEAM = "/static/js/team/"

# The worker's cache: every URL it holds (the page's own Cache Storage, which the worker shares).
CACHED_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
  }
  return urls;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium as conftest starts it, with the service worker's own requests reported to Playwright (as the
    bench asks for them): the precache is half of the budget."""
    from playwright.sync_api import expect as expect_
    from playwright.sync_api import sync_playwright

    expect_.set_options(timeout=STEP_MS)
    before = os.environ.get("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS")
    os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"
    try:
        playwright = sync_playwright().start()  # the driver reads the switch when it starts
    finally:
        if before is None:
            del os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"]
        else:
            os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = before
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


class Traffic:
    """Every request of a phone (page and service worker), and the encoded bytes of each finished one."""

    def __init__(self, context: Any, base_url: str) -> None:
        self.base_url = base_url
        self.urls: list[str] = []
        self.page_bytes: dict[str, int] = {}
        self.worker_bytes: dict[str, int] = {}
        context.on("request", lambda request: self.urls.append(request.url.replace(base_url, "")))
        context.on("requestfinished", self._finished)

    def _finished(self, request: Any) -> None:
        if request.response() is None:
            return
        into = self.worker_bytes if request.service_worker is not None else self.page_bytes
        key = request.url.replace(self.base_url, "")
        into[key] = into.get(key, 0) + int(request.sizes()["responseBodySize"])

    def team(self) -> list[str]:
        return [url for url in self.urls if url.startswith(TEAM)]


def test_the_reps_shell_and_precache_stay_within_100_kb_gzipped(live: Live, new_context: Any) -> None:
    context = new_context()
    traffic = Traffic(context, live.base_url)
    phone = Phone(context).open()
    expect(phone.at("login-submit")).to_be_visible()
    phone.wait_offline_ready()
    phone.page.wait_for_load_state("networkidle")

    page_kb = sum(traffic.page_bytes.values()) / 1024
    worker_kb = sum(traffic.worker_bytes.values()) / 1024
    # The files a rep's phone holds once the first load is over: each URL once, at the larger of its two sizes.
    files = {
        url: max(traffic.page_bytes.get(url, 0), traffic.worker_bytes.get(url, 0))
        for url in {*traffic.page_bytes, *traffic.worker_bytes}
    }
    union_kb = sum(files.values()) / 1024
    largest = sorted(files.items(), key=lambda item: -item[1])[:5]
    assert traffic.worker_bytes, "the service worker's requests were not seen: the precache was not measured"
    assert page_kb <= BUDGET_KB, f"the shell's first load is {page_kb:.1f} KB gzipped; largest: {largest}"
    assert worker_kb <= BUDGET_KB, f"the precache is {worker_kb:.1f} KB gzipped; largest: {largest}"
    assert union_kb <= BUDGET_KB, f"shell and precache hold {union_kb:.1f} KB gzipped; largest: {largest}"
    assert traffic.team() == []


def test_a_reps_session_never_requests_the_team_screens(live: Live, new_context: Any) -> None:
    context = new_context()
    traffic = Traffic(context, live.base_url)
    phone = Phone(context).open()
    phone.wait_offline_ready()
    phone.sign_in(live.org.email("rep1"))
    for route, screen in (
        ("#/customers", "customer-new"),
        ("#/goals", None),
        ("#/inbox", None),
        ("#/me", "lang-switch"),
        ("#/visit/new", "visit-save"),
        ("#/statement", None),
        ("#/leaderboard", "leaderboard"),
        # A lead's screens typed in by hand: a rep lands on Home without their modules being fetched.
        ("#/approvals", "home"),
        ("#/reports", "home"),
        ("#/plans", "home"),
        ("#/audit", "home"),
    ):
        phone.go(route)
        if screen:
            expect(phone.at(screen).first).to_be_visible()
        else:
            phone.page.wait_for_load_state("networkidle")
    phone.page.wait_for_load_state("networkidle")
    assert traffic.team() == []
    cached = phone.page.evaluate(CACHED_URLS)
    assert cached and not [url for url in cached if url.startswith(TEAM)]
    assert phone.errors == []


def test_a_leads_phone_keeps_the_team_screens_for_offline_reading(live: Live, new_context: Any) -> None:
    context = new_context()
    phone = Phone(context).open()
    phone.wait_offline_ready()
    phone.sign_in(live.org.email("lead1"))
    team_modules = live.server.client().get("/sw.js").text.split("const TEAM_MODULES = ", 1)[1].split(";\n", 1)[0]
    expected = {url for url in team_modules.strip("[]").replace('"', "").split(", ") if url}
    assert "/static/js/team/plans.js" in expected
    # After signing in the page asks the worker to cache them, without any of their screens being opened.
    phone.page.wait_for_function(
        """(expected) => caches.keys().then(async (names) => {
          const held = new Set();
          for (const name of names) {
            for (const r of await (await caches.open(name)).keys()) held.add(new URL(r.url).pathname);
          }
          return expected.every((url) => held.has(url));
        })""",
        arg=sorted(expected),
    )

    phone.offline()
    phone.reload()
    expect(phone.at("offline-banner")).to_be_visible()
    for route, screen in (("#/plans", "plans"), ("#/approvals", "nav-approve")):
        phone.go(route)
        expect(phone.at(screen)).to_be_visible()
        expect(phone.at("screen-unavailable")).to_have_count(0)
    expect(phone.page.locator(hook("nav-approve") + ".on")).to_be_visible()
    assert phone.errors == []
