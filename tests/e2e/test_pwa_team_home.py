"""The home screens of the people who run teams: a lead's #/ shows what waits for approval, the reps behind the
time elapsed with what each needs per working day, each rep's visits today and whose phone has gone quiet,
as GET /home/team answers; a manager's shows each team's attainment and trend and the teams at risk, as
GET /home/units answers, and a team opens its own home. At a laptop in English and at 360 px in Chinese;
figures formatted here from the API's values, never with the app's formatter."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone, hook
from tests.e2e.test_pwa_coaching import assign_commission_plan
from tests.e2e.test_pwa_leaderboard import money, pct1
from tests.e2e.test_pwa_screens import shot
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
WORDS = {
    "en": {
        "approvals": "{0} visit(s) to approve",
        "needed": "{0} needed per working day",
        "no_days": "No working days left in this period",
        "attained": "{0} attained",
    },
    "zh-CN": {
        "approvals": "{0} 条拜访待审批",
        "needed": "每个工作日还需 {0}",
        "no_days": "本期已没有剩余工作日",
        "attained": "达成率 {0}",
    },
}
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
RAW = ("undefined", "NaN", "null", "[object")


def periods() -> list[tuple[str, str]]:
    now = today_in()
    return [
        ("month", now.strftime("%Y-%m")),
        ("quarter", f"{now.year}-Q{(now.month - 1) // 3 + 1}"),
        ("year", str(now.year)),
    ]


def figure(metric: str, value: str | None, locale: str) -> str:
    if value is None:
        return "—"
    if metric == "revenue":
        return money(value, locale)
    return f"{int(Decimal(value).to_integral_value(rounding=ROUND_HALF_UP)):,}"


def goal(live: Live, who: str, subject_type: str, subject: str, metric: str, period: str, target: str) -> None:
    subject_id = live.org.user(subject) if subject_type == "user" else live.org.unit(subject)
    body = {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "metric": metric,
        "period": period,
        "target": target,
    }
    response = live.api(who).post("/api/v1/goals", json=body)
    assert response.status_code == 201, response.text


def readable(phone: Phone) -> None:
    """No code, missing value or unformatted fraction anywhere on the screen."""
    text = phone.at("home").inner_text()
    for raw in RAW:
        assert raw not in text, (raw, text)
    assert not SNAKE.search(text), (SNAKE.search(text), text)
    assert not re.search(r"\d\.\d{3,}", text), text


def behind_matches(phone: Phone, rows: list[dict[str, Any]], locale: str) -> None:
    words = WORDS[locale]
    expect(phone.at("behind-row")).to_have_count(len(rows))
    for row in rows:
        shown = phone.at("behind-row", id=row["subject_id"], metric=row["metric"])
        expect(shown).to_contain_text(row["name"])
        needed = row["needed_per_working_day"]
        text = (
            words["no_days"]
            if needed is None
            else words["needed"].replace("{0}", figure(row["metric"], needed, locale))
        )
        expect(shown.locator(hook("behind-needed"))).to_have_text(text)
        expect(shown.locator(hook("behind-standing"))).to_contain_text(
            words["attained"].replace("{0}", pct1(row["attainment"]))
        )


def team_matches(phone: Phone, data: dict[str, Any], locale: str) -> None:
    expect(phone.at("home")).to_have_attribute("data-home", "team")
    expect(phone.at("home")).to_have_attribute("data-period", data["period"])
    expect(phone.at("home-title")).to_have_text(data["name"])
    approvals = data["approvals"]
    card = phone.at("home-approvals")
    expect(card).to_have_attribute("data-visits", str(approvals["visits"]))
    expect(card).to_have_attribute("data-amendments", str(approvals["amendments"]))
    if approvals["visits"]:
        expect(card.locator(hook("home-approvals-visits"))).to_contain_text(
            WORDS[locale]["approvals"].replace("{0}", str(approvals["visits"]))
        )
    behind_matches(phone, data["behind"], locale)
    expect(phone.at("visits-today-row")).to_have_count(len(data["visits_today"]))
    for rep in data["visits_today"]:
        row = phone.at("visits-today-row", id=rep["user_id"])
        expect(row).to_have_attribute("data-visits", str(rep["visits"]))
        expect(row).to_have_attribute("data-approved", str(rep["approved"]))
        expect(row).to_contain_text(rep["name"])
        expect(row.locator("b")).to_contain_text(str(rep["visits"]))
    expect(phone.at("not-synced-row")).to_have_count(len(data["not_synced"]))
    for rep in data["not_synced"]:
        expect(phone.at("not-synced-row", id=rep["user_id"])).to_contain_text(rep["name"])
    readable(phone)


def test_a_lead_sees_their_team_and_a_behind_rep_s_need_per_day(live: Live, new_context: Any) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    for _, key in periods():
        goal(live, "lead1", "user", "rep2", "visits", key, "400")
    goal(live, "lead1", "user", "rep1", "revenue", periods()[0][1], "500000")
    shop = live.add_customer("rep1", "Team Home Hardware")
    rep = SyncClient(live.api("rep1"))
    now = today_in().replace(microsecond=0)
    for index in range(3):
        visit_id = str(uuid.uuid4())
        fields = {
            "customer_id": shop,
            "check_in_at": (now - timedelta(seconds=10 - index)).isoformat(),
            "outcome": "interested",
            "satisfaction": 4,
            "notes": f"team home {index}",
        }
        rep.queue_mutation("visit", "create", visit_id, fields=fields)
        if index:
            rep.queue_mutation("visit", "action", visit_id, name="submit", base_version=1)
    receipts = [r for body in rep.sync() for r in body["results"]]
    assert receipts and all(r["status"] == "applied" for r in receipts), receipts

    api = live.api("lead1")
    # The period in which rep2's visits are behind with working days left (a month's first or last days
    # may have none expected yet or none left: the quarter or the year then has).
    span, data = "month", None
    for name, key in periods():
        answer = api.get("/api/v1/home/team", params={"period": key}).json()
        data = data or answer
        mine = [
            b for b in answer["behind"] if b["subject_id"] == live.org.user("rep2") and b["metric"] == "visits"
        ]
        if mine and mine[0]["needed_per_working_day"] is not None:
            span, data = name, answer
            break
    assert data is not None

    lead = Phone(new_context())
    lead.page.set_viewport_size(LAPTOP)
    lead.open().sign_in(live.org.email("lead1"))
    expect(lead.at("home")).to_have_attribute("data-home", "team")
    if span != "month":
        lead.at("home-period").locator(f'[data-value="{span}"]').click()
    team_matches(lead, data, "en")
    rep2 = [b for b in data["behind"] if b["subject_id"] == live.org.user("rep2") and b["metric"] == "visits"]
    assert rep2, data["behind"]
    expect(lead.at("behind-row", id=live.org.user("rep2"), metric="visits")).to_be_visible()
    shot(lead, "team-home-en-laptop")

    # Approvals open from the card.
    lead.at("home-approvals").click()
    expect(lead.page).to_have_url(re.compile(r"#/approvals$"))

    # The lead's Me names no code: the commission card says why there is no estimate in words.
    assign_commission_plan(live, "Team home plan", "east", "team1")
    estimate = api.get("/api/v1/commissions/estimate")
    assert estimate.status_code == 200, estimate.text
    assert (estimate.json()["plan"]["name"], estimate.json()["missing"]) == ("Team home plan", "revenue_goal")
    assert "total" not in estimate.json(), estimate.text
    lead.go("#/me")
    expect(lead.at("commission-estimate")).to_have_attribute("data-missing", "revenue_goal")
    expect(lead.at("commission-estimate")).to_contain_text("No revenue target for this period yet")
    me = lead.at("me").inner_text()
    assert "no_revenue_goal" not in me and "no_commission_plan" not in me, me
    shot(lead, "lead-me-en-laptop")

    # In Chinese on a phone.
    lead.at("lang-switch").click()
    lead.page.set_viewport_size(PHONE)
    lead.go(f"#/?period={span}")
    team_matches(lead, data, "zh-CN")
    assert lead.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(lead, "team-home-zh")
    lead.page.locator(hook("home-not-synced")).scroll_into_view_if_needed()
    shot(lead, "team-home-zh-below")

    # Offline: the last copy of the same screen, marked with when it was fetched.
    lead.offline()
    lead.go("#/goals")
    lead.go(f"#/?period={span}")
    expect(lead.at("home")).to_have_attribute("data-cached", "yes")
    expect(lead.at("home-cached")).to_contain_text("离线")
    team_matches(lead, data, "zh-CN")
    lead.online()
    assert lead.errors == []


def test_a_manager_sees_each_team_and_the_teams_at_risk(live: Live, new_context: Any) -> None:
    month = periods()[0][1]
    goal(live, "eastmgr", "unit", "team1", "revenue", month, "400000")
    # Last month too: team1's trend has two points.
    last = (today_in().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    goal(live, "eastmgr", "unit", "team1", "revenue", last, "300000")
    for _, key in periods():
        goal(live, "eastmgr", "unit", "team2", "visits", key, "900")
    api = live.api("eastmgr")
    span, data = "month", None
    for name, key in periods():
        answer = api.get("/api/v1/home/units", params={"period": key}).json()
        data = data or answer
        if any(r["subject_id"] == live.org.unit("team2") for r in answer["at_risk"]):
            span, data = name, answer
            break
    assert data is not None
    team1 = next(u for u in data["units"] if u["unit_id"] == live.org.unit("team1"))
    if data["period"] == month:
        assert [p["attainment"] is not None for p in team1["metrics"][0]["trend"]][-2:] == [True, True]

    manager = Phone(new_context())
    manager.page.set_viewport_size(LAPTOP)
    manager.open().sign_in(live.org.email("eastmgr"))
    expect(manager.at("home")).to_have_attribute("data-home", "units")
    # A manager's home opens on the year: their units' goals are most often set for it.
    expect(manager.at("home-period").locator(".tab.on")).to_have_attribute("data-value", "year")
    if span != "year":
        manager.at("home-period").locator(f'[data-value="{span}"]').click()

    def units_match(locale: str) -> None:
        expect(manager.at("home")).to_have_attribute("data-period", data["period"])
        expect(manager.at("unit-row")).to_have_count(len(data["units"]))
        for unit in data["units"]:
            card = manager.at("unit-row", id=unit["unit_id"])
            expect(card).to_contain_text(unit["name"])
            expect(card.locator(hook("unit-metric"))).to_have_count(len(unit["metrics"]))
            for m in unit["metrics"]:
                line = card.locator(hook("unit-metric", metric=m["metric"]))
                expect(line.locator(hook("unit-attainment"))).to_have_text(
                    pct1(m["attainment"]) if m["attainment"] is not None else "—"
                )
                facts = line.locator(hook("unit-facts"))
                expect(facts).to_contain_text(figure(m["metric"], m["actual"], locale))
                expect(facts).to_contain_text(figure(m["metric"], m["target"], locale))
                expect(line.locator(hook("unit-at-risk"))).to_have_count(1 if m["at_risk"] else 0)
                spark = line.locator("svg.spark")
                expect(spark).to_have_count(1)
                label = spark.get_attribute("aria-label") or ""
                for point in m["trend"]:
                    if point["attainment"] is not None:
                        assert pct1(point["attainment"]) in label, (point, label)
        behind_matches(manager, data["at_risk"], locale)
        readable(manager)

    units_match("en")
    shot(manager, "units-home-en-laptop")
    manager.go("#/me")
    manager.at("lang-switch").click()
    manager.page.set_viewport_size(PHONE)
    manager.go(f"#/?period={span}")
    units_match("zh-CN")
    assert manager.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(manager, "units-home-zh")

    # A team at risk opens that team's home, as its lead sees it.
    manager.at("behind-row", id=live.org.unit("team2"), metric="visits").click()
    team2 = api.get(
        "/api/v1/home/team", params={"unit_id": live.org.unit("team2"), "period": data["period"]}
    ).json()
    team_matches(manager, team2, "zh-CN")
    assert manager.errors == []
