"""The app runs under its Content-Security-Policy (backend/web/headers.py): every screen a rep, a lead, a
manager and an admin can reach, a report's chart and its exports, and the shell the service worker serves
from its cache, without one CSP violation.

A violation is caught twice: the page's `securitypolicyviolation` event, reported to the test through a
binding that outlives reloads, and Chromium's console message ("… violates the following Content Security
Policy directive …")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import Live, today_in
from tests.e2e.phone import Phone

pytestmark = pytest.mark.browser

REPORT_ROUTES = [f"#/reports?report={name}" for name in ("comparison", "funnel", "trend", "regions", "evidence")]
REP_ROUTES = ["#/", "#/visit/new", "#/customers", "#/customers/new", "#/goals", "#/inbox", "#/me", "#/statement"]
LEAD_ROUTES = [*REP_ROUTES, "#/approvals", "#/reviews", "#/plans", "#/desk", "#/goals/tree", *REPORT_ROUTES]
MANAGER_ROUTES = [*LEAD_ROUTES, "#/audit", "#/dimensions", "#/payplans"]

REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (event) => window.cspViolation(
  `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} in ${event.sourceFile}:${event.lineNumber}`
  + ` (${event.sample})`));
"""


class WatchedPhone(Phone):
    """A phone whose every CSP violation, on any page it loads, lands in `violations`."""

    def __init__(self, context: Any):
        self.violations: list[str] = []
        context.expose_binding("cspViolation", lambda _source, text: self.violations.append(text))
        context.add_init_script(REPORT_VIOLATIONS)
        super().__init__(context)
        self.page.on(
            "console",
            lambda message: (
                self.violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )

    def show(self, route: str) -> None:
        """Follow an in-app link and wait until the screen is drawn and its images (a chart) have loaded."""
        moved = self.page.evaluate(
            """(hash) => {
              if (location.hash === hash) return false;
              window.shownBefore = document.getElementById('view').firstElementChild;
              location.hash = hash;
              return true;
            }""",
            route,
        )
        # Predicates as functions: a string expression would be eval()ed in the page, which the CSP forbids.
        if moved:
            self.page.wait_for_function(
                "() => document.getElementById('view').firstElementChild !== window.shownBefore"
            )
        self.page.wait_for_function("() => Array.from(document.images).every((image) => image.complete)")

    def walk(self, routes: list[str]) -> None:
        for route in routes:
            self.show(route)
        self.page.wait_for_timeout(300)  # a violation's event is queued as a task of its own


def seed(live: Live) -> dict[str, str]:
    """Something on every screen: rep1's customers, goals, a visit waiting for approval, a shared review and
    an improvement plan for rep2."""
    month = today_in().strftime("%Y-%m")
    lead = live.api("lead1")
    customer = live.add_customer("rep1", '=HYPERLINK("http://evil.example/","x")', city="Hangzhou")
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
    review = lead.post("/api/v1/reviews", json={"rep_id": live.org.user("rep1"), "period": month})
    assert review.status_code in (200, 201), review.text
    assert lead.post(f"/api/v1/reviews/{review.json()['id']}/share").status_code == 200
    starts = today_in().date()
    plan = lead.post(
        "/api/v1/plans",
        json={
            "rep_id": live.org.user("rep2"),
            "goal": "Back to target",
            "starts_on": starts.isoformat(),
            "ends_on": (starts + timedelta(days=60)).isoformat(),
            "exit_criteria": [{"metric": "revenue", "period": month, "min_attainment": 0.7}],
        },
    )
    assert plan.status_code in (200, 201), plan.text
    return {"customer": customer, "review": review.json()["id"], "plan": plan.json()["id"]}


def test_every_screen_runs_under_the_content_security_policy(live: Live, new_context: Any) -> None:
    seeded = seed(live)

    rep = WatchedPhone(new_context()).open()
    expect(rep.at("login-submit")).to_be_visible()
    rep.sign_in(live.org.email("rep1"))
    rep.at("visit-new").click()
    rep.at("visit-customer").select_option(seeded["customer"])
    rep.at("visit-notes").fill("Under a strict CSP")
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    rep.wait_pending(0)
    expect(rep.page.locator(".meter i")).to_have_count(0)  # not on home; the goals screen draws them
    rep.walk(REP_ROUTES)
    rep.show("#/goals")
    expect(rep.page.locator(".meter i")).to_have_count(3)
    # Widths come through the CSSOM: the bars are drawn although style attributes are not allowed.
    assert rep.page.locator(".meter i").first.evaluate("(bar) => bar.style.width").endswith("%")
    rep.show(f"#/review/{seeded['review']}")
    # Offline-ready: the service worker serves the shell from its cache, with the policy it was cached with.
    rep.wait_offline_ready()
    rep.reload()
    expect(rep.at("me")).to_be_visible()  # a rep reads their review on their own screen
    rep.walk(["#/customers", "#/goals"])

    lead = WatchedPhone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.walk([*LEAD_ROUTES, f"#/review/{seeded['review']}", f"#/plans/{seeded['plan']}"])
    lead.show("#/reports?report=regions")
    expect(lead.at("report-chart", chart="regions")).to_be_visible()
    for file_format in ("csv", "xlsx"):
        with lead.page.expect_download() as download:
            lead.at(f"report-export-{file_format}").click()
        assert download.value.suggested_filename.endswith(f".{file_format}")

    boss = WatchedPhone(new_context()).open().sign_in(live.org.email("boss"))
    boss.walk(MANAGER_ROUTES)
    admin = WatchedPhone(new_context()).open().sign_in(live.org.email("admin"))
    admin.walk([*MANAGER_ROUTES, "#/me"])
    admin.at("sign-out").click()
    expect(admin.at("login-submit")).to_be_visible()

    for phone in (rep, lead, boss, admin):
        phone.page.wait_for_timeout(200)
        assert phone.violations == [], phone.violations
        assert phone.errors == [], phone.errors
