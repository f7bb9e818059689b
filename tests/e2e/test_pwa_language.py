"""The language switch: on the sign-in screen before anyone signs in, and on Me, where the choice is the
server's too (`PATCH /api/v1/me {locale}`), so the notices it writes follow the reader's language. A choice
made offline is kept on the phone, across a restart, and reaches the server when the network is back.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import Live
from tests.e2e.phone import Phone
from tests.support.server import wait_until

pytestmark = pytest.mark.browser


# The language chosen on the phone and not yet on the server (js/session.js), or null.
UNSENT = """async () => new Promise((resolve) => {
  const open = indexedDB.open('fieldgoal');
  open.onsuccess = () => {
    const get = open.result.transaction('meta').objectStore('meta').get('locale_unsent');
    get.onsuccess = () => { resolve(get.result ?? null); open.result.close(); };
  };
})"""


def stored_locale(live: Live, who: str) -> str:
    return str(live.api(who).get("/api/v1/me").json()["locale"])


def test_the_sign_in_screen_switches_language_and_me_saves_it_to_the_server(live: Live, context: Any) -> None:
    assert stored_locale(live, "rep2") == "zh-CN"
    phone = Phone(context).open()
    expect(phone.at("login-submit")).to_have_text("登录")
    phone.at("login-email").fill(live.org.email("rep2"))
    phone.at("login-lang").and_(phone.page.locator('[data-locale="en"]')).click()
    expect(phone.at("login-submit")).to_have_text("Sign in")
    expect(phone.page.locator("html")).to_have_attribute("lang", "en")
    # What was typed stays when the screen is redrawn in the other language.
    expect(phone.at("login-email")).to_have_value(live.org.email("rep2"))

    phone.sign_in(live.org.email("rep2"))
    expect(phone.at("nav-home")).to_have_text("Today")
    expect(phone.at("nav-me")).to_have_text("Me")
    wait_until(lambda: stored_locale(live, "rep2") == "en", 20, "the sign-in screen's choice reached the server")

    phone.go("#/me")
    phone.at("lang-switch").click()
    expect(phone.at("nav-me")).to_have_text("我的")
    wait_until(lambda: stored_locale(live, "rep2") == "zh-CN", 20, "the switch on Me reached the server")
    assert phone.errors == []


def test_a_switch_made_offline_reaches_the_server_when_back_online(live: Live, context: Any) -> None:
    assert stored_locale(live, "rep3") == "en"
    phone = Phone(context).open()
    phone.wait_offline_ready()
    phone.sign_in(live.org.email("rep3"))
    expect(phone.at("nav-me")).to_have_text("Me")

    phone.offline()
    phone.go("#/me")
    phone.at("lang-switch").click()
    expect(phone.at("nav-me")).to_have_text("我的")
    # The app starts again, still offline: the choice is the phone's, and still waiting for the server.
    phone.reload()
    expect(phone.at("nav-me")).to_have_text("我的")
    assert stored_locale(live, "rep3") == "en"
    assert phone.page.evaluate(UNSENT) == "zh-CN"

    phone.online()
    wait_until(lambda: stored_locale(live, "rep3") == "zh-CN", 20, "the offline choice reached the server")
    phone.page.wait_for_function(f"async () => (await ({UNSENT})()) === null")
    assert phone.errors == []
