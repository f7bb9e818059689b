"""A Web Push message reaching the service worker becomes a notification on the phone (sw.js `push`).

The message is delivered through the DevTools protocol (`ServiceWorker.deliverPushMessage`), which hands the
service worker a `push` event exactly as a push service's message would, without a push service."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.e2e.live import Live
from tests.e2e.phone import Phone

pytestmark = pytest.mark.browser

NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, data: n.data }));
}"""


def test_push_message_shows_a_notification(live: Live, context: Any) -> None:
    context.grant_permissions(["notifications"])
    phone = Phone(context)
    devtools = context.new_cdp_session(phone.page)
    registrations: dict[str, dict[str, Any]] = {}

    def updated(event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            registrations[registration["registrationId"]] = registration

    devtools.on("ServiceWorker.workerRegistrationUpdated", updated)
    devtools.send("ServiceWorker.enable")
    try:
        phone.open().sign_in(live.org.email("rep1"))
        phone.wait_offline_ready()
        scope = f"{live.base_url}/"
        deadline = time.monotonic() + 20
        while not (ours := [r for r in registrations.values() if r["scopeURL"] == scope and not r["isDeleted"]]):
            assert time.monotonic() < deadline, f"no service worker registration for {scope}: {registrations}"
            phone.page.wait_for_timeout(50)
        message = {"title": "目标达成 80%", "body": "本月拜访已完成 32/40", "url": "/#/inbox"}
        devtools.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": live.base_url, "registrationId": ours[0]["registrationId"], "data": json.dumps(message)},
        )

        deadline = time.monotonic() + 20
        while not (shown := phone.page.evaluate(NOTIFICATIONS)):
            assert time.monotonic() < deadline, "the push message never became a notification"
            phone.page.wait_for_timeout(100)
        assert shown == [{"title": message["title"], "body": message["body"], "data": {"url": "/#/inbox"}}]
        assert phone.errors == []
    finally:
        devtools.send("ServiceWorker.disable")
        devtools.detach()
