"""The leaderboard in the app: a rep sees their team ranked by % of their own target with themselves
highlighted and each person's badges, the way GET /leaderboard answers for them, at 360 px in Chinese and at a
laptop in English, and offline the last copy marked as such; a manager ranks the teams of their region as
GET /leaderboard/units answers, and a team opens its people's board. Figures are formatted here, from the
API's values, never with the app's formatter."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone, hook
from tests.e2e.test_pwa_screens import shot

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
BADGES = {"zh-CN": {"first_order": "首单"}, "en": {"first_order": "First order"}}
KINDS = {"zh-CN": {"team": "团队", "region": "区域"}, "en": {"team": "Team", "region": "Region"}}
RAW = ("undefined", "NaN", "null", "no_revenue_goal", "first_order", "[object")


def pct1(fraction: float | None) -> str:
    """A fraction as the screens write it: one decimal, half away from zero (0.4286 → 42.9%)."""
    assert fraction is not None
    return f"{Decimal(fraction * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def _trim(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: str, locale: str) -> str:
    """¥ with 万/亿 in Chinese from ten thousand up; otherwise grouped digits, and cents as two decimals."""
    n = Decimal(value)
    if locale == "zh-CN" and abs(n) >= Decimal("1e8"):
        return f"¥{_trim(n / Decimal('1e8'))}亿"
    if locale == "zh-CN" and abs(n) >= Decimal("1e4"):
        return f"¥{_trim(n / Decimal('1e4'))}万"
    text = f"{n.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    return "¥" + (text[:-3] if text.endswith(".00") else text)


def won(live: Live, rep: str, customer: str, amount: str) -> None:
    """A deal of `rep`'s won now (the server's clock is the test's: it is this month for both)."""
    api = live.api(rep)
    created = api.post("/api/v1/opportunities", json={"customer_id": customer, "amount": amount})
    assert created.status_code == 201, created.text
    at = today_in().replace(microsecond=0).isoformat()
    moved = api.post(f"/api/v1/opportunities/{created.json()['id']}/advance", json={"stage": "won", "at": at})
    assert moved.status_code == 200, moved.text


def goal(live: Live, who: str, subject_type: str, subject: str, period: str, target: str) -> None:
    subject_id = live.org.user(subject) if subject_type == "user" else live.org.unit(subject)
    body = {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "metric": "revenue",
        "period": period,
        "target": target,
    }
    response = live.api(who).post("/api/v1/goals", json=body)
    assert response.status_code == 201, response.text


def no_raw_values(phone: Phone) -> None:
    text = phone.at("leaderboard").inner_text()
    for raw in RAW:
        assert raw not in text, (raw, text)


def board_matches(phone: Phone, rows: list[dict[str, Any]], locale: str) -> None:
    """Every row of the API's answer on screen in its order, with its rank, name, attainment and badges."""
    shown = phone.at("leaderboard-row")
    expect(shown).to_have_count(len(rows))
    for index, row in enumerate(rows):
        item = shown.nth(index)
        expect(item).to_have_attribute("data-id", row["user_id"] if "user_id" in row else row["unit_id"])
        expect(item.locator(hook("leaderboard-name"))).to_contain_text(row["name"])
        expect(item.locator(".lb-rank")).to_have_text(str(row["rank"]) if row["rank"] is not None else "—")
        if row.get("attainment") is not None:
            expect(item.locator(hook("leaderboard-attainment"))).to_have_text(pct1(row["attainment"]))
        mine = row.get("is_me", row.get("is_mine"))
        expect(item).to_have_attribute("data-me", "yes" if mine else "no")
        for badge in row.get("badges", []):
            label = BADGES[locale].get(badge["kind"], badge["label"])
            text = label if badge["count"] == 1 else f"{label} ×{badge['count']}"
            expect(item.locator(hook("leaderboard-badge", kind=badge["kind"]))).to_have_text(text)
        if "target" in row and row["target"] is not None:
            facts = item.locator(hook("leaderboard-facts"))
            expect(facts).to_contain_text(money(row["actual"], locale))
            expect(facts).to_contain_text(money(row["target"], locale))
            expect(facts).to_contain_text(KINDS[locale][row["kind"]])


