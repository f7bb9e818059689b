"""The queue as the rep sees it: the pending count is records, not mutations; a visit logged offline can be
edited before it syncs and reaches the server as edited, once; check-out works offline and reaches the server
with its time and position; and unsynced work older than a day is called out."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import PUT_META, Phone
from tests.e2e.test_pwa_screens import shot
from tests.support.server import wait_until
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser

HERE = {"latitude": 30.27415, "longitude": 120.15515}


# Marks every queued mutation as possibly sent already (as after a request whose answer was lost).
def mark_sent(phone: Phone) -> None:
    phone.page.evaluate(PUT_META, ["sent_through", 1000000])


def open_visit(phone: Phone, visit_id: str) -> None:
    phone.at("visit-item", id=visit_id).click()
    expect(phone.at("visit-form")).to_be_visible()


def test_three_visits_offline_count_three_records(live: Live, context: Any) -> None:
    customer = live.add_customer("rep1", "Queue Count Store")
    phone = Phone(context).open().sign_in(live.org.email("rep1"))
    phone.wait_offline_ready()
    phone.offline()
    ids = [phone.log_visit(customer, notes=f"count {n}") for n in range(3)]
    # Each visit is a create and a submit: six mutations, three records.
    assert len(phone.storage()["outbox"]) == 6
    phone.wait_pending(3)

    phone.go("#/me")
    phone.at("sign-out").click()
    expect(phone.at("sign-out")).to_contain_text("3 record(s) are unsent")
    phone.go("#/")

    phone.online()
    phone.sync_now()
    phone.wait_pending(0)
    assert len(live.rows("SELECT id FROM visit WHERE id IN (:a, :b, :c)", a=ids[0], b=ids[1], c=ids[2])) == 3
    assert phone.errors == []


def test_visit_logged_offline_and_edited_before_sync_arrives_edited(live: Live, context: Any) -> None:
    customer = live.add_customer("rep2", "离线修改五金店")
    phone = Phone(context).open().sign_in(live.org.email("rep2"))
    phone.wait_offline_ready()
    phone.offline()
    visit_id = phone.log_visit(customer, outcome="follow_up", satisfaction=3, notes="初稿")

    open_visit(phone, visit_id)
    expect(phone.at("visit-save")).to_be_enabled()
    expect(phone.at("visit-notes")).to_have_value("初稿")
    phone.at("visit-outcome").select_option("ordered")
    phone.at("visit-satisfaction").fill("5")
    phone.at("visit-notes").fill("改过：对方要下单")
    phone.at("visit-save").click()
    phone.at("home").wait_for()
    # Folded into the unsent create: still one create and its submit, carrying the edit.
    outbox = phone.storage()["outbox"]
    assert [(m["op"], m.get("name")) for m in outbox] == [("create", None), ("action", "submit")]
    assert outbox[0]["fields"]["notes"] == "改过：对方要下单"
    phone.wait_pending(1)

    # Edited once more, after the create may have left the phone: a new update on version 1.
    mark_sent(phone)
    open_visit(phone, visit_id)
    expect(phone.at("visit-notes")).to_have_value("改过：对方要下单")
    phone.at("visit-next").fill((today_in() + timedelta(days=5)).date().isoformat())
    phone.at("visit-save").click()
    phone.at("home").wait_for()
    outbox = phone.storage()["outbox"]
    assert [m["op"] for m in outbox] == ["create", "action", "update"]
    assert outbox[2]["base_version"] == 1 and list(outbox[2]["fields"]) == ["next_follow_up_on"]
    phone.wait_pending(1)

    phone.online()
    phone.sync_now()
    phone.wait_pending(0)
    rows = live.rows(
        "SELECT outcome, satisfaction, notes, next_follow_up_on, status FROM visit WHERE customer_id = :c",
        c=customer,
    )
    assert len(rows) == 1
    outcome, satisfaction, notes, next_day, status = rows[0]
    assert (outcome, satisfaction, notes, status) == ("ordered", 5, "改过：对方要下单", "submitted")
    assert str(next_day)[:10] == (today_in() + timedelta(days=5)).date().isoformat()
    assert phone.storage()["rejected"] == []
    assert phone.errors == []


def test_check_out_offline_then_synced_records_time_and_position(live: Live, new_context: Any) -> None:
    customer = live.add_customer("rep2", "签退测试商店", lat=30.2742, lon=120.1552)
    rep = SyncClient(live.api("rep2"))
    visit_id = str(uuid.uuid4())
    checked_in = today_in().replace(microsecond=0) - timedelta(minutes=42)
    rep.queue_mutation(
        "visit",
        "create",
        visit_id,
        fields={
            "customer_id": customer,
            "check_in_at": checked_in.isoformat(),
            "lat": 30.2742,
            "lon": 120.1552,
            "accuracy_m": 10,
            "outcome": "interested",
            "notes": "签退",
        },
    )
    assert all(r["status"] == "applied" for body in rep.sync() for r in body["results"])

    phone = Phone(new_context(geolocation=HERE, permissions=["geolocation"]))
    phone.open().sign_in(live.org.email("rep2"))
    phone.wait_offline_ready()
    phone.offline()
    open_visit(phone, visit_id)
    expect(phone.at("visit-onsite")).to_contain_text("尚未签退")
    # What the server made of the check-in, as the lead sees it: at the customer's door, no flags.
    expect(phone.at("evidence-facts")).to_have_text("距客户 0 米")
    expect(phone.at("flag-chip")).to_have_count(0)
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(phone, "visit-checkout-zh")
    phone.at("visit-checkout").click()
    expect(phone.at("visit-onsite")).to_contain_text(re.compile(r"在访 4[23] 分钟"))
    expect(phone.at("visit-checkout")).to_have_count(0)
    phone.wait_pending(1)
    shot(phone, "visit-checked-out-zh")
    assert live.rows("SELECT check_out_at FROM visit WHERE id = :id", id=visit_id) == [(None,)]

    phone.online()
    phone.sync_now()
    phone.wait_pending(0)
    out_at, lat, lon, accuracy = live.rows(
        "SELECT check_out_at, check_out_lat, check_out_lon, check_out_accuracy_m FROM visit WHERE id = :id",
        id=visit_id,
    )[0]
    assert out_at is not None
    assert abs(lat - HERE["latitude"]) < 1e-6 and abs(lon - HERE["longitude"]) < 1e-6 and accuracy is not None
    assert phone.errors == []


def test_unsynced_work_older_than_a_day_is_called_out(live: Live, context: Any) -> None:
    customer = live.add_customer("rep1", "Stale Queue Store")
    phone = Phone(context).open().sign_in(live.org.email("rep1"))
    phone.wait_offline_ready()
    phone.offline()
    phone.log_visit(customer, notes="stale 1")
    expect(phone.page.locator('[data-test="stale-queue"]')).to_have_count(0)
    # The queue's own record of when it was queued, two days back (the phone's clock is not moved).
    two_days_ago = (today_in() - timedelta(days=2, minutes=5)).isoformat()
    phone.page.evaluate(
        """async (at) => {
          const db = await new Promise((resolve) => { const o = indexedDB.open('fieldgoal'); o.onsuccess = () => resolve(o.result); });
          await new Promise((resolve) => {
            const tx = db.transaction('outbox', 'readwrite');
            const store = tx.objectStore('outbox');
            store.openCursor().onsuccess = (e) => { const c = e.target.result; if (c) { c.update({ ...c.value, queued_at: at }); c.continue(); } };
            tx.oncomplete = resolve;
          });
          db.close();
        }""",
        two_days_ago,
    )
    phone.reload()
    expect(phone.page.locator('[data-test="stale-queue"]')).to_have_text(
        "1 record(s) not synced for 2 days: connect to sync"
    )
    shot(phone, "stale-queue-en")
    assert phone.errors == []


READ_PERSISTED = """async () => {
  const db = await new Promise((resolve) => { const o = indexedDB.open('fieldgoal'); o.onsuccess = () => resolve(o.result); });
  const value = await new Promise((resolve) => {
    const request = db.transaction('meta').objectStore('meta').get('storage_persisted');
    request.onsuccess = () => resolve(request.result);
  });
  db.close();
  return value === undefined ? 'unasked' : value;
}"""


@pytest.mark.parametrize("granted", [False, True])
def test_persistent_storage_is_asked_after_sign_in_and_a_refusal_is_told_on_me(
    live: Live, new_context: Any, granted: bool
) -> None:
    context = new_context()
    # The browser's answer is its own choice (engagement, installation): fixed here, counted per page.
    answer = "true" if granted else "false"
    context.add_init_script(
        "window.persistAsked = 0;"
        f"navigator.storage.persist = () => {{ window.persistAsked += 1; return Promise.resolve({answer}); }};"
        f"navigator.storage.persisted = () => Promise.resolve({answer});"
    )
    phone = Phone(context).open().sign_in(live.org.email("rep1"))
    wait_until(lambda: phone.page.evaluate(READ_PERSISTED) != "unasked", 20, "the persistence question")
    assert phone.page.evaluate(READ_PERSISTED) is granted
    assert phone.page.evaluate("() => window.persistAsked") == 1
    phone.go("#/me")
    expect(phone.at("me")).to_be_visible()
    if granted:
        expect(phone.at("storage-refused")).to_have_count(0)
    else:
        expect(phone.at("storage-refused")).to_contain_text("may clear the app's data")
        shot(phone, "me-storage-refused-en")
    # Asked once: a later start does not ask again.
    phone.reload()
    expect(phone.at("me")).to_be_visible()
    assert phone.page.evaluate("() => window.persistAsked") == 0
    assert phone.errors == []


def test_edit_of_a_refused_create_is_carried_into_its_card(live: Live, context: Any) -> None:
    customer = live.add_customer("rep2", "转走的客户")
    phone = Phone(context).open().sign_in(live.org.email("rep2"))
    phone.wait_offline_ready()
    phone.offline()
    visit_id = phone.log_visit(customer, notes="原来的备注")
    # The create may have left the phone already: the edit becomes an update of its own.
    mark_sent(phone)
    open_visit(phone, visit_id)
    phone.at("visit-notes").fill("改过的备注")
    phone.at("visit-save").click()
    phone.at("home").wait_for()
    assert [m["op"] for m in phone.storage()["outbox"]] == ["create", "action", "update"]
    # Meanwhile the customer went to a colleague: the create is refused, and what follows it with it.
    moved = live.api("lead1").patch(f"/api/v1/customers/{customer}", json={"owner_id": live.org.user("rep1")})
    assert moved.status_code == 200, moved.text

    phone.online()
    phone.sync_now()
    phone.wait_pending(0)
    expect(phone.at("rejected-item")).to_have_count(1)
    (receipt,) = phone.storage()["rejected"]
    assert receipt["mutation"]["op"] == "create" and receipt["mutation"]["fields"]["notes"] == "改过的备注"
    phone.at("rejected-fix").click()
    expect(phone.at("visit-notes")).to_have_value("改过的备注")
    assert live.rows("SELECT id FROM visit WHERE id = :id", id=visit_id) == []
    assert phone.errors == []


def test_edits_of_a_synced_visit_fold_into_one_update_and_can_be_undone(live: Live, context: Any) -> None:
    customer = live.add_customer("rep1", "Fold Edits Store")
    rep = SyncClient(live.api("rep1"))
    visit_id = str(uuid.uuid4())
    rep.queue_mutation(
        "visit",
        "create",
        visit_id,
        fields={
            "customer_id": customer,
            "check_in_at": (today_in() - timedelta(hours=1)).replace(microsecond=0).isoformat(),
            "outcome": "interested",
            "satisfaction": 4,
            "notes": "as logged",
        },
    )
    assert all(r["status"] == "applied" for body in rep.sync() for r in body["results"])

    phone = Phone(context).open().sign_in(live.org.email("rep1"))
    phone.wait_offline_ready()
    phone.offline()
    for notes, satisfaction in (("second thoughts", "4"), ("second thoughts", "2"), ("as logged", "2")):
        open_visit(phone, visit_id)
        phone.at("visit-notes").fill(notes)
        phone.at("visit-satisfaction").fill(satisfaction)
        phone.at("visit-submit").uncheck()
        phone.at("visit-save").click()
        phone.at("home").wait_for()
    (update,) = phone.storage()["outbox"]
    assert update["op"] == "update" and update["base_version"] == 1
    assert update["fields"] == {"notes": "as logged", "satisfaction": 2}
    assert update["base"] == {"notes": "as logged", "satisfaction": 4}
    phone.wait_pending(1)

    phone.online()
    phone.sync_now()
    phone.wait_pending(0)
    assert [tuple(r) for r in live.rows("SELECT notes, satisfaction FROM visit WHERE id = :id", id=visit_id)] == [
        ("as logged", 2)
    ]
    assert live.rows("SELECT id FROM conflict WHERE record_id = :id", id=visit_id) == []
    assert phone.errors == []
