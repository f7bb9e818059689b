"""The lean wire: a pulled change's `data` without its null fields and without `id`, `version`, `updated_at`
(they stay on the change). A client treats a missing field as null (docs/sync.md, "Shapes on the wire"), so
the rep's home, visit list, a visit's detail and their other screens read the same as with every field sent,
and saving a visit the rep did not change queues nothing.

The server's answer is rewritten on its way to the page (Playwright's route), so the service worker is kept
out of this phone: a route does not see requests a service worker handles.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import PHONE_VIEWPORT, STEP_MS, Live, today_in
from tests.e2e.phone import Phone
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser

ON_THE_ENVELOPE = ("id", "version", "updated_at")
# What a screen shows when it printed a missing or null value instead of reading it as absent.
LEAKED = re.compile(r"\b(null|undefined|NaN|Invalid Date)\b")


class LeanWire:
    """Rewrites every answer of POST /api/v1/sync as the lean wire (whatever the server sends), counting the
    changes it rewrote."""

    def __init__(self) -> None:
        self.changes = 0

    def __call__(self, route: Any) -> None:
        response = route.fetch()
        body = response.json()
        for change in body.get("changes") or []:
            data = change.get("data")
            if not isinstance(data, dict):
                continue
            self.changes += 1
            for name in [name for name, value in data.items() if value is None or name in ON_THE_ENVELOPE]:
                del data[name]
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in ("content-encoding", "content-length")
        }
        route.fulfill(status=response.status, headers=headers, body=json.dumps(body))


def shows_no_missing_value(phone: Phone) -> None:
    text = phone.page.locator("#view").inner_text()
    assert not LEAKED.search(text), text


def test_the_rep_reads_records_the_lean_wire_sent_without_their_null_fields(live: Live, browser: Any) -> None:
    shop = live.add_customer("rep1", "Lean Wire Hardware", address="8 Binjiang Road, Hangzhou")
    rep = SyncClient(live.api("rep1"))
    now = today_in().replace(microsecond=0)
    # Both of today, the rated one the later (it names the follow-up home lists), whenever the test runs.
    earlier = max(now.replace(hour=0, minute=0, second=0), now - timedelta(minutes=2))
    rated, unrated = str(uuid.uuid4()), str(uuid.uuid4())
    rep.queue_mutation(
        "visit",
        "create",
        rated,
        fields={
            "customer_id": shop,
            "check_in_at": now.isoformat(),
            "outcome": "interested",
            "satisfaction": 4,
            "notes": "lean: rated",
            "next_follow_up_on": (now + timedelta(days=3)).date().isoformat(),
        },
    )
    rep.queue_mutation("visit", "action", rated, name="submit", base_version=1)
    # Everything a rep may leave out is left out: no position, no satisfaction, no follow-up, no purpose.
    rep.queue_mutation(
        "visit",
        "create",
        unrated,
        fields={
            "customer_id": shop,
            "check_in_at": earlier.isoformat(),
            "outcome": "follow_up",
            "notes": "lean: unrated",
        },
    )
    receipts = [r for body in rep.sync() for r in body["results"]]
    assert receipts and all(r["status"] == "applied" for r in receipts), receipts

    context = browser.new_context(base_url=live.base_url, viewport=PHONE_VIEWPORT, service_workers="block")
    context.set_default_timeout(STEP_MS)
    try:
        wire = LeanWire()
        context.route(re.compile(r"/api/v1/sync$"), wire)
        phone = Phone(context).open().sign_in(live.org.email("rep1"))

        # The wire was lean, and the replica keeps the records as sent: null fields missing, the envelope's in.
        assert wire.changes > 0
        stored = {v["id"]: v for v in phone.storage()["visits"]}
        assert {"satisfaction", "lat", "next_follow_up_on", "review_comment"}.isdisjoint(stored[unrated])
        for visit_id in (rated, unrated):
            assert stored[visit_id]["id"] == visit_id
            assert stored[visit_id]["version"] >= 1 and stored[visit_id]["updated_at"]

        # Home: both visits of today, the follow-up, each row as the full wire would show it.
        expect(phone.at("today-count")).to_have_text("2")
        expect(phone.at("visit-item")).to_have_count(2)
        expect(phone.at("visit-item", id=rated)).to_have_attribute("data-status", "submitted")
        expect(phone.at("visit-item", id=rated)).to_contain_text("Lean Wire Hardware")
        expect(phone.at("visit-item", id=rated)).to_contain_text("★★★★")
        expect(phone.at("visit-item", id=unrated)).to_have_attribute("data-status", "draft")
        expect(phone.at("visit-item", id=unrated)).not_to_contain_text("★")
        expect(phone.at("followup-item")).to_have_count(1)
        expect(phone.at("followup-item")).to_contain_text("Lean Wire Hardware")
        shows_no_missing_value(phone)

        # The unrated visit's detail: empty fields, not "null".
        phone.at("visit-item", id=unrated).click()
        expect(phone.at("visit-form")).to_be_visible()
        expect(phone.at("visit-customer")).to_have_value(shop)
        expect(phone.at("visit-outcome")).to_have_value("follow_up")
        expect(phone.at("visit-satisfaction")).to_have_value("")
        expect(phone.at("visit-next")).to_have_value("")
        expect(phone.at("visit-notes")).to_have_value("lean: unrated")
        shows_no_missing_value(phone)

        # Saved as it is (not submitted), offline so nothing leaves the queue: a missing field equals the
        # form's empty one, so there is nothing to send.
        phone.offline()
        phone.at("visit-submit").uncheck()
        phone.at("visit-save").click()
        expect(phone.at("home")).to_be_visible()
        expect(phone.at("pending-count")).to_have_text("0")
        assert phone.storage()["outbox"] == []
        phone.online()

        # The other screens that read the replica.
        phone.go("#/customers")
        expect(phone.at("customer-item", id=shop)).to_contain_text("8 Binjiang Road, Hangzhou")
        shows_no_missing_value(phone)
        phone.go("#/me")
        expect(phone.at("me")).to_be_visible()
        shows_no_missing_value(phone)
        for route in ("#/inbox", "#/goals"):
            phone.go(route)
            phone.page.wait_for_function("() => !document.querySelector('#view [data-test=\"me\"]')")
            shows_no_missing_value(phone)
        assert phone.errors == []
    finally:
        context.close()
