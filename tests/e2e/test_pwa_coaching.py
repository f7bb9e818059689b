"""Coaching on the phones: a lead rates, comments and shares a rep's review in the app (#/reviews), the
rep's phone syncs it onto their "Me" screen and acknowledges it (online only; offline it says so); and the
rep's commission estimate ("¥X more pays ¥Y") shows what the server computes, and stays readable offline."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone, hook
from tests.e2e.test_pwa_screens import shot

pytestmark = pytest.mark.browser

TIERS = [
    {"up_to_attainment": "0.8", "rate": "0.03"},
    {"up_to_attainment": "1.0", "rate": "0.05"},
    {"up_to_attainment": None, "rate": "0.08"},
]


def yuan(amount: str) -> str:
    """How the app writes an amount in English: ¥80,000 · ¥2,400.50 (i18n.money: cents as two decimals)."""
    text = f"{Decimal(amount):,.2f}"
    return "¥" + (text[:-3] if text.endswith(".00") else text)


def test_lead_shares_a_review_and_the_rep_acknowledges_it(live: Live, new_context: Any) -> None:
    month = today_in().strftime("%Y-%m")
    lead_api = live.api("lead1")
    opened = lead_api.post("/api/v1/reviews", json={"rep_id": live.org.user("rep1"), "period": month})
    assert opened.status_code == 201, opened.text
    review = opened.json()
    keys = [d["key"] for d in review["dimensions"] if d["source"] == "rating"]
    assert keys

    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    rep.go("#/me")
    expect(rep.at("review-none")).to_be_visible()  # a draft never reaches the rep's phone

    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go("#/me")
    lead.at("nav-reviews").click()
    lead.at("review-item", id=review["id"]).click()
    expect(lead.at("review-rating")).to_have_count(len(keys))
    for index, key in enumerate(keys):
        lead.at("review-rating", key=key).select_option(str(4 + index % 2))
    lead.at("review-comments").fill("Strong month; keep the follow-ups within two days.")
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(lead, "review-lead")
    lead.at("review-save").click()
    expect(lead.at("review-message")).to_have_text("Saved")
    lead.at("review-share").click()
    expect(lead.at("review-detail")).to_have_attribute("data-status", "shared")
    stored = lead_api.get(f"/api/v1/reviews/{review['id']}").json()
    assert stored["status"] == "shared"
    assert stored["ratings"] == {key: 4 + index % 2 for index, key in enumerate(keys)}
    assert stored["comments"] == "Strong month; keep the follow-ups within two days."

    rep.sync_now()
    card = rep.at("review-card", id=review["id"])
    expect(card).to_be_visible()
    expect(card.locator(hook("review-lead-comments"))).to_have_text(stored["comments"])

    rep.offline()
    card.locator(hook("review-acknowledge")).click()
    expect(card.locator(hook("review-ack-message"))).to_contain_text("offline")
    rep.online()

    card.locator(hook("review-ack-comment")).fill("Thanks, will do.")
    card.locator(hook("review-acknowledge")).click()
    expect(rep.at("review-card", id=review["id"], acknowledged="yes")).to_be_visible()
    expect(rep.at("review-acknowledged")).to_contain_text("Thanks, will do.")
    shot(rep, "me-review")

    after = lead_api.get(f"/api/v1/reviews/{review['id']}").json()
    assert after["acknowledged_at"] is not None
    assert after["rep_comment"] == "Thanks, will do."
    rows = live.rows("SELECT acknowledged_at FROM review WHERE id = :id", id=review["id"])
    assert rows and rows[0][0] is not None
    assert not rep.errors and not lead.errors


def assign_commission_plan(live: Live, name: str, owner: str, team: str) -> str:
    """The boss makes a marginal plan (TIERS) in unit `owner` and applies it to `team`; returns its id."""
    boss = live.api("boss")
    created = boss.post(
        "/api/v1/commissions/plans",
        json={"name": name, "unit_id": live.org.unit(owner), "mode": "marginal", "tiers": TIERS},
    )
    assert created.status_code == 201, created.text
    assigned = boss.post(
        f"/api/v1/commissions/plans/{created.json()['id']}/assign",
        json={"subject_type": "unit", "subject_id": live.org.unit(team)},
    )
    assert assigned.status_code == 201, assigned.text
    return str(created.json()["id"])


@pytest.fixture(scope="module")
def commission_plan(live: Live) -> None:
    """Once per module (one server): a marginal plan for team1 and rep1's revenue goal for this month."""
    assign_commission_plan(live, "Field plan", "company", "team1")
    goal = live.api("lead1").post(
        "/api/v1/goals",
        json={
            "subject_type": "user",
            "subject_id": live.org.user("rep1"),
            "metric": "revenue",
            "period": today_in().strftime("%Y-%m"),
            "target": "100000",
        },
    )
    assert goal.status_code == 201, goal.text


