"""The lead's and manager's desks in the app: a lead closes a shared review and the rep's phone shows it closed;
a lead at a laptop filters the approval desk by evidence and approves several visits at once, each with its
receipt; a rep's statement shows a back-pay line exactly as the API computes it; and the plan, scorecard,
commission-plan and audit screens do what they say, as the server records it."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import PUT_META, Phone, hook
from tests.e2e.test_pwa_coaching import TIERS, assign_commission_plan, yuan
from tests.e2e.test_pwa_screens import shot
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
# A field path or code as the server writes it (`make_up_workdays[0]`, `exit_criteria.0.period`, `too_many`):
# never on a screen, which names the field as its form labels it.
RAW_PATH = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z_]+(\.\d+|\[\d+\])")


def month_key(offset: int = 0) -> str:
    """This month (offset 0) or the one before (-1), as the API writes periods."""
    day = today_in().replace(day=1)
    if offset:
        day = (day - timedelta(days=1)).replace(day=1)
    return day.strftime("%Y-%m")


def period_words(key: str) -> str:
    """A month as the app names it in English ("2026-12" → "Dec 2026"), never the key."""
    return datetime.strptime(key, "%Y-%m").strftime("%b %Y")


def score_words(score: str) -> str:
    """A 0–100 score as the app writes numbers: at most one decimal, no trailing zero ("90.00" → "90")."""
    return f"{Decimal(score).quantize(Decimal('0.1'), ROUND_HALF_UP).normalize():f}"


def goal(live: Live, rep: str, metric: str, period: str, target: str) -> None:
    response = live.api("lead1" if rep in ("rep1", "rep2") else "lead2").post(
        "/api/v1/goals",
        json={
            "subject_type": "user",
            "subject_id": live.org.user(rep),
            "metric": metric,
            "period": period,
            "target": target,
        },
    )
    assert response.status_code == 201, response.text


def synced(client: SyncClient) -> None:
    """Push the client's queue; every mutation must be applied."""
    receipts = [r for body in client.sync() for r in body["results"]]
    assert receipts and all(r["status"] == "applied" for r in receipts), receipts


# What an older app cached when the estimate answered 409 `no_commission_plan` or `no_revenue_goal`
# (coaching.js `refreshEstimate`).
def cache_old_409(phone: Phone, code: str) -> None:
    phone.page.evaluate(PUT_META, ["commission_estimate", {"error": code, "fetched_at": "{now}"}])


