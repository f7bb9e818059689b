"""The team channels screen: a manager adds a WeCom robot to a team, sends it a test message and removes it,
seeing only the masked webhook; a rep sees which groups hear about their team and the email digest choice."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live
from tests.e2e.phone import Phone, hook

pytestmark = pytest.mark.browser

KEY = "e2e0a1b2-c3d4-e5f6-a7b8-c9d0e1f2a3b4"


def test_a_manager_adds_tests_and_removes_a_teams_robot(live: Live, new_context: Any) -> None:
    team1 = live.org.unit("team1")
    manager = Phone(new_context()).open().sign_in(live.org.email("eastmgr"))
    manager.go("#/me")
    manager.at("nav-channels").click()
    manager.at("channels-unit").select_option(team1)
    # The team's own form: the one drawn before the choice is replaced when the team's screen arrives.
    expect(manager.at("channel-form", unit=team1)).to_be_visible()

    manager.at("channel-kind").select_option("wecom")
    manager.at("channel-url-input").fill("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x")
    manager.at("channel-add").click()
    expect(manager.at("channel-error")).to_contain_text("https://")  # refused, naming the rule

    manager.at("channel-url-input").fill(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}")
    manager.at("channel-for-leads").check()
    manager.at("channel-add").click()
    item = manager.at("channel-item", kind="wecom")
    expect(item.locator(hook("channel-url"))).to_have_text(
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****a3b4"
    )
    assert KEY not in manager.page.content()
    SCREENS.mkdir(parents=True, exist_ok=True)
    manager.page.screenshot(path=str(SCREENS / "channels.png"), full_page=True)

    item.locator(hook("channel-test")).click()
    expect(manager.at("channels-message")).not_to_have_text("")
    [row] = live.rows("SELECT kind, status FROM channel_message")
    assert tuple(row) == ("test", "pending")

    item.locator(hook("channel-remove")).click()
    item.locator(hook("channel-remove")).click()  # the second tap confirms
    expect(manager.at("channel-item")).to_have_count(0)
    assert live.api("eastmgr").get(f"/api/v1/units/{team1}/channels").json() == []
    assert not manager.errors


def test_a_rep_sees_the_groups_of_their_team_and_the_email_digest_choice(live: Live, new_context: Any) -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=e2e-token-0123456789"
    made = live.api("eastmgr").post(
        f"/api/v1/units/{live.org.unit('team2')}/channels", json={"kind": "dingtalk", "url": url}
    )
    assert made.status_code == 201, made.text
    rep = Phone(new_context()).open().sign_in(live.org.email("rep3"))
    rep.go("#/me")
    expect(rep.at("me-channels")).to_contain_text("DingTalk (team2)")
    # This server has no SMTP: the choice is shown, switched off and not available.
    expect(rep.at("digest-status")).to_contain_text("does not send email")
    expect(rep.at("digest-enabled")).to_be_disabled()
    expect(rep.at("nav-channels")).to_have_count(0)
    rep.at("me-channels").scroll_into_view_if_needed()
    rep.page.screenshot(path=str(SCREENS / "me-channels.png"))
    assert not rep.errors
