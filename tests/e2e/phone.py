"""A phone running the PWA, driven the way a rep or a lead uses it: through the `data-test` hooks that
CONTRACT.md promises, never through the app's modules. What the app keeps on the phone (the outbox, the
sync `client_id`) is read from IndexedDB only to compare it with what the server stored.
"""

from __future__ import annotations

import time
from typing import Any

from tests.factories import PASSWORD

# Reads the app's IndexedDB without creating or upgrading it (db.js owns the schema: stores `outbox`,
# `rejected`, `meta`, and the replica's `visit`). Resolves with {outbox, rejected, visits: [...], meta: {client_id,
# next_mid}}.
READ_DB = """async () => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('fieldgoal');
    open.onupgradeneeded = () => { open.transaction.abort(); };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const read = (store, how) => new Promise((resolve, reject) => {
    const request = how(db.transaction(store).objectStore(store));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    return {
      outbox: await read('outbox', (s) => s.getAll()),
      rejected: await read('rejected', (s) => s.getAll()),
      visits: await read('visit', (s) => s.getAll()),
      meta: {
        client_id: await read('meta', (s) => s.get('client_id')),
        next_mid: await read('meta', (s) => s.get('next_mid')),
      },
    };
  } finally {
    db.close();
  }
}"""

# Writes one value of the app's `meta` store (the page's [key, value]); a value `{now}` gets the page's clock
# as an ISO time in its `fetched_at`.
PUT_META = """async ([key, value]) => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('fieldgoal');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  if (value && value.fetched_at === '{now}') value.fetched_at = new Date().toISOString();
  await new Promise((resolve, reject) => {
    const tx = db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put(value, key);
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""


def hook(name: str, **attrs: str) -> str:
    """The CSS selector of a `data-test` hook, optionally narrowed by other attributes (`id` → data-id)."""
    extra = "".join(f'[data-{key}="{value}"]' for key, value in attrs.items())
    return f'[data-test="{name}"]{extra}'


class Phone:
    """One page of the app in a browser context (one context = one phone)."""

    def __init__(self, context: Any):
        self.context = context
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def at(self, name: str, **attrs: str) -> Any:
        return self.page.locator(hook(name, **attrs))

    # ---- the app's life -----------------------------------------------------------------------------------

    def open(self, path: str = "/") -> Phone:
        self.page.goto(path)
        return self

    def sign_in(self, email: str, password: str = PASSWORD) -> Phone:
        """Sign in from the login screen and wait for the home screen and the first full sync."""
        self.at("login-email").fill(email)
        self.at("login-password").fill(password)
        self.at("login-submit").click()
        self.at("home").wait_for()
        self.wait_synced()
        return self

    def wait_offline_ready(self) -> None:
        """The service worker controls the page: the shell is precached, the app can start offline."""
        # Predicates are functions, never expressions: Playwright eval()s an expression in the page, and the
        # app's Content-Security-Policy forbids eval.
        self.page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    def offline(self) -> None:
        self.context.set_offline(True)

    def online(self) -> None:
        self.context.set_offline(False)

    def reload(self) -> None:
        self.page.reload()

    def go(self, route: str) -> None:
        """Follow an in-app link (the hash router), e.g. "#/approvals"."""
        self.page.evaluate("(hash) => { location.hash = hash; }", route)

    # ---- sync ---------------------------------------------------------------------------------------------

    def pending(self) -> int:
        return int(self.at("pending-count").inner_text())

    def wait_pending(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.pending() != count:
            if time.monotonic() > deadline:
                raise AssertionError(f"pending-count stayed {self.pending()}, expected {count}")
            self.page.wait_for_timeout(100)

    def wait_synced(self) -> None:
        """The header says when the last sync finished; wait until a sync has finished since sign-in."""
        self.page.wait_for_function(
            "() => document.querySelector('[data-test=\"last-synced\"]')?.textContent.match(/\\d/) !== null"
        )

    def sync_now(self) -> None:
        self.at("sync-now").click()

    def storage(self) -> dict[str, Any]:
        """The app's outbox, rejected receipts and sync identity, as IndexedDB holds them."""
        return dict(self.page.evaluate(READ_DB))

    # ---- what a rep does ----------------------------------------------------------------------------------

    def log_visit(
        self, customer_id: str, *, outcome: str = "interested", satisfaction: int = 4, notes: str
    ) -> str:
        """Tap "log visit", fill the form, save; returns the new visit's id (the phone makes it)."""
        self.at("visit-new").click()
        self.at("visit-customer").select_option(customer_id)
        self.at("visit-outcome").select_option(outcome)
        self.at("visit-satisfaction").fill(str(satisfaction))
        self.at("visit-notes").fill(notes)
        self.at("visit-save").click()
        self.at("home").wait_for()
        # Queued, or (online) perhaps already settled: synced back into the replica, or refused.
        stored = self.storage()
        ids = {
            m["id"]
            for m in stored["outbox"]
            if m["entity"] == "visit" and m["op"] == "create" and m["fields"].get("notes") == notes
        }
        ids |= {v["id"] for v in stored["visits"] if v.get("notes") == notes}
        ids |= {
            r["mutation"]["id"]
            for r in stored["rejected"]
            if r["mutation"]["entity"] == "visit"
            and r["mutation"]["op"] == "create"
            and r["mutation"]["fields"].get("notes") == notes
        }
        assert len(ids) == 1, stored
        return str(ids.pop())