def test_lead_closes_a_review_and_the_rep_sees_it_closed(live: Live, new_context: Any) -> None:
    lead_api = live.api("lead1")
    goal(live, "rep1", "visits", month_key(), "20")
    review = lead_api.post("/api/v1/reviews", json={"rep_id": live.org.user("rep1"), "period": month_key()}).json()
    keys = [d["key"] for d in review["dimensions"] if d["source"] == "rating"]
    rated = lead_api.patch(f"/api/v1/reviews/{review['id']}", json={"ratings": {k: 4 for k in keys}})
    assert rated.status_code == 200, rated.text
    assert lead_api.post(f"/api/v1/reviews/{review['id']}/share").status_code == 200

    lead = Phone(new_context())
    # The lead's Me asks for a commission estimate though no plan applies to a lead: that is an answer, and
    # the browser logs nothing (a 4xx would be a console error: Lighthouse's `errors-in-console`).
    console_errors: list[str] = []
    failed: list[str] = []
    lead.page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    lead.page.on(
        "response",
        lambda r: failed.append(f"{r.status} {r.url}") if "/api/" in r.url and r.status >= 400 else None,
    )
    lead.open().sign_in(live.org.email("lead1"))
    lead.go("#/me")
    expect(lead.at("commission-estimate")).to_have_attribute("data-plan", "none")
    expect(lead.at("commission-why")).to_have_text("No commission plan applies to you")
    lead.page.wait_for_load_state("networkidle")
    assert not console_errors and not failed, (console_errors, failed)
    # A phone may still hold what an older app cached from the 409: offline, Me reads it as the same sentence.
    cache_old_409(lead, "no_commission_plan")
    lead.offline()
    lead.go("#/")
    expect(lead.at("home")).to_be_visible()
    lead.go("#/me")
    expect(lead.at("commission-as-of")).to_contain_text("Offline")
    expect(lead.at("commission-estimate")).to_have_attribute("data-plan", "none")
    expect(lead.at("commission-why")).to_have_text("No commission plan applies to you")
    lead.online()
    # A plan applies to the lead now, but they have no revenue target this month: an answer too, naming the
    # plan, and Me says why there is no estimate with nothing logged.
    boss_api = live.api("boss")
    lead_plan = boss_api.post(
        "/api/v1/commissions/plans",
        json={"name": "Lead plan", "unit_id": live.org.unit("company"), "mode": "marginal", "tiers": TIERS},
    )
    assert lead_plan.status_code == 201, lead_plan.text
    assigned = boss_api.post(
        f"/api/v1/commissions/plans/{lead_plan.json()['id']}/assign",
        json={"subject_type": "user", "subject_id": live.org.user("lead1")},
    )
    assert assigned.status_code == 201, assigned.text
    answer = lead_api.get("/api/v1/commissions/estimate")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["plan"]["name"], answer.json()["missing"]) == ("Lead plan", "revenue_goal"), answer.text
    lead.go("#/")
    expect(lead.at("home")).to_be_visible()
    lead.go("#/me")
    expect(lead.at("commission-estimate")).to_have_attribute("data-missing", "revenue_goal")
    expect(lead.at("commission-estimate")).to_have_attribute("data-plan", "")
    expect(lead.at("commission-why")).to_have_text(
        "No revenue target for this period yet, so no commission estimate"
    )
    expect(lead.at("commission-as-of")).not_to_contain_text("Offline")
    lead.page.wait_for_load_state("networkidle")
    assert not console_errors and not failed, (console_errors, failed)
    # An older app's cached 409 `no_revenue_goal` reads as the same sentence offline.
    cache_old_409(lead, "no_revenue_goal")
    lead.offline()
    lead.go("#/")
    expect(lead.at("home")).to_be_visible()
    lead.go("#/me")
    expect(lead.at("commission-as-of")).to_contain_text("Offline")
    expect(lead.at("commission-estimate")).to_have_attribute("data-missing", "revenue_goal")
    expect(lead.at("commission-why")).to_have_text(
        "No revenue target for this period yet, so no commission estimate"
    )
    lead.online()
    lead.at("nav-reviews").click()
    lead.at("review-item", id=review["id"]).click()
    expect(lead.at("review-detail")).to_have_attribute("data-status", "shared")
    lead.at("review-close").click()
    expect(lead.at("review-detail")).to_have_attribute("data-status", "closed")
    closed = lead_api.get(f"/api/v1/reviews/{review['id']}").json()
    assert closed["status"] == "closed" and closed["score"] is not None
    # The lead's screens write the score as Me does: at most one decimal, never the API's decimal string.
    lead_score = score_words(closed["score"])
    expect(lead.at("review-closed")).to_contain_text(f"final score {lead_score} ·")
    expect(lead.at("review-total")).to_have_text(lead_score)
    assert closed["score"] == lead_score or closed["score"] not in lead.at("review-detail").inner_text()
    expect(lead.at("review-close")).to_have_count(0)
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(lead, "review-closed-lead")
    lead.at("reviews-back").click()
    item = lead.at("review-item", id=review["id"])
    expect(item).to_contain_text(f"Closed · {lead_score}")
    assert closed["score"] == lead_score or closed["score"] not in item.inner_text()
    locks = live.rows(
        "SELECT period FROM period_lock WHERE rep_id = :rep AND period = :period",
        rep=live.org.user("rep1"),
        period=month_key(),
    )
    assert len(locks) == 1

    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    rep.go("#/me")
    card = rep.at("review-card", id=review["id"])
    expect(card).to_have_attribute("data-status", "closed")
    expect(card.locator(hook("review-status"))).to_have_text("Closed")
    score, period = score_words(closed["score"]), period_words(month_key())
    expect(card.locator(hook("review-score"))).to_have_text(score)
    expect(card.locator(hook("review-closed"))).to_contain_text(f"your visits of {period} are locked")
    # Neither the period's key nor the score's decimal string as the API writes them.
    shown = card.inner_text()
    assert month_key() not in shown and closed["score"] not in shown, shown
    shot(rep, "me-review-closed")
    assert not rep.errors and not lead.errors