def test_a_rep_sees_their_team_ranked_with_themselves_highlighted(live: Live, new_context: Any) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    month = today_in().strftime("%Y-%m")
    goal(live, "lead1", "user", "rep1", month, "100000")
    goal(live, "lead1", "user", "rep2", month, "300000")
    won(live, "rep1", live.add_customer("rep1", "Leaderboard Pumps Ltd."), "64000")
    won(live, "rep2", live.add_customer("rep2", "Leaderboard Valves Ltd."), "24500.50")
    # The rep's own badges are evaluated when they read them: rep1 now holds a first order.
    assert any(b["kind"] == "first_order" for b in live.api("rep1").get("/api/v1/badges").json())

    # rep2 reads Chinese, on a phone, from the goals screen.
    rep = Phone(new_context()).open().sign_in(live.org.email("rep2"))
    rep.page.set_viewport_size(PHONE)
    rep.wait_offline_ready()
    rep.go("#/goals")
    rep.at("nav-leaderboard").click()
    expect(rep.at("leaderboard")).to_have_attribute("data-cached", "no")
    rows = live.api("rep2").get("/api/v1/leaderboard", params={"metric": "revenue", "period": month}).json()
    assert [r["user_id"] for r in rows][:2] == [live.org.user("rep1"), live.org.user("rep2")]
    assert rows[0]["badges"] and rows[0]["badges"][0]["kind"] == "first_order"
    board_matches(rep, rows, "zh-CN")
    me = rep.at("leaderboard-row", id=live.org.user("rep2"))
    expect(me).to_have_class("row lb-row lb-me")
    expect(me).to_contain_text("我")
    expect(rep.at("leaderboard-scope")).to_have_count(0)  # a rep ranks people only
    no_raw_values(rep)
    assert rep.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(rep, "leaderboard-rep-zh")

    # Offline: the same board from the last copy, marked with when it was fetched.
    rep.offline()
    rep.go("#/goals")
    rep.go("#/leaderboard")
    expect(rep.at("leaderboard")).to_have_attribute("data-cached", "yes")
    expect(rep.at("leaderboard-cached")).to_contain_text("离线")
    board_matches(rep, rows, "zh-CN")
    rep.reload()  # a cold start offline: the shell and the leaderboard's module from the worker's cache
    rep.go("#/leaderboard")
    expect(rep.at("leaderboard")).to_have_attribute("data-cached", "yes")
    board_matches(rep, rows, "zh-CN")
    shot(rep, "leaderboard-rep-offline-zh")
    rep.online()

    # rep1 reads English, at a laptop: their own row first, with the badge beside their name.
    other = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    other.page.set_viewport_size(LAPTOP)
    other.go("#/leaderboard")
    rows = live.api("rep1").get("/api/v1/leaderboard", params={"metric": "revenue", "period": month}).json()
    board_matches(other, rows, "en")
    expect(other.at("leaderboard-row", id=live.org.user("rep1"))).to_have_attribute("data-me", "yes")
    expect(other.at("leaderboard-row", me="yes")).to_have_count(1)
    no_raw_values(other)
    shot(other, "leaderboard-rep-en-laptop")
    # The year's board: nobody has a revenue target for it.
    other.at("leaderboard-period").locator('[data-value="year"]').click()
    expect(other.at("leaderboard")).to_have_attribute("data-period", month[:4])
    year = live.api("rep1").get("/api/v1/leaderboard", params={"metric": "revenue", "period": month[:4]}).json()
    board_matches(other, year, "en")
    assert rep.errors == [] and other.errors == []


