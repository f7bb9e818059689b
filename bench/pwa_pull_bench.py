"""How fast the phone app writes a pull into IndexedDB, in headless Chromium: `python -m bench.pwa_pull_bench`.

A manager's first sync of the demo company is about 26,000 records. This feeds pages of pulled changes shaped
as docs/sync.md "Shapes on the wire" says (visits, with a customer every tenth record; the first page says
`reset`) into the app's own modules as they are in the working tree, one transaction per page as a sync
round has it: settle the (empty) results, apply the changes, store the cursor. Three ways, in the same page
and the same run, each on a fresh database:

- before: every `put` awaited before the next is made, in a transaction over every sync store (how sync.js
  and db.applyChangesIn wrote a page before; the loop is kept below, verbatim);
- batched: db.applyChangesIn as it is now (every request of the page made at once, the last one awaited),
  still over every sync store;
- now: sync.js's own `applyPage`, the batched apply in a transaction over only the stores the page writes.

`--lean` feeds the lean wire as well: each change's `data` without its null fields and without `id`,
`version`, `updated_at` (they stay on the change).

No server: the origin is routed by Playwright (pwa/js served from the working tree, the pages as JSON), so the
figure is IndexedDB and the app's code alone, from the parsed page to the committed transaction (fetching and
parsing the answer are not in it). Figures are printed, never asserted: benches are not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, PHONE_VIEWPORT

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "pwa" / "js"
ORIGIN = "http://localhost:8765"
TARGET_RECORDS_PER_S = 10_000
BEFORE = "before: one by one, every store"
NOW = "now: batched, the page's stores"
WAYS = {BEFORE: "one", "batched, every store": "batched", NOW: "now"}
SHANGHAI = timezone(timedelta(hours=8))
OUTCOMES = ["follow_up", "interested", "not_interested", "ordered"]
NOTES = [
    "客户要求下周报价，关注交期",
    "Met the purchasing manager; samples next week.",
    "老板不在，约了周四再来",
    "",
]

# The old loop of db.applyChangesIn, verbatim but for the names it imports: one await per request.
PAGE_SCRIPT = """
import * as db from '/static/js/db.js';
import * as outbox from '/static/js/outbox.js';
import { applyPage } from '/static/js/sync.js';

async function oneByOne(tx, changes, reset) {
  if (reset) for (const name of db.ENTITIES) await db.req(tx.objectStore(name).clear());
  for (const change of changes || []) {
    if (!db.ENTITIES.includes(change.entity)) continue;
    const store = tx.objectStore(change.entity);
    if (change.deleted) {
      await db.req(store.delete(change.id));
    } else {
      await db.req(store.put({ ...(change.data || {}), id: change.id, version: change.version,
        updated_at: change.updated_at ?? change.data?.updated_at }));
    }
  }
}

const deleteDatabase = () => new Promise((resolve, reject) => {
  const request = indexedDB.deleteDatabase('fieldgoal');
  request.onsuccess = () => resolve();
  request.onerror = () => reject(request.error);
  request.onblocked = () => reject(new Error('the database is still open'));
});