def test_lead_approves_several_visits_at_once_on_the_desk(live: Live, new_context: Any) -> None:
    shop = live.add_customer("rep2", "Desk Test Hardware", lat=31.23, lon=121.47)
    rep = SyncClient(live.api("rep2"))
    now = today_in().replace(microsecond=0)
    evidence = {"near": (31.2301, 8), "far": (31.30, 10), "vague": (31.2302, 900)}
    ids = {}
    for index, (name, (lat, accuracy)) in enumerate(evidence.items()):
        visit_id = str(uuid.uuid4())
        fields = {
            "customer_id": shop,
            "check_in_at": (now - timedelta(minutes=30 - index)).isoformat(),
            "lat": lat,
            "lon": 121.47,
            "accuracy_m": accuracy,
            "outcome": "interested",
            "satisfaction": 4,
            "notes": f"desk {name}",
        }
        rep.queue_mutation("visit", "create", visit_id, fields=fields)
        rep.queue_mutation("visit", "action", visit_id, name="submit", base_version=1)
        ids[name] = visit_id
    synced(rep)

    lead = Phone(new_context())
    lead.page.set_viewport_size(LAPTOP)  # a lead at a laptop
    lead.open().sign_in(live.org.email("lead1"))
    lead.go(f"#/desk?rep_id={live.org.user('rep2')}")
    expect(lead.at("desk-item")).to_have_count(3)
    # GPS within 50 m: the vague visit is left out.
    lead.at("desk-max-accuracy").fill("50")
    lead.at("desk-apply").click()
    expect(lead.at("desk")).to_have_attribute("data-count", "2")
    expect(lead.at("desk-item", id=ids["vague"])).to_have_count(0)
    far = lead.at("desk-item", id=ids["far"])
    assert float(far.get_attribute("data-distance")) > 5000
    expect(far.locator(hook("desk-evidence"))).to_contain_text("±10 m GPS")
    lead.at("desk-select-all").check()
    expect(lead.at("desk-selected")).to_have_text("2")
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(lead, "desk-laptop")
    lead.at("desk-approve").click()
    for name in ("near", "far"):
        receipt = lead.at("desk-item", id=ids[name]).locator(hook("desk-receipt"))
        expect(receipt).to_have_attribute("data-status", "applied")
        expect(receipt).to_have_text("Approved")
    expect(lead.at("desk-message")).to_have_text("2 of 2 settled")
    shot(lead, "desk-laptop-receipts")
    statuses = dict(live.rows("SELECT id, status FROM visit WHERE id IN (:near, :far, :vague)", **ids))
    assert statuses == {ids["near"]: "approved", ids["far"]: "approved", ids["vague"]: "submitted"}

    # The one left: rejecting needs a reason, and then it is rejected with it.
    lead.at("desk-clear").click()
    expect(lead.at("desk")).to_have_attribute("data-count", "1")
    lead.at("desk-select", id=ids["vague"]).check()
    lead.at("desk-reject").click()
    expect(lead.at("desk-message")).to_have_text("Say why you reject them")
    lead.at("desk-comment").fill("GPS too vague to count")
    lead.at("desk-reject").click()
    expect(lead.at("desk-item", id=ids["vague"]).locator(hook("desk-receipt"))).to_have_text("Rejected")
    assert live.rows("SELECT status, review_comment FROM visit WHERE id = :id", id=ids["vague"]) == [
        ("rejected", "GPS too vague to count")
    ]

    # At 360 px the same desk is one readable column.
    phone = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    phone.go("#/desk?status=approved")
    expect(phone.at("desk-item", id=ids["near"])).to_be_visible()
    shot(phone, "desk-phone")
    wide = phone.page.evaluate(
        "[...document.querySelectorAll('#view *')].filter((e) => e.getBoundingClientRect().right > 361)"
        ".map((e) => e.tagName + '.' + e.className + '[' + (e.dataset.test || '') + ']')"
    )
    assert wide == [], wide
    assert not lead.errors and not phone.errors


