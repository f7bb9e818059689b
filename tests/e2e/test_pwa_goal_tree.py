"""The goal tree (#/goals/tree) as a lead reads it on a phone and a manager on a laptop: each node's figures
are GET /goals/tree's (formatted here, not by the app), an allocation made on screen lands on the server, and
an over-allocation is shown at the field and changes nothing. Offline, the last copy is shown, marked."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone, hook
from tests.e2e.test_pwa_screens import shot

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 800}


# ---- the figures as a reader expects them, written out here rather than taken from the app ------------------


def _trim(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def money(value: str, locale: str) -> str:
    n = float(value)
    if locale == "zh-CN" and abs(n) >= 1e8:
        return f"¥{_trim(n / 1e8)}亿"
    if locale == "zh-CN" and abs(n) >= 1e4:
        return f"¥{_trim(n / 1e4)}万"
    # Below 万 (or in English): whole yuan, or yuan and both digits of the cents.
    whole, _, cents = f"{n:,.2f}".partition(".")
    return f"¥{whole}.{cents}" if cents != "00" else f"¥{whole}"


def percent1(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:.1f}%"


def expected_cells(node: dict[str, Any], locale: str) -> dict[str, str]:
    """What the revenue node's figure cells read: target, (a unit's) allocated and unallocated, done,
    attainment, time elapsed and the gap between the two."""
    goal, figures = node["goal"], node["figures"]
    elapsed = (figures["working_days_total"] - figures["working_days_left"]) / figures["working_days_total"]
    cells = {
        "target": money(goal["target"], locale),
        "actual": money(figures["actual"], locale),
        "attainment": percent1(figures["attainment"]),
        "elapsed": percent1(elapsed),
    }
    # Ahead of or behind the time elapsed, in percentage points.
    gap = (figures["attainment"] - elapsed) * 100
    points = f"{'+' if gap > 0 else ''}{gap:.1f}"
    cells["gap"] = f"{points} 个百分点" if locale == "zh-CN" else f"{points} points"
    if node["subject_type"] == "unit":
        cells |= {"allocated": money(goal["allocated"], locale), "unallocated": money(goal["unallocated"], locale)}
    return cells


def shown_cells(phone: Phone) -> dict[str, str]:
    node = phone.at("gt-node")
    return {
        cell.get_attribute("data-key"): cell.locator("b").inner_text()
        for cell in node.locator(hook("gt-figure")).all()
    }


def tree(live: Live, who: str, period: str) -> dict[str, dict[str, Any]]:
    answer = live.api(who).get("/api/v1/goals/tree", params={"period": period})
    assert answer.status_code == 200, answer.text
    return {n["subject_id"]: n for n in answer.json()["nodes"]}


def goal_of(live: Live, subject: str, period: str) -> dict[str, Any]:
    found = live.api("boss").get("/api/v1/goals", params={"subject_id": subject, "period": period}).json()
    assert len(found) == 1, found
    return found[0]


def expect_node(phone: Phone, node: dict[str, Any], locale: str) -> None:
    expect(phone.at("gt-node", subject=node["subject_id"])).to_be_visible()
    expected = expected_cells(node, locale)
    # The screen redraws after a save; the cells are compared once they show the answer's target.
    expect(phone.at("gt-figure", key="target").locator("b")).to_have_text(expected["target"])
    assert shown_cells(phone) == expected


@pytest.fixture(scope="module")
def month(live: Live) -> str:
    """This month's revenue cascade: company 1,000,000 → east 600,000, south 300,000 → team1 500,000 → rep1
    200,000.50, rep2 250,000 (so team1 has 49,999.50 unallocated)."""
    period = today_in().strftime("%Y-%m")
    boss, org = live.api("boss"), live.org

    def allocate(goal: dict[str, Any], *children: tuple[str, str, str]) -> None:
        body = {"allocations": [{"subject_type": t, "subject_id": i, "target": v} for t, i, v in children]}
        answer = boss.post(f"/api/v1/goals/{goal['id']}/allocate", json=body)
        assert answer.status_code == 200, answer.text

    company = boss.post(
        "/api/v1/goals",
        json={
            "subject_type": "unit",
            "subject_id": org.unit("company"),
            "metric": "revenue",
            "period": period,
            "target": "1000000",
        },
    )
    assert company.status_code == 201, company.text
    allocate(company.json(), ("unit", org.unit("east"), "600000"), ("unit", org.unit("south"), "300000"))
    allocate(goal_of(live, org.unit("east"), period), ("unit", org.unit("team1"), "500000"))
    allocate(
        goal_of(live, org.unit("team1"), period),
        ("user", org.user("rep1"), "200000.50"),
        ("user", org.user("rep2"), "250000"),
    )
    return period


def test_a_lead_walks_the_team_on_a_phone_and_allocates_to_a_rep(live: Live, new_context: Any, month: str) -> None:
    org = live.org
    lead = Phone(new_context())
    lead.open().sign_in(org.email("lead1"))  # the factories' lead reads English
    lead.go(f"#/goals/tree?period={month}")
    nodes = tree(live, "lead1", month)
    expect_node(lead, nodes[org.unit("team1")], "en")
    expect(lead.at("gt-tree")).to_be_hidden()  # one level at a time on a phone
    rows = lead.at("gt-child")
    expect(rows).to_have_count(2)
    for rep in ("rep1", "rep2"):
        row = lead.at("gt-child", subject=org.user(rep))
        expect(row.locator(".gt-att")).to_have_text(percent1(nodes[org.user(rep)]["figures"]["attainment"]))

    # Down to a rep, and back by the breadcrumb.
    lead.at("gt-child", subject=org.user("rep1")).click()
    expect_node(lead, nodes[org.user("rep1")], "en")
    expect(lead.at("gt-breadcrumb")).to_contain_text("team1")
    expect(lead.at("gt-breadcrumb")).to_contain_text("Rep1")
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(lead, "goal-tree-rep-360-en")
    lead.at("gt-crumb", subject=org.unit("team1")).click()
    expect(lead.at("gt-node", subject=org.unit("team1"))).to_be_visible()
    # Seasonality is a manager's rule: a lead has no editor for it.
    expect(lead.at("gt-weights-form")).to_have_count(0)

    # An allocation typed on the phone is the server's after saving, and the screen shows what it answered.
    lead.at("gt-alloc-input", subject=org.user("rep1")).fill("210000")
    expect(lead.at("gt-alloc-total")).to_contain_text(money("460000", "en"))
    lead.at("gt-alloc-save").click()
    expect(lead.at("gt-figure", key="allocated").locator("b")).to_have_text(money("460000", "en"))
    assert goal_of(live, org.user("rep1"), month)["target"] == "210000.00"
    assert goal_of(live, org.unit("team1"), month)["unallocated"] == "40000.00"
    expect_node(lead, tree(live, "lead1", month)[org.unit("team1")], "en")
    shot(lead, "goal-tree-team-360-en")

    # A target set below what the reps hold is refused at the target's field, in words; nothing changes.
    lead.at("gt-target-form").locator("summary").click()
    lead.at("gt-target-input").fill("100000")
    lead.at("gt-target-save").click()
    expect(lead.at("gt-target-error")).to_have_text(
        f"The targets below add up to {money('460000', 'en')}, over this target of {money('100000', 'en')} "
        f"by {money('360000', 'en')}"
    )
    assert goal_of(live, org.unit("team1"), month)["target"] == "500000.00"
    assert lead.errors == []


def test_a_manager_reads_the_tree_beside_the_node_on_a_laptop_and_over_allocating_changes_nothing(
    live: Live, new_context: Any, month: str
) -> None:
    org = live.org
    boss = Phone(new_context())
    boss.page.set_viewport_size(LAPTOP)
    boss.open().sign_in(org.email("boss"))
    boss.go("#/me")
    boss.at("lang-switch").click()  # the factories' manager reads English; this test reads Chinese
    boss.at("nav-goals").click()
    boss.at("goal-tree-open").click()  # from the Goals screen
    expect(boss.at("goal-tree")).to_be_visible()
    boss.go(f"#/goals/tree?period={month}")
    nodes = tree(live, "boss", month)
    expect_node(boss, nodes[org.unit("company")], "zh-CN")
    expect(boss.at("gt-tree")).to_be_visible()  # the whole tree beside the node
    for key in ("east", "south", "team1", "team2", "team3"):
        expect(boss.at("gt-tree-item", subject=org.unit(key))).to_be_visible()
    shot(boss, "goal-tree-company-1280-zh")

    boss.at("gt-tree-item", subject=org.unit("team1")).click()
    expect_node(boss, nodes[org.unit("team1")], "zh-CN")
    expect(boss.at("gt-breadcrumb")).to_contain_text("company")

    # Over-allocating: shown at the total as it is typed, then the server's refusal in words; nothing changes.
    team1, rep2 = goal_of(live, org.unit("team1"), month), goal_of(live, org.user("rep2"), month)
    allocated = float(team1["allocated"])
    too_much = float(team1["unallocated"]) + float(rep2["target"]) + 1000
    boss.at("gt-alloc-input", subject=org.user("rep2")).fill(f"{too_much:.2f}")
    total = allocated - float(rep2["target"]) + too_much
    sentence = f"分配合计 {money(str(total), 'zh-CN')} 超过目标 {money(team1['target'], 'zh-CN')}，多了 {money('1000', 'zh-CN')}"
    expect(boss.at("gt-alloc-error")).to_have_text(sentence)
    boss.at("gt-alloc-save").click()
    expect(boss.at("gt-alloc-error")).to_have_attribute("data-server", "1")
    expect(boss.at("gt-alloc-error")).to_have_text(sentence)
    assert goal_of(live, org.user("rep2"), month)["target"] == rep2["target"]
    assert goal_of(live, org.unit("team1"), month)["allocated"] == team1["allocated"]
    shot(boss, "goal-tree-over-allocated-1280-zh")

    # The goal's history names who set it.
    boss.at("gt-history-panel").locator("summary").click()
    expect(boss.at("gt-history-item").first).to_contain_text("Boss")
    expect(boss.at("gt-history-item").first).to_contain_text("分配")

    # Offline: the last copy, marked, without the forms that write.
    boss.offline()
    boss.at("gt-tree-item", subject=org.unit("east")).click()
    expect(boss.at("gt-cached")).to_be_visible()
    expect_node(boss, tree(live, "boss", month)[org.unit("east")], "zh-CN")
    expect(boss.at("gt-alloc-form")).to_have_count(0)
    shot(boss, "goal-tree-offline-1280-zh")
    # Started again offline, the app and the screen come from the phone, the tree from its last copy.
    boss.wait_offline_ready()
    boss.reload()
    expect(boss.at("gt-cached")).to_be_visible()
    expect(boss.at("gt-node", subject=org.unit("east"))).to_be_visible()
    boss.online()
    assert boss.errors == []


def test_a_manager_edits_a_units_seasonality_weights_and_the_split_follows_them(
    live: Live, new_context: Any
) -> None:
    org, year = live.org, "2030"  # a year no other test sets goals or weights for
    team2 = org.unit("team2")
    api = live.api("eastmgr")
    created = api.post(
        "/api/v1/goals",
        json={
            "subject_type": "unit",
            "subject_id": team2,
            "metric": "revenue",
            "period": year,
            "target": "1300000",
        },
    )
    assert created.status_code == 201, created.text
    manager = Phone(new_context())
    manager.page.set_viewport_size(LAPTOP)
    manager.open().sign_in(org.email("eastmgr"))  # the factories' manager reads English
    manager.go(f"#/goals/tree?period={year}&node={team2}")
    expect(manager.at("gt-node", subject=team2)).to_be_visible()
    form = manager.at("gt-weights-form")
    form.locator("summary").click()
    expect(manager.at("gt-weights-source")).to_have_text("No weights set: the split is even")
    expect(manager.at("gt-weight-input")).to_have_count(12)
    expect(form).to_contain_text("January")
    expect(form).to_contain_text("December")
    expect(manager.at("gt-weights-sum")).to_have_text("Weights total 12")

    # A weight below zero: the server's refusal at April's field, in words; nothing is saved.
    manager.at("gt-weight-input", month="12").fill("2")
    manager.at("gt-weight-input", month="4").fill("-1")
    expect(manager.at("gt-weights-sum")).to_have_text("Weights total 11")
    manager.at("gt-weights-save").click()
    expect(manager.at("gt-weight-error", month="4")).to_have_text("Each month's weight is from 0 to 1,000,000")
    expect(manager.at("gt-weight-input", month="4")).to_have_attribute("aria-invalid", "true")
    assert api.get(f"/api/v1/seasonality/{team2}").json()["set_on"] is None
    shot(manager, "goal-tree-weights-refused-1280-en")

    # Fixed and saved: December weighs double, and the server holds exactly that.
    manager.at("gt-weight-input", month="4").fill("1")
    expect(manager.at("gt-weights-sum")).to_have_text("Weights total 13")
    manager.at("gt-weights-save").click()
    expect(manager.at("gt-weights-source")).to_have_text("These are team2's own weights")
    expect(manager.at("gt-weight-error", month="4")).to_have_text("")
    stored = api.get(f"/api/v1/seasonality/{team2}").json()
    assert (stored["set_on"], [float(x) for x in stored["weights"]]) == (team2, [1.0] * 11 + [2.0])

    # The year's split uses them: each month the API's goal, December twice the others.
    manager.at("gt-split-form").locator("summary").click()
    manager.at("gt-split").click()
    months = manager.at("gt-month")
    expect(months).to_have_count(12)
    shown = {m.get_attribute("data-period"): m.locator("b").inner_text() for m in months.all()}
    targets = {}
    for key in shown:
        found = api.get("/api/v1/goals", params={"subject_id": team2, "period": key}).json()
        assert len(found) == 1, found
        targets[key] = found[0]["target"]
        assert shown[key] == money(targets[key], "en"), key
    assert targets[f"{year}-12"] == "200000.00"
    assert all(v == "100000.00" for k, v in targets.items() if k != f"{year}-12")
    shot(manager, "goal-tree-weights-split-1280-en")
    assert manager.errors == []
