"""Rule 9's windows: a rep holds all of their own work; a lead or a manager holds the last W days of the
work of the people below them (FIELDGOAL_SYNC_WINDOW_DAYS, 31 here), and whatever waits for their decision
however old. A record that ages out is dropped by the client by the same rule (`ages_at` before the window),
without a reset; the test phone (tests/sync/helpers.py) keeps that rule as the app does.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.sync.conftest import new_id, visit_fields

SHANGHAI = timezone(timedelta(hours=8))


def days_before(clock, days: int) -> str:
    """A check-in `days` before the test clock's now, as a phone in Shanghai writes it."""
    return (clock.now - timedelta(days=days)).astimezone(SHANGHAI).isoformat()


def _visit(phone, customer_id: str, check_in_at: str, submit: bool = False) -> str:
    visit_id = new_id()
    phone.queue_mutation("visit", "create", visit_id, fields=visit_fields(customer_id, check_in_at=check_in_at))
    if submit:
        phone.queue_mutation("visit", "action", visit_id, name="submit", args={})
    return visit_id


def _customer(phone) -> str:
    customer_id = new_id()
    phone.queue_mutation(
        "customer", "create", customer_id, fields={"name": "窗口客户", "lat": 31.23, "lon": 121.47}
    )
    return customer_id


def test_a_lead_holds_the_window_and_a_rep_all_of_their_own(org, phone, clock):
    rep = phone("rep1")
    customer = _customer(rep)
    recent, old = _visit(rep, customer, days_before(clock, 1)), _visit(rep, customer, days_before(clock, 50))
    rep.sync()

    lead = phone("lead1")
    answer = lead.sync()[-1]
    assert answer["window_days"] == 31
    # The old visit changed today, so it was sent, with its ageing time: the phone dropped it at once.
    assert set(lead.of("visit")) == {recent}
    assert set(lead.of("customer")) == {customer}  # customers never age: visits name them

    clock.advance(days=40)  # the recent visit's check-in is now 41 days back, and its last change 40
    for who in ("lead1", "eastmgr", "boss"):
        fresh = phone(who)
        sent = [c["entity"] for body in fresh.sync() for c in body["changes"]]
        assert "visit" not in sent, f"{who}: the server sent what lies outside the window"
        assert set(fresh.of("customer")) == {customer}, who
    lead.api = phone("lead1").api  # signed in again: a token unused for 40 days has expired
    lead.sync()
    assert lead.of("visit") == {}, "a record that aged out is dropped by the phone that held it"
    mine = phone("rep1")
    assert mine.sync()[-1]["window_days"] is None
    assert set(mine.of("visit")) == {recent, old}


def test_what_waits_for_a_decision_is_held_however_old(org, phone, clock):
    rep = phone("rep1")
    waiting = _visit(rep, _customer(rep), days_before(clock, 50), submit=True)
    rep.sync()
    clock.advance(days=40)
    lead = phone("lead1")
    lead.sync()
    assert lead.of("visit")[waiting]["status"] == "submitted"
    assert (waiting not in lead.ages) and lead.versions[("visit", waiting)] == 2

    manager = phone("eastmgr")
    manager.sync()
    manager.queue_mutation("visit", "action", waiting, name="approve", base_version=2, args={"comment": "补录"})
    manager.sync()
    # Decided, it ages from its check-in, long past: the lead's phone learns the decision and drops it.
    answer = lead.send()
    (change,) = [c for c in answer["changes"] if c["id"] == waiting]
    assert change["data"]["status"] == "approved"
    assert datetime.fromisoformat(change["ages_at"]) < clock.now - timedelta(days=31)
    assert waiting not in lead.of("visit")
    assert waiting not in manager.of("visit")


def test_a_rep_moved_to_another_team_brings_only_the_window(org, phone, clock, sign_in):
    rep = phone("rep1")
    customer = _customer(rep)
    recent, _ = _visit(rep, customer, days_before(clock, 1)), _visit(rep, customer, days_before(clock, 50))
    rep.sync()
    clock.advance(days=20)  # old: 70 days back, last changed 20 days back; recent: 21 days back
    lead2 = phone("lead2")
    lead2.sync()
    admin = sign_in(org.email("admin"))
    moved = admin.patch(f"/api/v1/users/{org.user('rep1')}", json={"unit_id": org.unit("team2")})
    assert moved.status_code == 200, moved.text
    assert lead2.sync()[0]["reset"], "a change of what lead2 may see resets their replica (rule 8)"
    assert set(lead2.of("visit")) == {recent}
    lead1 = phone("lead1")
    lead1.sync()
    assert lead1.of("visit") == {}