def test_a_refused_decision_on_the_desk_reads_as_a_sentence_never_a_code(live: Live, new_context: Any) -> None:
    """A receipt the app has no words for (a newer server's rule, without a message) is a generic sentence; one
    with the server's message shows it after what it names; neither shows the code. (rep2: rep1's month is
    locked by the closed review above.)"""
    shop = live.add_customer("rep2", "Receipt Words Store", lat=31.23, lon=121.47)
    rep = SyncClient(live.api("rep2"))
    now = today_in().replace(microsecond=0)
    ids = []
    for index in range(2):
        visit_id = str(uuid.uuid4())
        fields = {
            "customer_id": shop,
            "check_in_at": (now - timedelta(minutes=20 - index)).isoformat(),
            "lat": 31.2301,
            "lon": 121.47,
            "accuracy_m": 8,
            "outcome": "interested",
            "notes": f"receipt words {index}",
        }
        rep.queue_mutation("visit", "create", visit_id, fields=fields)
        rep.queue_mutation("visit", "action", visit_id, name="submit", base_version=1)
        ids.append(visit_id)
    synced(rep)
    code = "rule_of_a_newer_server"
    message = "not possible while the record is approved"

    def refuse(route: Any) -> None:
        # The server's own answer in shape, each decision refused: one without a message, one with.
        body = route.request.post_data_json
        route.fulfill(
            status=200,
            json={
                "results": [
                    {
                        "entity": "visit",
                        "id": decision["id"],
                        "status": "rejected",
                        "errors": [{"field": "op", "code": code, **({"message": message} if index else {})}],
                    }
                    for index, decision in enumerate(body["decisions"])
                ]
            },
        )

    lead = Phone(new_context())
    lead.page.set_viewport_size(LAPTOP)
    lead.open().sign_in(live.org.email("lead1"))
    lead.go(f"#/desk?rep_id={live.org.user('rep2')}")
    for visit_id in ids:
        lead.at("desk-select", id=visit_id).check()
    lead.context.route("**/api/v1/visits/review", refuse)
    lead.at("desk-approve").click()
    first, second = (lead.at("desk-item", id=v).locator(hook("desk-receipt")) for v in ids)
    expect(first).to_have_attribute("data-status", "rejected")
    expect(first).to_have_text("The server did not accept this decision")
    expect(second).to_have_text(f"This visit: {message}")
    for receipt in (first, second):
        assert code not in receipt.inner_text() and not RAW_PATH.search(receipt.inner_text()), receipt.inner_text()
    lead.context.unroute("**/api/v1/visits/review")
    assert not lead.errors


