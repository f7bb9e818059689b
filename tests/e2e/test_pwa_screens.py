"""A 360×740 screenshot of every main screen, with real data on it, into test-artifacts/screens/ (git-ignored)
for people to look at; each screen is also checked to show what it is for.

rep1 and lead1 read English (their `locale`), so the screens are legible on machines without CJK fonts; the
first sign-in screen is the phone's default, zh-CN."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone, hook
from tests.support.server import wait_until

pytestmark = pytest.mark.browser


def shot(phone: Phone, name: str) -> None:
    # The last toast ("saved", "synced") would cover the screen's own content; it goes by itself anyway.
    phone.page.evaluate("document.getElementById('toast').hidden = true")
    phone.page.evaluate("document.fonts.ready")
    phone.page.screenshot(path=str(SCREENS / f"{name}.png"))


def test_screenshots_of_every_main_screen(live: Live, new_context: Any) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    month = today_in().strftime("%Y-%m")
    customer = live.add_customer("rep1", "Hangzhou Hardware Co.", address="88 Wensan Road, Hangzhou")
    live.add_customer("rep1", "Ningbo Tools Ltd.", address="12 Zhongshan Road, Ningbo")
    lead = live.api("lead1")
    for metric, target in (("visits", "40"), ("revenue", "500000"), ("satisfaction", "4.5")):
        response = lead.post(
            "/api/v1/goals",
            json={
                "subject_type": "user",
                "subject_id": live.org.user("rep1"),
                "metric": metric,
                "period": month,
                "target": target,
            },
        )
        assert response.status_code == 201, response.text

    rep = Phone(new_context()).open()
    expect(rep.at("login-submit")).to_be_visible()
    shot(rep, "signin-zh")
    rep.sign_in(live.org.email("rep1"))

    rep.at("visit-new").click()
    rep.at("visit-customer").select_option(customer)
    rep.at("visit-outcome").select_option("interested")
    rep.at("visit-satisfaction").fill("4")
    rep.at("visit-notes").fill("Wants a quote for 200 units by Friday.")
    shot(rep, "visit")
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    rep.wait_pending(0)
    expect(rep.at("visit-item")).to_have_count(1)
    shot(rep, "home")

    rep.go("#/customers")
    expect(rep.at("customer-item")).to_have_count(2)
    shot(rep, "customers")

    rep.go("#/goals")
    expect(rep.at("goal-progress")).to_have_count(3)
    shot(rep, "goals")

    approver = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    approver.go("#/approvals")
    expect(approver.at("approve-item")).to_have_count(1)
    shot(approver, "approvals")
    approver.at("approve-item").locator(hook("approve")).click()
    approver.wait_pending(0)
    # The pending count may still read 0 before the approval is even queued: wait for the server to have it.
    wait_until(
        lambda: live.rows("SELECT status FROM visit WHERE customer_id = :c", c=customer) == [("approved",)],
        20,
        "the approval on the server",
    )

    rep.go("#/")
    rep.sync_now()
    expect(rep.at("visit-item")).to_have_attribute("data-status", "approved")
    rep.go("#/inbox")
    expect(rep.at("inbox-item")).not_to_have_count(0)
    shot(rep, "inbox")

    # The phone's language, once chosen, stays after signing out: the sign-in screen in English.
    rep.go("#/me")
    rep.at("lang-switch").click()  # en → zh-CN
    rep.at("lang-switch").click()  # zh-CN → en, now the phone's own choice
    rep.at("sign-out").click()
    expect(rep.at("login-submit")).to_be_visible()
    shot(rep, "signin")

    assert {p.stem for p in SCREENS.glob("*.png")} >= {
        "signin-zh",
        "signin",
        "home",
        "visit",
        "customers",
        "goals",
        "inbox",
        "approvals",
    }
    assert rep.errors == [] and approver.errors == []
