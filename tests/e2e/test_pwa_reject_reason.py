"""A lead's approval queue in words. A reject asks for its reason before anything is queued: the reason field
opens on the first press, a press with it empty queues nothing, and the reject that reaches the server carries
what the lead typed. An amendment names the field as the visit screen labels it, with its values in words."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone, hook
from tests.e2e.test_pwa_screens import shot
from tests.support.server import wait_until
from tests.sync.helpers import Phone as SyncClient

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
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(lead, "approvals-reject-reason")
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


def test_an_amendment_names_its_field_and_values_in_words(live: Live, new_context: Any) -> None:
    store = live.add_customer("rep2", "联华便利")
    rep = SyncClient(live.api("rep2"))
    visit_id = str(uuid.uuid4())
    fields = {
        "customer_id": store,
        "check_in_at": today_in().replace(microsecond=0).isoformat(),
        "satisfaction": 4,
    }
    rep.queue_mutation("visit", "create", visit_id, fields=fields)
    rep.queue_mutation("visit", "action", visit_id, name="submit", base_version=1)
    assert all(r["status"] == "applied" for body in rep.sync() for r in body["results"])
    ((version,),) = live.rows("SELECT version FROM visit WHERE id = :id", id=visit_id)
    decision = {"id": visit_id, "base_version": version, "approve": True}
    assert live.api("lead1").post("/api/v1/visits/review", json={"decisions": [decision]}).status_code == 200
    ((version,),) = live.rows("SELECT version FROM visit WHERE id = :id", id=visit_id)
    rep.queue_mutation("visit", "update", visit_id, base_version=version, fields={"satisfaction": 2})
    rep.sync()

    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go("#/approvals")
    change = lead.at("amendment-change", field="satisfaction")
    expect(change).to_have_text("satisfaction: ★★★★ → ★★")
    lead.go("#/me")
    lead.at("lang-switch").click()
    lead.go("#/approvals")
    expect(change).to_have_text("满意度：★★★★ → ★★")
    assert lead.errors == []