def test_rep_sees_the_commission_estimate_online_and_offline(
    live: Live, new_context: Any, commission_plan: None
) -> None:
    estimate = live.api("rep1").get("/api/v1/commissions/estimate").json()
    step = estimate["next"]
    assert step is not None, estimate

    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    rep.go("#/me")
    card = rep.at("commission-estimate")
    expect(card).to_have_attribute("data-more-revenue", step["more_revenue"])
    expect(card).to_have_attribute("data-pays-extra", step["pays_extra"])
    expect(card).to_have_attribute("data-cached", "no")
    expect(card.locator(hook("commission-next"))).to_contain_text(
        f"{yuan(step['more_revenue'])} more pays {yuan(step['pays_extra'])} more"
    )
    expect(card.locator(hook("commission-total"))).to_have_text(yuan(estimate["total"]))
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(rep, "me-commission")

    rep.offline()
    rep.go("#/")
    expect(rep.at("home")).to_be_visible()
    rep.go("#/me")
    expect(card).to_have_attribute("data-cached", "yes")
    expect(card).to_have_attribute("data-pays-extra", step["pays_extra"])
    expect(card.locator(hook("commission-as-of"))).to_contain_text("Offline")
    rep.online()
    assert not rep.errors


def test_rep_opens_the_statement_from_me_and_sees_the_servers_lines(
    live: Live, new_context: Any, commission_plan: None
) -> None:
    answer = live.api("rep1").get("/api/v1/commissions/statements")
    assert answer.status_code == 200, answer.text
    statement = answer.json()
    lines = statement["lines"]
    assert lines, statement

    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    rep.go("#/me")
    rep.at("statement-open").click()
    screen = rep.at("statement")
    expect(screen).to_have_attribute("data-period", statement["period"])
    expect(screen).to_have_attribute("data-cached", "no")
    expect(rep.at("statement-status")).to_have_attribute("data-status", statement["status"])
    expect(rep.at("statement-status")).to_contain_text("Draft" if statement["status"] == "draft" else "Issued")
    shown = rep.at("statement-line")
    expect(shown).to_have_count(len(lines))
    for index, line in enumerate(lines):
        row = shown.nth(index)
        expect(row).to_have_attribute("data-kind", line["kind"])
        expect(row).to_have_attribute("data-amount", line["amount"])
        expect(row).to_contain_text(yuan(line["amount"]))
        if line["kind"] == "tier":
            expect(row).to_have_attribute("data-tier", str(line["tier"]))
            expect(row).to_have_attribute("data-base", line["base"])
            expect(row).to_have_attribute("data-rate", line["rate"])
            expect(row).to_contain_text(yuan(line["base"]))
    total = rep.at("statement-total")
    expect(total).to_have_attribute("data-total", statement["total"])
    expect(total).to_have_text(yuan(statement["total"]))
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(rep, "me-statement")

    rep.offline()
    rep.go("#/")
    expect(rep.at("home")).to_be_visible()
    rep.go(f"#/statement?period={statement['period']}")
    expect(rep.at("statement-offline")).to_contain_text("offline")
    expect(screen).to_have_attribute("data-cached", "yes")
    expect(rep.at("statement-line")).to_have_count(len(lines))
    rep.online()
    assert not rep.errors
