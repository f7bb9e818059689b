"""A password someone else set: the app asks for one of the user's own before anything else, and then never
again (tests/org/test_ranks.py holds the API's rules)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live
from tests.e2e.phone import Phone

pytestmark = pytest.mark.browser

SET_BY_LEAD = "Lantern-harbour-by-night-4"
CHOSEN = "Quiet-bamboo-valley-82"


def test_a_rep_replaces_the_password_their_lead_set_before_using_the_app(live: Live, new_context: Any) -> None:
    rep = "rep2"  # reads zh-CN
    answer = live.api("lead1").patch(f"/api/v1/users/{live.org.user(rep)}", json={"password": SET_BY_LEAD})
    assert answer.status_code == 200, answer.text

    phone = Phone(new_context()).open()
    phone.at("login-email").fill(live.org.email(rep))
    phone.at("login-password").fill(SET_BY_LEAD)
    phone.at("login-submit").click()
    expect(phone.at("password-forced")).to_be_visible()
    expect(phone.at("password-form")).to_contain_text("修改密码")
    # No way around it: another screen shows the same form.
    phone.go("#/customers")
    expect(phone.at("password-forced")).to_be_visible()
    SCREENS.mkdir(parents=True, exist_ok=True)
    phone.page.screenshot(path=str(SCREENS / "password-forced-zh.png"))

    phone.at("password-current").fill(SET_BY_LEAD)
    phone.at("password-new").fill(CHOSEN)
    phone.at("password-again").fill(CHOSEN + "x")
    phone.at("password-submit").click()
    expect(phone.at("password-error")).to_have_text("两次输入的新密码不一致")
    phone.at("password-again").fill(CHOSEN)
    phone.at("password-submit").click()
    expect(phone.at("home")).to_be_visible()
    phone.reload()
    expect(phone.at("home")).to_be_visible()
    expect(phone.at("password-forced")).to_have_count(0)
    assert phone.errors == []

    stored = live.rows('SELECT must_change_password FROM "user" WHERE id = :id', id=live.org.user(rep))
    assert [bool(row[0]) for row in stored] == [False]
