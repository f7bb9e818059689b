"""Rule 9 on the phone: a lead's replica holds the last 31 days of the team's work, and a record that ages
out is dropped by the phone itself, offline too, without a reset (docs/sync.md, rule 9).

The lead's phone pulls two of a rep's visits, checked in 25 days and one day ago. Ten days later, by the
phone's clock (Playwright's clock, installed before the app starts again), the app is opened offline: the
older visit is 35 days old and has gone from the replica, the other stays.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.live import PHONE_VIEWPORT, STEP_MS, Live, today_in
from tests.e2e.phone import Phone
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser


def held_visits(phone: Phone) -> set[str]:
    return {visit["id"] for visit in phone.storage()["visits"]}


def wait_until(condition: Any, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_a_visit_that_ages_out_of_the_leads_window_is_dropped_offline(live: Live, browser: Any) -> None:
    shop = live.add_customer("rep1", "窗口五金")
    rep = SyncClient(live.api("rep1"))
    now = today_in().replace(microsecond=0)
    aged, recent = str(uuid.uuid4()), str(uuid.uuid4())
    for visit_id, days in ((aged, 25), (recent, 1)):
        check_in = (now - timedelta(days=days)).isoformat()
        fields = {"customer_id": shop, "check_in_at": check_in, "outcome": "follow_up", "notes": f"{days} 天前"}
        rep.queue_mutation("visit", "create", visit_id, fields=fields)
    receipts = [r for body in rep.sync() for r in body["results"]]
    assert receipts and all(r["status"] == "applied" for r in receipts), receipts

    context = browser.new_context(base_url=live.base_url, viewport=PHONE_VIEWPORT)
    context.set_default_timeout(STEP_MS)
    try:
        lead = Phone(context).open().sign_in(live.org.email("lead1"))
        lead.wait_offline_ready()
        assert wait_until(lambda: {aged, recent} <= held_visits(lead)), held_visits(lead)

        lead.offline()
        lead.page.clock.install(time=datetime.now() + timedelta(days=10))
        lead.reload()
        lead.at("home").wait_for()
        assert wait_until(lambda: aged not in held_visits(lead)), "the aged visit is still held"
        assert recent in held_visits(lead)
        assert lead.errors == []
    finally:
        context.close()


def test_a_reps_own_work_never_ages_on_their_phone(live: Live, browser: Any) -> None:
    shop = live.add_customer("rep2", "自己的老客户")
    rep = SyncClient(live.api("rep2"))
    old = str(uuid.uuid4())
    check_in = (today_in().replace(microsecond=0) - timedelta(days=60)).isoformat()
    fields = {"customer_id": shop, "check_in_at": check_in, "outcome": "follow_up", "notes": "60 天前"}
    rep.queue_mutation("visit", "create", old, fields=fields)
    rep.sync()

    context = browser.new_context(base_url=live.base_url, viewport=PHONE_VIEWPORT)
    context.set_default_timeout(STEP_MS)
    try:
        phone = Phone(context).open().sign_in(live.org.email("rep2"))
        phone.wait_offline_ready()
        assert wait_until(lambda: old in held_visits(phone)), held_visits(phone)
        phone.offline()
        phone.reload()
        phone.at("home").wait_for()
        time.sleep(1)  # the start-up ageing, had it run, would have had its chance
        assert old in held_visits(phone)
    finally:
        context.close()


def test_a_managers_first_sync_holds_the_window(live: Live, browser: Any) -> None:
    """The east region's manager signs in on a new phone: the team's visit of yesterday is held, the one of
    40 days ago (sent, since it was logged today, with its ageing time) is dropped once the pull caught up."""
    shop = live.add_customer("rep1", "区域经理看的客户")
    rep = SyncClient(live.api("rep1"))
    now = today_in().replace(microsecond=0)
    old, recent = str(uuid.uuid4()), str(uuid.uuid4())
    for visit_id, days in ((old, 40), (recent, 1)):
        check_in = (now - timedelta(days=days)).isoformat()
        fields = {"customer_id": shop, "check_in_at": check_in, "outcome": "interested", "notes": f"{days} 天前"}
        rep.queue_mutation("visit", "create", visit_id, fields=fields)
    rep.sync()

    context = browser.new_context(base_url=live.base_url, viewport=PHONE_VIEWPORT)
    context.set_default_timeout(STEP_MS)
    try:
        manager = Phone(context).open().sign_in(live.org.email("eastmgr"))
        manager.wait_synced()
        assert wait_until(lambda: recent in held_visits(manager)), held_visits(manager)
        assert wait_until(lambda: old not in held_visits(manager)), "the 40-day-old visit is still held"
        assert manager.errors == []
    finally:
        context.close()
