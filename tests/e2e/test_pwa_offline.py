"""The rep's phone in Chromium: signing in, starting with no network, and a visit logged offline that reaches
the server exactly once when the network returns (SYNC.md rule 1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.live import Live
from tests.e2e.phone import Phone, hook
from tests.factories import PASSWORD
from tests.support.server import wait_until

pytestmark = pytest.mark.browser


def test_rep_signs_in_and_sees_home(live: Live, context: object) -> None:
    phone = Phone(context).open()
    expect(phone.at("home")).to_have_count(0)

    phone.at("login-email").fill(live.org.email("rep1"))
    phone.at("login-password").fill("not-the-password")
    phone.at("login-submit").click()
    expect(phone.at("login-error")).not_to_be_empty()
    expect(phone.at("home")).to_have_count(0)

    phone.sign_in(live.org.email("rep1"), PASSWORD)
    expect(phone.at("home")).to_be_visible()
    expect(phone.at("pending-count")).to_have_text("0")
    expect(phone.at("visit-new")).to_be_visible()
    expect(phone.page.locator('[data-test^="nav-"]')).not_to_have_count(0)
    assert phone.errors == []


def test_app_starts_offline_with_its_data(live: Live, context: object) -> None:
    live.add_customer("rep1", "离线五金店")
    phone = Phone(context).open().sign_in(live.org.email("rep1"))
    phone.wait_offline_ready()

    phone.offline()
    phone.reload()

    expect(phone.at("home")).to_be_visible()
    expect(phone.at("offline-banner")).to_be_visible()
    phone.go("#/customers")
    expect(phone.at("customer-item").filter(has_text="离线五金店")).to_be_visible()
    assert phone.errors == []


def test_visit_logged_offline_reaches_the_server_exactly_once(live: Live, context: object) -> None:
    customer = live.add_customer("rep2", "江南机电")
    phone = Phone(context).open().sign_in(live.org.email("rep2"))
    phone.wait_offline_ready()
    phone.offline()

    visit_id = phone.log_visit(customer, outcome="interested", satisfaction=4, notes="offline: 对方要报价")

    # The visit's create and its submit for approval, both queued: one record waiting, listed as pending.
    phone.wait_pending(1)
    expect(phone.at("visit-item", id=visit_id)).to_be_visible()
    phone.reload()
    expect(phone.at("home")).to_be_visible()
    phone.wait_pending(1)
    expect(phone.at("visit-item", id=visit_id)).to_be_visible()
    expect(phone.at("offline-banner")).to_be_visible()
    stored = phone.storage()
    mids = sorted(m["mid"] for m in stored["outbox"])
    client_id = stored["meta"]["client_id"]
    assert len(mids) == 2
    assert live.rows("SELECT id FROM visit WHERE id = :id", id=visit_id) == []

    # Back online: the `online` trigger and a tap on "sync now" both flush; the server settles each mid once.
    phone.online()
    phone.sync_now()
    phone.wait_pending(0)
    item = phone.at("visit-item", id=visit_id)
    expect(item).to_have_attribute("data-status", "submitted")
    expect(item.locator(".chip-pending")).to_have_count(0)

    visits = live.rows("SELECT status, notes, satisfaction FROM visit WHERE id = :id", id=visit_id)
    assert [tuple(v) for v in visits] == [("submitted", "offline: 对方要报价", 4)]
    receipts = live.rows(
        "SELECT mid, count(*) FROM sync_receipt WHERE client_id = :client GROUP BY mid ORDER BY mid",
        client=client_id,
    )
    assert [(mid, n) for mid, n in receipts] == [(mid, 1) for mid in mids]
    # Nothing left to send: a later sync finds the queue empty and changes nothing.
    phone.sync_now()
    wait_until(lambda: phone.at("sync-now").evaluate("b => !b.classList.contains('spin')"), 20, "the sync")
    assert len(live.rows("SELECT id FROM visit WHERE id = :id", id=visit_id)) == 1
    expect(phone.page.locator(hook("visit-item", id=visit_id))).to_have_count(1)
    assert phone.errors == []