def test_a_statement_shows_its_back_pay_line_exactly_as_the_api_says(live: Live, new_context: Any) -> None:
    boss = live.api("boss")
    assign_commission_plan(live, "Team 2 plan", "team2", "team2")
    last, this = month_key(-1), month_key()
    goal(live, "rep3", "revenue", last, "100000")
    goal(live, "rep3", "revenue", this, "100000")
    shop = live.add_customer("rep3", "Late Deal Trading")
    rep = SyncClient(live.api("rep3"))

    def won(amount: str, at: str) -> str:
        deal = str(uuid.uuid4())
        rep.queue_mutation(
            "opportunity",
            "create",
            deal,
            fields={"customer_id": shop, "amount": amount, "title": f"Deal {amount}"},
        )
        rep.queue_mutation(
            "opportunity", "action", deal, name="advance", base_version=1, args={"stage": "won", "at": at}
        )
        synced(rep)
        return deal

    won("90000", f"{last}-10T10:00:00+08:00")
    issued = boss.post(
        "/api/v1/commissions/statements/issue", json={"user_id": live.org.user("rep3"), "period": last}
    )
    assert issued.status_code == 201, issued.text
    late = won("30000", f"{last}-20T10:00:00+08:00")  # won late, into the issued month

    statement = live.api("rep3").get("/api/v1/commissions/statements", params={"period": this}).json()
    (back_pay,) = [line for line in statement["lines"] if line["kind"] == "back_pay"]
    assert back_pay["period"] == last and [d["id"] for d in back_pay["deals"]] == [late]
    # 90 000 paid 80 000 x 3 % + 10 000 x 5 % = 2900; 120 000 earns 2400 + 1000 + 20 000 x 8 % = 5000.
    assert (back_pay["paid"], back_pay["owed_now"], back_pay["amount"]) == ("2900.00", "5000.00", "2100.00")
    assert statement["back_pay"] == "2100.00"

    phone = Phone(new_context()).open().sign_in(live.org.email("rep3"))
    phone.go(f"#/statement?period={this}")
    expect(phone.at("statement")).to_have_attribute("data-period", this)
    shown = phone.at("statement-line")
    expect(shown).to_have_count(len(statement["lines"]))
    for index, line in enumerate(statement["lines"]):
        expect(shown.nth(index)).to_have_attribute("data-kind", line["kind"])
        expect(shown.nth(index)).to_have_attribute("data-amount", line["amount"])
        expect(shown.nth(index)).to_contain_text(yuan(line["amount"]))
    row = phone.at("statement-line", kind="back_pay")
    expect(row).to_contain_text(f"Back-pay for {last}")
    expect(row.locator(hook("statement-adjustment-why"))).to_have_text(
        f"paid {yuan('2900.00')}; revenue now {yuan('120000.00')} earns {yuan('5000.00')}"
    )
    expect(row.locator(hook("statement-backpay-deals"))).to_contain_text(f"Deal 30000 {yuan('30000.00')}")
    expect(phone.at("statement-total")).to_have_attribute("data-total", statement["total"])
    expect(phone.at("statement-total")).to_have_text(yuan(statement["total"]))
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(phone, "statement-back-pay")
    assert not phone.errors


