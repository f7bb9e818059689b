"""A lead's reject asks for its reason before anything is queued: the reason field opens on the first press,
a press with it empty queues nothing, and the reject that reaches the server carries what the lead typed."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import Live
from tests.e2e.phone import Phone, hook
from tests.support.server import wait_until

pytestmark = pytest.mark.browser


def test_reject_queues_nothing_until_its_reason_is_written(live: Live, new_context: Any) -> None:
    customer = live.add_customer("rep1", "华联超市")
    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    visit_id = rep.log_visit(customer, notes="no photo yet")
    rep.wait_pending(0)

    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go("#/approvals")
    item = lead.at("approve-item", id=visit_id)
    expect(item).to_contain_text("华联超市")
    reason = item.locator(hook("reject-comment"))
    expect(reason).to_be_hidden()

    item.locator(hook("reject")).click()
    expect(reason).to_be_visible()
    expect(reason).to_be_focused()
    item.locator(hook("reject")).click()
    expect(item.locator(hook("reject-message"))).to_have_text("Say why you reject them")
    expect(reason).to_have_attribute("aria-invalid", "true")
    assert lead.storage()["outbox"] == []
    assert lead.pending() == 0

    reason.fill("缺少门头照片")
    item.locator(hook("reject")).click()
    lead.wait_pending(0)
    expect(lead.at("approve-item", id=visit_id)).to_have_count(0)
    wait_until(
        lambda: (
            live.rows("SELECT status, review_comment FROM visit WHERE id = :id", id=visit_id)
            == [("rejected", "缺少门头照片")]
        ),
        20,
        "the reject and its reason on the server",
    )
    assert lead.errors == []