/** One first sync: every page in its own transaction, as sync.js's round does it. Returns ms. */
window.pull = async (pages, way) => {
  await deleteDatabase();
  await db.open();
  const apply = way === 'batched' ? db.applyChangesIn : oneByOne;
  const start = performance.now();
  for (const page of pages) {
    if (way === 'now') { await applyPage(page); continue; }
    await db.transaction(db.SYNC_STORES, 'readwrite', async (tx) => {
      await outbox.settleIn(tx, page.results);
      await apply(tx, page.changes, page.reset === true);
      await db.setMetaIn(tx, 'cursor', page.cursor);
    });
  }
  const elapsed = performance.now() - start;
  const count = await db.transaction(['visit', 'customer'], 'readonly', async (tx) =>
    (await db.req(tx.objectStore('visit').count())) + (await db.req(tx.objectStore('customer').count())));
  return { elapsed, count };
};
window.ready = true;
"""


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def visit_change(
    rng: random.Random, customers: list[str], reps: list[str], lead: str, now: datetime
) -> dict[str, Any]:
    """A visit as the server renders it into `changes`, with the mix of null and set fields of the demo data."""
    check_in = now - timedelta(days=rng.randrange(0, 180), minutes=rng.randrange(0, 600))
    status = rng.choice(["draft", "submitted", "approved", "approved", "approved", "rejected"])
    reviewed = status in ("approved", "rejected")
    located = rng.random() < 0.8
    updated_at = iso((check_in + timedelta(hours=2)).astimezone(UTC)).replace("+00:00", "Z")
    record_id = str(uuid.UUID(int=rng.getrandbits(128)))
    version = rng.randrange(1, 5)
    data = {
        "id": record_id,
        "version": version,
        "updated_at": updated_at,
        "customer_id": rng.choice(customers),
        "opportunity_id": None,
        "rep_id": rng.choice(reps),
        "check_in_at": iso(check_in),
        "check_out_at": iso(check_in + timedelta(minutes=rng.randrange(10, 90))) if rng.random() < 0.6 else None,
        "lat": round(31.2 + rng.random() / 10, 6) if located else None,
        "lon": round(121.4 + rng.random() / 10, 6) if located else None,
        "accuracy_m": rng.randrange(5, 80) if located else None,
        "purpose": rng.choice(["拜访", "报价", None]),
        "outcome": rng.choice(OUTCOMES),
        "satisfaction": rng.choice([None, 3, 4, 5]),
        "notes": rng.choice(NOTES) or None,
        "next_follow_up_on": (check_in + timedelta(days=7)).date().isoformat() if rng.random() < 0.4 else None,
        "status": status,
        "review_comment": "请补充照片" if status == "rejected" else None,
        "reviewed_by": lead if reviewed else None,
        "reviewed_at": iso(check_in + timedelta(days=1)) if reviewed else None,
        "distance_m": round(rng.random() * 300, 1) if located else None,
        "received_at": updated_at,
    }
    return {
        "entity": "visit",
        "id": record_id,
        "version": version,
        "updated_at": updated_at,
        "deleted": False,
        "data": data,
    }


def customer_change(rng: random.Random, record_id: str, owner: str, now: datetime) -> dict[str, Any]:
    updated_at = iso(now.astimezone(UTC)).replace("+00:00", "Z")
    data = {
        "id": record_id,
        "version": 1,
        "updated_at": updated_at,
        "name": f"华东五金 {rng.randrange(10_000)}",
        "address": "上海市浦东新区张江路 88 号",
        "contact": rng.choice(["王经理", None]),
        "phone": rng.choice(["13800000000", None]),
        "lat": 31.2,
        "lon": 121.5,
        "owner_id": owner,
        "status": rng.choice(["prospect", "active"]),
        "first_won_on": None,
        "city": "上海",
    }
    return {
        "entity": "customer",
        "id": record_id,
        "version": 1,
        "updated_at": updated_at,
        "deleted": False,
        "data": data,
    }


def lean(change: dict[str, Any]) -> dict[str, Any]:
    """The lean wire: `data` without null fields and without what the change itself carries."""
    data = {k: v for k, v in change["data"].items() if v is not None and k not in ("id", "version", "updated_at")}
    return {**change, "data": data}


def build_pages(records: int, page_size: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI)
    reps = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(40)]
    lead = str(uuid.UUID(int=rng.getrandbits(128)))
    customers = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(max(1, records // 10))]
    changes: list[dict[str, Any]] = []
    for n in range(records):
        if n % 10 == 0 and n // 10 < len(customers):
            changes.append(customer_change(rng, customers[n // 10], rng.choice(reps), now))
        else:
            changes.append(visit_change(rng, customers, reps, lead, now))
    pages = []
    for start in range(0, records, page_size):
        pages.append(
            {
                "results": [],
                "changes": changes[start : start + page_size],
                "cursor": f"1.{start + page_size}",
                "has_more": start + page_size < records,
                "reset": start == 0,
            }
        )
    return pages


def serve(route: Any, pages: dict[str, str]) -> None:
    path = route.request.url[len(ORIGIN) :].split("?")[0]
    if path == "/":
        body = f'<!doctype html><meta charset="utf-8"><script type="module">{PAGE_SCRIPT}</script>'
        return route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)
    if path.startswith("/static/js/"):
        file = JS / path[len("/static/js/") :]
        if file.is_file() and JS in file.resolve().parents:
            return route.fulfill(status=200, content_type="text/javascript; charset=utf-8", body=file.read_text())
    if path in pages:
        return route.fulfill(status=200, content_type="application/json", body=pages[path])
    return route.fulfill(status=404, body="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each way (median reported)")
    parser.add_argument("--records", type=int, default=26_000, help="records in the pull")
    parser.add_argument("--page", type=int, default=500, help="changes per page (sync.js asks for 500)")
    parser.add_argument(
        "--lean",
        action="store_true",
        help="also feed the lean wire (nulls and id/version/updated_at left out of data)",
    )
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    full = build_pages(args.records, args.page)
    wires = {"full": full}
    if args.lean:
        wires["lean"] = [{**page, "changes": [lean(c) for c in page["changes"]]} for page in full]
    bodies = {f"/pages/{name}.json": json.dumps(pages, ensure_ascii=False) for name, pages in wires.items()}
    timings: dict[tuple[str, str], list[float]] = {}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=PHONE_VIEWPORT, service_workers="block")
            context.route("**/*", lambda route: serve(route, bodies))
            page = context.new_page()
            page.goto(ORIGIN + "/")
            page.wait_for_function("() => window.ready === true", timeout=60_000)
            for name in wires:
                page.evaluate(
                    f"async () => {{ window.pages = await (await fetch('/pages/{name}.json')).json(); }}"
                )
                order = list(WAYS)
                for run in range(args.runs):
                    # Each run in a rotated order, so no way always meets a warmer (or fuller) disk.
                    for way in order[run % len(order) :] + order[: run % len(order)]:
                        result = page.evaluate("async (way) => window.pull(window.pages, way)", WAYS[way])
                        if result["count"] != args.records:
                            raise SystemExit(f"{way}: {result['count']} records stored, {args.records} pulled")
                        timings.setdefault((name, way), []).append(args.records / (result["elapsed"] / 1000))
            context.close()
        finally:
            browser.close()

    print("Fieldgoal PWA pull into IndexedDB (headless Chromium, the app's db.js, outbox.js and sync.js)")
    print(
        f"  {args.records:,} records (visits, a customer every tenth) in pages of {args.page}, "
        f"one transaction per page; {args.runs} runs of each way"
    )
    print()
    for name in wires:
        before = timings[(name, BEFORE)]
        print(f"  {name} wire")
        for way in WAYS:
            figures = timings[(name, way)]
            median = statistics.median(figures)
            ratio = statistics.median([n / o for n, o in zip(figures, before, strict=True)])
            print(
                f"    {way:34s} median {median:7,.0f} records/s  (min {min(figures):6,.0f}, max {max(figures):6,.0f})"
                f"  {args.records / median:4.1f} s  ×{ratio:.2f} of before"
            )
        median_now = statistics.median(timings[(name, NOW)])
        verdict = "meets" if median_now >= TARGET_RECORDS_PER_S else "MISSES"
        print(f"    now: target ≥ {TARGET_RECORDS_PER_S:,} records/s: {verdict}")
        print()


if __name__ == "__main__":
    main()
