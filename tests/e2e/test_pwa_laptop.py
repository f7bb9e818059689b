"""The laptop layout: from 1024 px a side navigation (with the screens a phone reaches from Me) instead of the
bottom tab bar, and the team's screens using the width; at 360 px the rep's phone layout as it was. Screenshots
of both, in zh-CN and en, go to test-artifacts/screens/ for people to look at.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone
from tests.e2e.test_pwa_goal_tree import expected_cells, shown_cells
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}


def submitted_visits(live: Live, rep: str, customer: str, count: int) -> list[str]:
    """Visits `rep` logged today and sent for approval, through the sync API as a phone sends them."""
    client = SyncClient(live.api(rep))
    ids = []
    for n in range(count):
        visit_id = str(uuid.uuid4())
        at = today_in().replace(microsecond=0) - timedelta(minutes=5 * (n + 1))
        fields = {
            "customer_id": customer,
            "check_in_at": at.isoformat(),
            "outcome": "interested",
            "notes": f"第{n + 1}次",
        }
        client.queue_mutation("visit", "create", visit_id, fields=fields)
        client.queue_mutation("visit", "action", visit_id, name="submit", base_version=1)
        ids.append(visit_id)
    assert all(r["status"] == "applied" for body in client.sync() for r in body["results"])
    return ids


def shot(phone: Phone, name: str) -> None:
    phone.page.evaluate("() => { document.getElementById('toast').hidden = true; }")
    phone.page.evaluate("() => document.fonts.ready")
    SCREENS.mkdir(parents=True, exist_ok=True)
    phone.page.screenshot(path=str(SCREENS / f"{name}.png"))


def box(phone: Phone, selector: str) -> dict[str, float]:
    found = phone.page.locator(selector).bounding_box()
    assert found is not None, selector
    return dict(found)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_lead_at_a_laptop_has_the_navigation_at_the_side(live: Live, new_context: Any, locale: str) -> None:
    submitted_visits(live, "rep1", live.add_customer("rep1", "宽屏五金店"), 3)
    phone = Phone(new_context())
    phone.page.set_viewport_size(LAPTOP)
    phone.open()
    phone.at("login-lang").and_(phone.page.locator(f'[data-locale="{locale}"]')).click()
    phone.sign_in(live.org.email("lead1"))
    suffix = locale.lower()

    nav = box(phone, "#nav")
    top = box(phone, "#top")
    assert (top["x"], top["y"], top["width"]) == (0, 0, LAPTOP["width"])
    assert (nav["x"], nav["y"]) == (0, top["height"]) and nav["y"] + nav["height"] == LAPTOP["height"]
    assert nav["width"] < 300
    main = box(phone, "#view")
    assert main["x"] >= nav["width"]
    # The screens reached from Me on a phone are side links here, the one open marked.
    phone.at("side-reports").click()
    expect(phone.at("side-reports")).to_have_class("side on")
    expect(phone.page.locator("#nav a.on")).to_have_count(2)  # Me too, which app.css leaves unmarked here
    expect(phone.at("reports")).to_be_visible()
    assert box(phone, '[data-test="reports"]')["width"] > 900
    shot(phone, f"laptop-lead-reports-{suffix}")

    phone.at("nav-approve").click()
    expect(phone.at("approvals")).to_be_visible()
    # The queue's cards two by two: the first two side by side, the third under the first.
    cards = [box(phone, f'[data-test="approve-item"] >> nth={n}') for n in range(3)]
    assert cards[0]["y"] == cards[1]["y"] and cards[1]["x"] > cards[0]["x"] + cards[0]["width"]
    assert cards[2]["x"] == cards[0]["x"] and cards[2]["y"] > cards[0]["y"]
    shot(phone, f"laptop-lead-approvals-{suffix}")
    phone.at("nav-me").click()
    expect(phone.at("me")).to_be_visible()
    shot(phone, f"laptop-lead-me-{suffix}")
    assert phone.errors == []


def test_the_reps_phone_keeps_its_bottom_tabs_and_a_phone_has_no_side_links(live: Live, context: Any) -> None:
    phone = Phone(context).open()
    shot(phone, "phone-login-zh-cn")
    phone.at("login-lang").and_(phone.page.locator('[data-locale="en"]')).click()
    expect(phone.at("login-submit")).to_have_text("Sign in")
    shot(phone, "phone-login-en")
    phone.sign_in(live.org.email("rep1"))
    nav = box(phone, "#nav")
    assert nav["x"] == 0 and nav["width"] == 360 and nav["y"] + nav["height"] == 740
    expect(phone.page.locator("#nav a.side")).to_have_count(0)
    shot(phone, "phone-rep-home-en")

    assert phone.errors == []


def test_a_leads_phone_keeps_the_bottom_tabs(live: Live, context: Any) -> None:
    phone = Phone(context).open().sign_in(live.org.email("lead2"))
    nav = box(phone, "#nav")
    assert nav["x"] == 0 and nav["width"] == 360 and nav["y"] + nav["height"] == 740
    assert phone.page.locator("#nav a.side").count() > 0
    for link in phone.page.locator("#nav a.side").all():
        expect(link).to_be_hidden()
    phone.at("nav-approve").click()
    expect(phone.at("approvals")).to_be_visible()
    shot(phone, "phone-lead-approvals-en")
    phone.go("#/me")
    phone.at("lang-switch").click()
    phone.at("nav-approve").click()
    expect(phone.at("approvals")).to_contain_text("待审批拜访")
    shot(phone, "phone-lead-approvals-zh-cn")
    assert phone.errors == []


def test_a_manager_at_a_laptop_opens_the_goal_tree_from_the_side(live: Live, new_context: Any) -> None:
    """The goal tree is a side link for leads and managers at a laptop: the manager reaches it there and reads
    the company's figures as GET /goals/tree answers them (formatted here, in Chinese)."""
    year = today_in().strftime("%Y")
    boss, org = live.api("boss"), live.org
    created = boss.post(
        "/api/v1/goals",
        json={
            "subject_type": "unit",
            "subject_id": org.unit("company"),
            "metric": "revenue",
            "period": year,
            "target": "1200000",
        },
    )
    assert created.status_code == 201, created.text
    body = {"allocations": [{"subject_type": "unit", "subject_id": org.unit("east"), "target": "450000"}]}
    allocated = boss.post(f"/api/v1/goals/{created.json()['id']}/allocate", json=body)
    assert allocated.status_code == 200, allocated.text

    phone = Phone(new_context())
    phone.page.set_viewport_size(LAPTOP)
    phone.open()
    phone.at("login-lang").and_(phone.page.locator('[data-locale="zh-CN"]')).click()
    phone.sign_in(org.email("boss"))
    expect(phone.at("side-goaltree")).to_have_text("目标分解")
    phone.at("side-goaltree").click()
    expect(phone.at("goal-tree")).to_be_visible()
    expect(phone.at("side-goaltree")).to_have_class("side on")
    expect(phone.at("nav-goals")).not_to_have_class("on")

    answer = boss.get("/api/v1/goals/tree", params={"period": year})
    assert answer.status_code == 200, answer.text
    (company,) = [n for n in answer.json()["nodes"] if n["subject_id"] == org.unit("company")]
    expected = expected_cells(company, "zh-CN")
    assert (
        expected["target"] == "¥120万" and expected["allocated"] == "¥45万" and expected["unallocated"] == "¥75万"
    )
    expect(phone.at("gt-node", subject=org.unit("company"))).to_be_visible()
    expect(phone.at("gt-figure", key="target").locator("b")).to_have_text(expected["target"])
    assert shown_cells(phone) == expected
    expect(phone.at("gt-tree-item", subject=org.unit("east"))).to_be_visible()
    shot(phone, "laptop-manager-goal-tree-zh-cn")
    assert phone.errors == []
