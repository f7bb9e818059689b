"""How the phone app feels, in headless Chromium against a real server: `python -m bench.pwa_bench`.

Starts `fieldgoal serve` on a fresh SQLite file (tests/support/server.py reaps it), seeds the test org and two
customers for rep1, and measures, each against PRODUCT.md's promise of an app that starts and works offline:

- offline cold start: with the service worker installed and the rep signed in, the network goes away, the
  service worker is stopped (so its start-up is part of the figure), and a new page loads `/`; the time from
  navigation start to the `home` screen in the DOM, as the page's own clock says (performance.now(), recorded
  by a MutationObserver installed before any of the app runs). Median of --runs runs.
- what the shell transfers on the first visit, as the browser received it: the encoded (gzip, from Litestar's
  CompressionConfig) body sizes of every response the page fetched, and separately what the service worker
  fetched to precache the shell (sw.js `install`: the same files again, `cache: 'reload'`).
- logging a visit offline: from the tap on `visit-save` to the outbox in IndexedDB holding the visit,
  measured in the page (performance.now() before the click, then IndexedDB polled). Median of --runs runs.

Targets: cold start ≤ 1 s, shell ≤ 100 KB compressed, visit ≤ 100 ms. Figures are printed, never asserted:
benches are not part of `make test`'s pass/fail.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, PHONE_VIEWPORT
from tests.factories import PASSWORD
from tests.support.server import ServerPool, TestDatabase

TARGET_COLD_START_MS = 1000.0
TARGET_SHELL_KB = 100.0
TARGET_VISIT_MS = 100.0

# Runs before any of the app's scripts on every page: records when the home screen first appears.
HOME_WATCH = """
(() => {
  const seen = () => {
    if (window.__homeAt === undefined && document.querySelector('[data-test="home"]')) {
      window.__homeAt = performance.now();
      return true;
    }
    return false;
  };
  new MutationObserver((_, observer) => { if (seen()) observer.disconnect(); })
    .observe(document, { childList: true, subtree: true });
})();
"""

# Tap "save" on a filled visit form and wait until the outbox holds one more mutation than before.
TIME_VISIT_SAVE = """async () => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('fieldgoal');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const count = () => new Promise((resolve, reject) => {
    const request = db.transaction('outbox').objectStore('outbox').count();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const before = await count();
  const start = performance.now();
  document.querySelector('[data-test="visit-save"]').click();
  while ((await count()) === before) {
    if (performance.now() - start > 10000) throw new Error('the visit never reached the outbox');
  }
  const elapsed = performance.now() - start;
  db.close();
  return elapsed;
}"""


def hook(name: str) -> str:
    return f'[data-test="{name}"]'


def verdict(value: float, target: float) -> str:
    return "meets" if value <= target else "MISSES"


def first_load(context: Any, base_url: str) -> dict[str, Any]:
    """Load `/` on a fresh phone and count every response's encoded bytes, page and service worker apart."""
    page_bytes: dict[str, int] = {}
    worker_bytes: dict[str, int] = {}
    encodings: dict[str, str] = {}

    def finished(request: Any) -> None:
        response = request.response()
        if response is None:
            return
        sizes = request.sizes()
        into = worker_bytes if request.service_worker is not None else page_bytes
        key = request.url.replace(base_url, "")
        into[key] = into.get(key, 0) + int(sizes["responseBodySize"])
        encodings[key] = response.headers.get("content-encoding", "identity")

    context.on("requestfinished", finished)
    page = context.new_page()
    page.goto(base_url + "/")
    page.wait_for_selector(hook("login-submit"))
    # A function, not an expression: Playwright eval()s an expression, which the app's CSP forbids.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)
    page.wait_for_load_state("networkidle")
    context.remove_listener("requestfinished", finished)
    return {"page": page, "page_bytes": page_bytes, "worker_bytes": worker_bytes, "encodings": encodings}


def sign_in(page: Any, email: str) -> None:
    page.fill(hook("login-email"), email)
    page.fill(hook("login-password"), PASSWORD)
    page.click(hook("login-submit"))
    page.wait_for_selector(hook("home"))
    page.wait_for_function(
        "() => document.querySelector('[data-test=\"last-synced\"]')?.textContent.match(/\\d/) !== null",
        timeout=60_000,
    )


def cold_starts(context: Any, devtools: Any, base_url: str, runs: int) -> list[float]:
    """Offline: stop the service worker, open a new page, time navigation start → home in the DOM."""
    timings = []
    context.set_offline(True)
    for _ in range(runs):
        devtools.send("ServiceWorker.stopAllWorkers")
        page = context.new_page()
        page.goto(base_url + "/", wait_until="commit")
        page.wait_for_selector(hook("home"))
        timings.append(float(page.evaluate("window.__homeAt")))
        page.close()
    return timings


def visit_saves(page: Any, customer_id: str, runs: int) -> list[float]:
    timings = []
    for n in range(runs):
        page.evaluate("location.hash = '#/visit/new'")
        page.wait_for_selector(hook("visit-customer"))
        page.select_option(hook("visit-customer"), customer_id)
        page.select_option(hook("visit-outcome"), "interested")
        page.fill(hook("visit-satisfaction"), "4")
        page.fill(hook("visit-notes"), f"bench visit {n}: 客户要求下周报价")
        timings.append(float(page.evaluate(TIME_VISIT_SAVE)))
        page.wait_for_selector(hook("home"))
    return timings


def kb(n: int) -> float:
    return n / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs for each timed figure (median reported)")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"Chromium is not installed at {CHROMIUM}")
    # Service workers' own requests are reported by Playwright only with this switch.
    os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="pwa-bench-") as folder:
        tmp = Path(folder)
        with TestDatabase.sqlite(tmp) as database, ServerPool(tmp) as pool:
            server = pool.start(database)
            org = database.seed_org()
            lead = server.sign_in(org.email("lead1"))
            customers = [
                lead.post("/api/v1/customers", json={"name": name, "owner_id": org.user("rep1")}).json()["id"]
                for name in ("华东五金", "西湖茶庄")
            ]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    context = browser.new_context(viewport=PHONE_VIEWPORT, service_workers="allow")
                    context.add_init_script(HOME_WATCH)
                    context.set_default_timeout(60_000)
                    load = first_load(context, server.base_url)
                    page = load["page"]
                    devtools = context.new_cdp_session(page)
                    devtools.send("ServiceWorker.enable")
                    started = time.perf_counter()
                    sign_in(page, org.email("rep1"))
                    sign_in_ms = (time.perf_counter() - started) * 1000
                    cold = cold_starts(context, devtools, server.base_url, args.runs)
                    # Offline, on a page that started offline: the rep's everyday case.
                    offline_page = context.new_page()
                    offline_page.goto(server.base_url + "/", wait_until="commit")
                    offline_page.wait_for_selector(hook("home"))
                    saves = visit_saves(offline_page, customers[0], args.runs)
                    devtools.detach()
                    context.close()
                finally:
                    browser.close()

    page_total = sum(load["page_bytes"].values())
    worker_total = sum(load["worker_bytes"].values())
    gzipped = sum(1 for e in load["encodings"].values() if e == "gzip")
    cold_median = statistics.median(cold)
    save_median = statistics.median(saves)
    print("Fieldgoal PWA bench (headless Chromium, real server on 127.0.0.1, SQLite)")
    print(f"  runs per timed figure: {args.runs}")
    print()
    print(
        f"  offline cold start → home   median {cold_median:7.1f} ms   (min {min(cold):.1f}, max {max(cold):.1f})"
        f"   target ≤ {TARGET_COLD_START_MS:.0f} ms: {verdict(cold_median, TARGET_COLD_START_MS)}"
    )
    print(
        f"  shell, first load (page)    {kb(page_total):7.1f} KB encoded in {len(load['page_bytes'])} responses"
        f" ({gzipped} of {len(load['encodings'])} URLs gzip)   target ≤ {TARGET_SHELL_KB:.0f} KB:"
        f" {verdict(kb(page_total), TARGET_SHELL_KB)}"
    )
    print(
        f"  + service worker precache   {kb(worker_total):7.1f} KB encoded in {len(load['worker_bytes'])} responses"
        f"   (page + precache: {kb(page_total + worker_total):.1f} KB)"
    )
    print(
        f"  visit saved offline         median {save_median:7.1f} ms   (min {min(saves):.1f}, max {max(saves):.1f})"
        f"   target ≤ {TARGET_VISIT_MS:.0f} ms: {verdict(save_median, TARGET_VISIT_MS)}"
    )
    print(f"  (sign-in to first sync done: {sign_in_ms:.0f} ms, online, for reference)")
    print()
    print("  largest responses of the first load (encoded bytes, page):")
    for url, size in sorted(load["page_bytes"].items(), key=lambda item: -item[1])[:8]:
        print(f"    {size:7d}  {load['encodings'].get(url, '?'):8s}  {url}")


if __name__ == "__main__":
    main()