def test_plans_scorecard_commission_plans_and_audit_screens(live: Live, new_context: Any) -> None:
    # rep2 under 70 % of revenue two months running: the KPI engine suggests a plan.
    before_last = (today_in().replace(day=1) - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    for period in (before_last.strftime("%Y-%m"), month_key(-1), month_key()):
        goal(live, "rep2", "revenue", period, "50000")
    rep2 = live.org.user("rep2")

    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go("#/me")
    lead.at("nav-plans").click()
    suggestion = lead.at("plan-suggestion", rep=rep2)
    expect(suggestion).to_be_visible()
    suggestion.locator(hook("plan-suggestion-accept")).click()
    form = lead.at("plan-open-form", rep=rep2)
    expect(form.locator(hook("plan-open-min"))).to_have_value("70")
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(lead, "plans-suggested")
    # A period the server cannot read: refused, naming the field as the form labels it.
    form.locator(hook("plan-open-period")).fill("2026-13")
    form.locator(hook("plan-open")).click()
    refused = form.locator(hook("plan-open-message"))
    expect(refused).to_contain_text("Period: must be a period like 2026, 2026-Q4, 2026-11")
    assert not RAW_PATH.search(refused.inner_text()), refused.inner_text()
    form.locator(hook("plan-open-period")).fill(month_key())
    form.locator(hook("plan-open")).click()
    detail = lead.at("plan-detail")
    expect(detail).to_have_attribute("data-status", "open")
    plan_id = detail.get_attribute("data-id")
    plan = live.api("lead1").get(f"/api/v1/plans/{plan_id}").json()
    assert plan["trigger"]["rep_id"] == rep2 and plan["exit_criteria"][0]["min_attainment"] == "0.7000"
    criterion = lead.at("plan-criterion", metric="revenue", period=month_key())
    expect(criterion).to_have_attribute("data-met", "no")
    expect(criterion).to_have_attribute("data-attainment", "0")

    lead.at("action-kind").select_option("training")
    lead.at("action-title").fill("Objection handling workshop")
    lead.at("action-add").click()
    action = lead.at("plan-action", kind="training")
    expect(action).to_be_visible()
    action.locator(hook("action-done")).fill(today_in().strftime("%Y-%m-%d"))
    action.locator(hook("action-notes")).fill("Attended; practise the price objection weekly.")
    action.locator(hook("action-save")).click()
    expect(lead.at("plan-action", kind="training", done=today_in().strftime("%Y-%m-%d"))).to_be_visible()
    shot(lead, "plan-detail")
    (stored,) = live.api("lead1").get(f"/api/v1/plans/{plan_id}").json()["actions"]
    assert (stored["kind"], stored["notes"]) == ("training", "Attended; practise the price objection weekly.")
    lead.at("plan-outcome").select_option("not_met")
    lead.at("plan-outcome-note").fill("Moving to key accounts")
    lead.at("plan-close").click()
    expect(lead.at("plan-detail")).to_have_attribute("data-status", "closed")
    expect(lead.at("plan-outcome-shown")).to_have_text("Not met · Moving to key accounts")

    # The manager: team1's scorecard weights, a commission plan's tiers, and the audit trail of both.
    boss = Phone(new_context()).open().sign_in(live.org.email("boss"))
    boss.go(f"#/dimensions?unit_id={live.org.unit('team1')}")
    expect(boss.at("dimension-row")).to_have_count(4)
    boss.at("dimension-row", key="visits").locator(hook("dimension-weight")).fill("0.3")
    expect(boss.at("dimension-total")).to_have_text("1.1")
    shot(boss, "dimensions")
    boss.at("dimensions-save").click()
    expect(boss.page.locator("#toast")).to_have_text("Saved")  # every row saved, the screen reloaded
    weights = {
        d["key"]: d["weight"]
        for d in live.api("boss")
        .get("/api/v1/review-dimensions", params={"unit_id": live.org.unit("team1")})
        .json()
    }
    assert weights == {"revenue": "0.4", "visits": "0.3", "collaboration": "0.2", "customer_feedback": "0.2"}

    created = live.api("boss").post(
        "/api/v1/commissions/plans",
        json={"name": "Screen plan", "unit_id": live.org.unit("company"), "mode": "marginal", "tiers": TIERS},
    )
    plan_item = f'[data-test="payplan-item"][data-id="{created.json()["id"]}"]'
    boss.go("#/payplans")
    boss.page.locator(f"{plan_item} summary").click()
    editor = boss.page.locator(f'{plan_item} [data-test="payplan"]')
    editor.locator(hook("tier-rate")).first.fill("3.5")
    editor.locator(hook("tier-up-to")).nth(1).fill("70")  # below the first tier's 80 %: refused by the server
    editor.locator(hook("payplan-save")).click()
    expect(editor.locator(hook("payplan-message"))).to_contain_text("Tier 2 · Up to attainment (%): ")
    expect(editor.locator(hook("payplan-message"))).not_to_contain_text("tiers.1")
    assert not RAW_PATH.search(editor.locator(hook("payplan-message")).inner_text())
    editor.locator(hook("tier-up-to")).nth(1).fill("100")
    editor.locator(hook("payplan-mode")).select_option("whole")
    shot(boss, "payplans")
    editor.locator(hook("payplan-save")).click()
    expect(boss.page.locator(f"{plan_item} summary")).to_contain_text("Whole amount")
    saved = [
        p for p in live.api("boss").get("/api/v1/commissions/plans").json() if p["id"] == created.json()["id"]
    ]
    assert saved[0]["mode"] == "whole"
    assert [t["rate"] for t in saved[0]["tiers"]] == ["0.0350", "0.0500", "0.0800"]

    boss.go("#/audit")
    boss.at("audit-entity").select_option("commission_plan")
    boss.at("audit-apply").click()
    entry = boss.at("audit-entry", action="commission_plan.update")
    expect(entry).to_have_count(1)
    expect(entry.locator(hook("audit-sentence"))).to_have_text("Boss changed the commission plan Screen plan")
    expect(entry.locator(hook("audit-change", field="mode"))).to_have_text("Mode: Marginal → Whole amount")
    expect(entry.locator(hook("audit-change", field="tiers"))).to_have_text("Tiers changed")
    boss.go("#/audit?entity=plan")
    expect(boss.at("audit-entry")).to_have_count(2)
    expect(boss.at("audit-entry", action="plan.close").locator(hook("audit-sentence"))).to_have_text(
        "Lead1 closed Rep2’s improvement plan"
    )
    expect(boss.at("audit-entry", action="plan.close")).not_to_contain_text(rep2)
    shot(boss, "audit")

    # Offline, a desk shows its last copy, marked, and offers no writes.
    boss.offline()
    boss.go("#/")
    boss.go("#/audit?entity=plan")
    expect(boss.at("desk-cached")).to_contain_text("Offline")
    expect(boss.at("audit-entry")).to_have_count(2)
    boss.go("#/payplans")
    expect(boss.at("desk-cached")).to_be_visible()
    boss.online()
    assert not lead.errors and not boss.errors


def test_an_admin_sees_an_estimated_year_and_enters_its_official_holidays(live: Live, new_context: Any) -> None:
    admin = Phone(new_context()).open().sign_in(live.org.email("admin"))
    admin.page.set_viewport_size(LAPTOP)
    admin.go("#/me")
    admin.at("nav-calendar").click()
    admin.go("#/calendar?year=2027")
    expect(admin.at("calendar-estimated")).to_contain_text("2027's holidays are estimated")
    expect(admin.at("calendar-days-off")).to_have_value(re.compile("2027-02-05"))  # the estimate, to correct
    admin.at("calendar-make-up").fill("2027-02-05")  # also a day off: refused, naming the field
    admin.at("calendar-save").click()
    expect(admin.at("calendar-error")).to_contain_text("Make-up workdays, row 1: ")
    assert not RAW_PATH.search(admin.at("calendar-error").inner_text()), admin.at("calendar-error").inner_text()
    admin.at("calendar-make-up").fill("2027-02-20")
    admin.at("calendar-save").click()
    expect(admin.at("calendar-official")).to_contain_text("entered here")
    schedule = live.api("admin").get("/api/v1/calendars/official/2027").json()
    assert (schedule["holidays_source"], schedule["make_up_workdays"]) == ("entered", ["2027-02-20"])
    # Only admins have the screen: a manager is sent home.
    boss = Phone(new_context()).open().sign_in(live.org.email("boss"))
    boss.go("#/me")
    expect(boss.at("nav-calendar")).to_have_count(0)
    boss.go("#/calendar")
    expect(boss.at("home")).to_be_visible()
    assert not admin.errors and not boss.errors


def distance_words(metres: float) -> str:
    """A distance as the app says it in English: whole metres below 1 km, else kilometres to one decimal."""
    if round(metres) < 1000:
        return f"{round(metres)} m"
    return f"{Decimal(str(metres / 1000)).quantize(Decimal('0.1'), ROUND_HALF_UP).normalize():f} km"


def test_a_lead_reads_a_reps_visit_and_only_the_rep_gets_its_form(live: Live, new_context: Any) -> None:
    """Only a visit's own rep may change it (the server refuses anyone else): the lead who opens it finds its
    facts in words and nothing to save, delete or submit; the rep opening their own draft gets the form."""
    shop = live.add_customer("rep2", "Read Only Optics", lat=31.23, lon=121.47)
    rep_sync = SyncClient(live.api("rep2"))
    now = today_in().replace(microsecond=0)
    submitted, draft = str(uuid.uuid4()), str(uuid.uuid4())
    for visit_id, notes in ((submitted, "asked for the spring catalogue"), (draft, "own draft notes")):
        fields = {
            "customer_id": shop,
            "check_in_at": (now - timedelta(minutes=50)).isoformat(),
            "check_out_at": (now - timedelta(minutes=8)).isoformat(),
            "lat": 31.2301,
            "lon": 121.47,
            "accuracy_m": 8,
            "outcome": "interested",
            "satisfaction": 4,
            "notes": notes,
        }
        rep_sync.queue_mutation("visit", "create", visit_id, fields=fields)
    rep_sync.queue_mutation("visit", "action", submitted, name="submit", base_version=1)
    synced(rep_sync)
    waiting = live.api("lead1").get("/api/v1/visits", params={"rep_id": live.org.user("rep2")}).json()
    visit = next(v for v in waiting if v["id"] == submitted)
    assert visit["status"] == "submitted" and visit["distance_m"] is not None, visit

    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go(f"#/customer/{shop}")
    lead.at("visit-item", id=submitted).click()
    view = lead.at("visit-view")
    expect(view).to_have_attribute("data-id", submitted)
    expect(lead.at("visit-status")).to_have_text("Submitted")
    expect(lead.at("visit-fact", key="customer")).to_contain_text("Read Only Optics")
    expect(lead.at("visit-fact", key="outcome")).to_contain_text("Interested")
    expect(lead.at("visit-fact", key="satisfaction")).to_contain_text(f"{'★' * visit['satisfaction']} 4/5")
    expect(lead.at("visit-view-notes")).to_have_text("asked for the spring catalogue")
    expect(lead.at("visit-checkin-at")).to_contain_text(f"±{round(float(visit['accuracy_m']))} m")
    expect(lead.at("visit-checkout-at")).to_contain_text("Checked out")
    stayed = datetime.fromisoformat(visit["check_out_at"]) - datetime.fromisoformat(visit["check_in_at"])
    on_site = round(stayed.total_seconds() / 60)
    expect(lead.at("evidence-facts")).to_contain_text(
        f"{distance_words(float(visit['distance_m']))} from the customer"
    )
    expect(lead.at("evidence-facts")).to_contain_text(f"On site {on_site} min")
    # Nothing to change: no form, no field, no save, delete, submit or check-out.
    expect(lead.page.locator("#view form, #view input, #view textarea, #view select")).to_have_count(0)
    for control in ("visit-form", "visit-save", "visit-delete", "visit-submit", "visit-checkout"):
        expect(lead.at(control)).to_have_count(0)
    expect(lead.page.locator("#view h1")).to_have_text("Visit")
    shot(lead, "visit-read-only-lead")
    assert not lead.errors

    rep = Phone(new_context()).open().sign_in(live.org.email("rep2"))
    rep.go(f"#/visit/{draft}")
    expect(rep.at("visit-form")).to_be_visible()
    expect(rep.at("visit-notes")).to_have_value("own draft notes")
    expect(rep.at("visit-save")).to_be_enabled()
    expect(rep.at("visit-delete")).to_be_visible()
    expect(rep.at("visit-view")).to_have_count(0)
    assert not rep.errors
