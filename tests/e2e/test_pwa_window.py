"""Rule 9 on the phone: a lead's or manager's replica holds the last 31 days of the team's work, and a record
that ages out is dropped by the phone itself, offline too, without a reset (docs/sync.md, rule 9); a rep's
own work never ages on their phone.

The lead's phone pulls two of a rep's visits, checked in 25 days and one day ago. Ten days later, by the
phone's clock (Playwright's clock, installed before the app starts again), the app is opened offline: the
older visit is 35 days old and has gone from the replica, the other stays.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.live import PHONE_VIEWPORT, STEP_MS, Live, today_in
from tests.e2e.phone import Phone
from tests.support.server import happens_within
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser
WAIT_S = 20.0


def logged_visits(live: Live, rep: str, customer: str, *days_ago: int) -> list[str]:
    """Visits `rep` logged (and synced) at a new customer, each checked in that many days ago; their ids."""
    shop = live.add_customer(rep, customer)
    phone = SyncClient(live.api(rep))
    now = today_in().replace(microsecond=0)
    ids = []
    for days in days_ago:
        check_in = (now - timedelta(days=days)).isoformat()
        fields = {"customer_id": shop, "check_in_at": check_in, "outcome": "follow_up", "notes": f"{days} 天前"}
        ids.append(phone.queue_mutation("visit", "create", fields=fields)["id"])
    receipts = [r for body in phone.sync() for r in body["results"]]
    assert receipts and all(r["status"] == "applied" for r in receipts), receipts
    return ids


@contextmanager
def signed_in(live: Live, browser: Any, who: str) -> Iterator[Phone]:
    """A new phone (its own browser context) with `who` signed in."""
    context = browser.new_context(base_url=live.base_url, viewport=PHONE_VIEWPORT)
    context.set_default_timeout(STEP_MS)
    try:
        phone = Phone(context).open().sign_in(live.org.email(who))
        yield phone
        assert phone.errors == []
    finally:
        context.close()


def held_visits(phone: Phone) -> set[str]:
    return {visit["id"] for visit in phone.storage()["visits"]}


def test_a_visit_that_ages_out_of_the_leads_window_is_dropped_offline(live: Live, browser: Any) -> None:
    aged, recent = logged_visits(live, "rep1", "窗口五金", 25, 1)
    with signed_in(live, browser, "lead1") as lead:
        lead.wait_offline_ready()
        assert happens_within(lambda: {aged, recent} <= held_visits(lead), WAIT_S), held_visits(lead)

        lead.offline()
        lead.page.clock.install(time=datetime.now() + timedelta(days=10))
        lead.reload()
        lead.at("home").wait_for()
        assert happens_within(lambda: aged not in held_visits(lead), WAIT_S), "the aged visit is still held"
        assert recent in held_visits(lead)


def test_a_reps_own_work_never_ages_on_their_phone(live: Live, browser: Any) -> None:
    (old,) = logged_visits(live, "rep2", "自己的老客户", 60)
    with signed_in(live, browser, "rep2") as phone:
        phone.wait_offline_ready()
        assert happens_within(lambda: old in held_visits(phone), WAIT_S), held_visits(phone)
        phone.offline()
        phone.reload()
        phone.at("home").wait_for()
        time.sleep(1)  # the start-up ageing, had it run, would have had its chance
        assert old in held_visits(phone)


def test_a_managers_first_sync_holds_the_window(live: Live, browser: Any) -> None:
    """The east region's manager signs in on a new phone: the team's visit of yesterday is held, the one of
    40 days ago (sent, since it was logged today, with its ageing time) is dropped once the pull caught up."""
    old, recent = logged_visits(live, "rep1", "区域经理看的客户", 40, 1)
    with signed_in(live, browser, "eastmgr") as manager:
        manager.wait_synced()
        assert happens_within(lambda: recent in held_visits(manager), WAIT_S), held_visits(manager)
        assert happens_within(lambda: old not in held_visits(manager), WAIT_S), "the 40-day-old visit is held"