def test_a_manager_ranks_the_teams_of_their_region_and_opens_one(live: Live, new_context: Any) -> None:
    month = today_in().strftime("%Y-%m")
    goal(live, "eastmgr", "unit", "team1", month, "400000")
    goal(live, "eastmgr", "unit", "team2", month, "250000")
    api = live.api("eastmgr")

    manager = Phone(new_context())
    manager.page.set_viewport_size(LAPTOP)
    manager.open().sign_in(live.org.email("eastmgr"))
    manager.go("#/leaderboard")
    people = api.get("/api/v1/leaderboard", params={"metric": "revenue", "period": month}).json()
    board_matches(manager, people, "en")
    manager.at("leaderboard-scope").locator('[data-value="team"]').click()
    expect(manager.at("leaderboard")).to_have_attribute("data-scope", "team")
    teams = api.get("/api/v1/leaderboard/units", params={"metric": "revenue", "period": month}).json()
    assert {r["unit_id"] for r in teams} == {live.org.unit("team1"), live.org.unit("team2")}
    board_matches(manager, teams, "en")
    no_raw_values(manager)
    shot(manager, "leaderboard-teams-en-laptop")

    # The quarter: the months' goals together, as the API ranks them.
    quarter = f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"
    manager.at("leaderboard-period").locator('[data-value="quarter"]').click()
    expect(manager.at("leaderboard")).to_have_attribute("data-period", quarter)
    board_matches(manager, api.get("/api/v1/leaderboard/units", params={"period": quarter}).json(), "en")
    manager.at("leaderboard-period").locator('[data-value="month"]').click()

    # In Chinese on a phone; a team opens its people's board.
    manager.go("#/me")
    manager.at("lang-switch").click()
    manager.page.set_viewport_size(PHONE)
    manager.go("#/leaderboard?scope=team")
    board_matches(manager, teams, "zh-CN")
    no_raw_values(manager)
    assert manager.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(manager, "leaderboard-teams-zh")
    manager.at("leaderboard-row", id=live.org.unit("team1")).click()
    expect(manager.at("leaderboard")).to_have_attribute("data-scope", "people")
    team1 = api.get(
        "/api/v1/leaderboard", params={"unit_id": live.org.unit("team1"), "metric": "revenue", "period": month}
    ).json()
    board_matches(manager, team1, "zh-CN")
    assert manager.errors == []

    # A lead ranks the teams of their region, their own marked.
    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go("#/leaderboard")
    lead.at("leaderboard-scope").locator('[data-value="team"]').click()
    expect(lead.at("leaderboard")).to_have_attribute("data-scope", "team")
    siblings = (
        live.api("lead1")
        .get(
            "/api/v1/leaderboard/units",
            params={"unit_id": live.org.unit("east"), "metric": "revenue", "period": month},
        )
        .json()
    )
    board_matches(lead, siblings, "en")
    expect(lead.at("leaderboard-row", id=live.org.unit("team1"))).to_have_attribute("data-me", "yes")
    assert lead.errors == []


def test_a_rep_without_goals_reaches_the_leaderboard_from_the_goals_screen(live: Live, new_context: Any) -> None:
    """A rep new to team3, whose goals (and their team's) are not set yet: the goals screen says so and still
    leads to the team's leaderboard, which shows the team as GET /leaderboard answers it for them."""
    month = today_in().strftime("%Y-%m")
    goal(live, "boss", "user", "rep4", month, "200000")  # the teammate ranked on the board
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    body = {
        "email": email,
        "name": "新来的",
        "role": "rep",
        "unit_id": live.org.unit("team3"),
        "password": "first-password-1",
    }
    created = live.api("admin").post("/api/v1/users", json=body)
    assert created.status_code == 201, created.text
    newcomer = created.json()["id"]
    # The password an admin set is replaced first, as the app asks.
    changed = live.server.sign_in(email, "first-password-1").patch(
        "/api/v1/me", json={"current_password": "first-password-1", "password": "own-password-2"}
    )
    assert changed.status_code == 200, changed.text
    api = live.server.sign_in(email, "own-password-2")
    assert api.get("/api/v1/goals", params={"subject_id": newcomer}).json() == []

    rep = Phone(new_context())
    rep.page.set_viewport_size(PHONE)
    rep.open()
    rep.at("login-lang").and_(rep.page.locator('[data-locale="zh-CN"]')).click()
    rep.sign_in(email, "own-password-2")
    rep.at("nav-goals").click()
    # Signed in means synced: the goals are not missing for want of a sync, they are not set.
    expect(rep.page.locator("#view .empty")).to_have_text("你的目标还没有设定，设定后会显示在这里")
    assert "同步" not in rep.page.locator("#view").inner_text()
    expect(rep.at("goal-progress")).to_have_count(0)
    expect(rep.at("nav-leaderboard")).to_have_text("排行榜")
    shot(rep, "leaderboard-rep-no-goals-goals-zh")
    rep.at("nav-leaderboard").click()
    expect(rep.at("leaderboard")).to_have_attribute("data-cached", "no")
    expect(rep.at("leaderboard")).to_have_attribute("data-period", month)
    rows = api.get("/api/v1/leaderboard", params={"metric": "revenue", "period": month}).json()
    assert live.org.user("rep4") in {r["user_id"] for r in rows}
    board_matches(rep, rows, "zh-CN")
    no_raw_values(rep)
    shot(rep, "leaderboard-rep-no-goals-zh")
    rep.page.set_viewport_size(LAPTOP)
    rep.go("#/goals")
    rep.at("nav-leaderboard").click()
    board_matches(rep, rows, "zh-CN")
    shot(rep, "leaderboard-rep-no-goals-zh-laptop")
    assert rep.errors == []
