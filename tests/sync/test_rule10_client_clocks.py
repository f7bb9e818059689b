"""SYNC.md rule 10: client clocks are evidence, never order; the future is refused after skew."""

from __future__ import annotations

from datetime import timedelta

from tests.sync.conftest import new_id


def _visit_at(rep, customer_id, moment) -> dict:
    rep.queue_mutation("visit", "create", fields={"customer_id": customer_id, "check_in_at": moment.isoformat()})
    return rep.send(client_time=rep_clock_now(rep).isoformat())["results"][-1]


def rep_clock_now(rep):
    return rep.phone_now


def test_a_phone_whose_clock_runs_ahead_can_still_log_now(org, phone, clock):
    rep = phone("rep1")
    rep.phone_now = clock.now + timedelta(hours=1)  # the phone's clock is an hour fast
    customer_id = new_id()
    rep.queue_mutation("customer", "create", customer_id, fields={"name": "客户"})
    rep.send(client_time=rep.phone_now.isoformat())
    assert _visit_at(rep, customer_id, rep.phone_now)["status"] == "applied"
    too_far = _visit_at(rep, customer_id, rep.phone_now + timedelta(minutes=11))
    assert too_far["status"] == "rejected"
    assert too_far["errors"][0] == {
        "field": "check_in_at",
        "code": "time_in_future",
        "message": "lies in the future",
    }


def test_a_correct_phone_cannot_log_more_than_ten_minutes_ahead(org, phone, clock):
    rep = phone("rep1")
    rep.phone_now = clock.now
    customer_id = new_id()
    rep.queue_mutation("customer", "create", customer_id, fields={"name": "客户"})
    rep.send(client_time=clock.now.isoformat())
    assert _visit_at(rep, customer_id, clock.now + timedelta(minutes=9))["status"] == "applied"
    assert _visit_at(rep, customer_id, clock.now + timedelta(minutes=11))["status"] == "rejected"


def test_the_server_records_when_it_received_a_visit(org, phone, clock):
    rep = phone("rep1")
    rep.phone_now = clock.now
    customer_id = new_id()
    rep.queue_mutation("customer", "create", customer_id, fields={"name": "客户"})
    rep.send()
    yesterday = clock.now - timedelta(days=1)
    _visit_at(rep, customer_id, yesterday)
    rep.sync()
    visit = next(iter(rep.of("visit").values()))
    assert visit["received_at"] == clock.now.isoformat()
    assert visit["check_in_at"] == yesterday.isoformat()
