"""Work that the server refuses or a lead reviews, as the people involved see it on their phones: a refused
visit shows its reason and can be dismissed or fixed (SYNC.md rule 3); a lead's approval in the app reaches
the rep's phone (rule 6)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import Live, today_in
from tests.e2e.phone import Phone, hook
from tests.support.server import wait_until

pytestmark = pytest.mark.browser


def lock_periods(live: Live, unit: str, by: str) -> None:
    """Close this year and next for the unit (a lock on the year holds whatever the day is)."""
    year = today_in().year
    for period in (str(year), str(year + 1)):
        live.execute(
            "INSERT INTO period_lock (id, unit_id, period, locked_by, locked_at) "
            "VALUES (:id, :unit, :period, :by, CURRENT_TIMESTAMP)",
            id=str(uuid.uuid4()),
            unit=live.org.unit(unit),
            period=period,
            by=live.org.user(by),
        )


def test_refused_visit_shows_its_reason_and_can_be_dismissed_or_fixed(live: Live, context: Any) -> None:
    customer = live.add_customer("rep3", "西湖茶庄")
    lock_periods(live, "team2", by="lead2")
    phone = Phone(context).open().sign_in(live.org.email("rep3"))

    first = phone.log_visit(customer, notes="refused, then dismissed")
    second = phone.log_visit(customer, notes="refused, then fixed")

    # One card per refused visit (its submit, refused only because the create was, folds into it).
    cards = phone.at("rejected-item")
    expect(cards).to_have_count(2)
    phone.wait_pending(0)
    year = str(today_in().year)
    for card in cards.all():
        expect(card.locator(".reason")).to_contain_text(f"the period {year} is closed")
    assert live.rows("SELECT id FROM visit WHERE id IN (:a, :b)", a=first, b=second) == []
    mid_of = {r["mutation"]["id"]: r["mid"] for r in phone.storage()["rejected"]}
    assert set(mid_of) == {first, second}

    phone.at("rejected-item", mid=str(mid_of[first])).locator(hook("rejected-dismiss")).click()
    expect(cards).to_have_count(1)
    expect(phone.at("rejected-item", mid=str(mid_of[second]))).to_be_visible()

    # The lead reopens the period; the rep fixes the refused visit: the form comes back filled in.
    live.execute("DELETE FROM period_lock WHERE unit_id = :unit", unit=live.org.unit("team2"))
    phone.at("rejected-item", mid=str(mid_of[second])).locator(hook("rejected-fix")).click()
    expect(phone.at("visit-customer")).to_have_value(customer)
    expect(phone.at("visit-notes")).to_have_value("refused, then fixed")
    phone.at("visit-save").click()
    expect(phone.at("home")).to_be_visible()
    expect(cards).to_have_count(0)
    phone.wait_pending(0)

    stored = live.rows(
        "SELECT id, status FROM visit WHERE rep_id = :rep AND notes = :notes",
        rep=live.org.user("rep3"),
        notes="refused, then fixed",
    )
    assert len(stored) == 1
    new_id, status = stored[0]
    assert new_id not in (first, second) and status == "submitted"
    expect(phone.at("visit-item", id=new_id)).to_have_attribute("data-status", "submitted")
    assert phone.errors == []


def test_lead_approves_in_the_app_and_the_rep_sees_it(live: Live, new_context: Any) -> None:
    customer = live.add_customer("rep1", "钱塘建材")
    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    visit_id = rep.log_visit(customer, outcome="ordered", satisfaction=5, notes="waiting for the lead")
    rep.wait_pending(0)
    expect(rep.at("visit-item", id=visit_id)).to_have_attribute("data-status", "submitted")

    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go("#/approvals")
    item = lead.at("approve-item", id=visit_id)
    expect(item).to_contain_text("钱塘建材")
    item.locator(hook("approve")).click()
    lead.wait_pending(0)
    expect(lead.at("approve-item", id=visit_id)).to_have_count(0)

    wait_until(
        lambda: (
            live.rows("SELECT status, reviewed_by FROM visit WHERE id = :id", id=visit_id)
            == [("approved", live.org.user("lead1"))]
        ),
        20,
        "the approval on the server",
    )

    rep.sync_now()
    expect(rep.at("visit-item", id=visit_id)).to_have_attribute("data-status", "approved")
    rep.go("#/inbox")
    expect(rep.at("inbox-item")).not_to_have_count(0)
    assert rep.errors == [] and lead.errors == []


def test_a_leads_refused_decision_shows_on_the_team_home(live: Live, new_context: Any) -> None:
    customer = live.add_customer("rep1", "临平五金")
    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    visit_id = rep.log_visit(customer, notes="decided while the period closes")
    rep.wait_pending(0)

    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go("#/approvals")
    item = lead.at("approve-item", id=visit_id)
    expect(item).to_be_visible()
    lead.offline()
    item.locator(hook("approve")).click()
    expect(lead.at("pending-count")).to_have_text("1")
    # Closed on the server while the lead's approval waits on the phone: the server refuses it.
    lock_periods(live, "team1", by="lead1")
    lead.online()
    lead.sync_now()
    lead.wait_pending(0)

    lead.go("#/")
    expect(lead.at("home")).to_have_attribute("data-home", "team")
    card = lead.at("rejected-item")
    expect(card).to_have_count(1)
    expect(card.locator(".reason")).to_contain_text(str(today_in().year))
    assert live.rows("SELECT status FROM visit WHERE id = :id", id=visit_id) == [("submitted",)]
    assert rep.errors == [] and lead.errors == []
