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


def _rep_with_customer(phone, phone_now) -> tuple:
    rep = phone("rep1")
    rep.phone_now = phone_now
    customer_id = new_id()
    rep.queue_mutation("customer", "create", customer_id, fields={"name": "客户"})
    rep.send(client_time=phone_now.isoformat())
    return rep, customer_id


def test_a_phone_set_to_2099_is_judged_by_the_server_clock(org, phone, clock):
    # Beyond the trusted skew (24 hours by default) a phone's clock corrects nothing: its 2099 is the future.
    phone_2099 = clock.now.replace(year=2099)
    rep, customer_id = _rep_with_customer(phone, phone_2099)
    receipt = _visit_at(rep, customer_id, phone_2099)
    assert receipt["status"] == "rejected"
    assert receipt["errors"] == [
        {"field": "check_in_at", "code": "time_in_future", "message": "lies in the future"}
    ]
    # The same phone can still log what the server's clock calls now.
    assert _visit_at(rep, customer_id, clock.now)["status"] == "applied"
    rep.sync()
    assert [v["check_in_at"] for v in rep.of("visit").values()] == [clock.now.isoformat()]


def test_a_phone_a_day_slow_beyond_the_bound_is_not_corrected_either(org, phone, clock):
    rep, customer_id = _rep_with_customer(phone, clock.now - timedelta(hours=25))
    # Corrected by the 25 hours, this time would be a day ahead; uncorrected it is an hour ago.
    assert _visit_at(rep, customer_id, clock.now - timedelta(hours=1))["status"] == "applied"


def test_a_skew_within_the_bound_is_still_corrected(org, phone, clock):
    rep, customer_id = _rep_with_customer(phone, clock.now + timedelta(hours=23))
    assert _visit_at(rep, customer_id, rep.phone_now)["status"] == "applied"
    # 23 hours ahead of the server, yet not in the future by the phone's clock: judged by the phone's clock.
    assert _visit_at(rep, customer_id, rep.phone_now + timedelta(minutes=11))["status"] == "rejected"


def test_a_time_more_than_400_days_before_arrival_is_refused(org, phone, clock):
    rep, customer_id = _rep_with_customer(phone, clock.now)
    assert _visit_at(rep, customer_id, clock.now - timedelta(days=399))["status"] == "applied"
    ancient = _visit_at(rep, customer_id, clock.now.replace(year=2021))
    assert ancient["status"] == "rejected"
    assert ancient["errors"] == [
        {"field": "check_in_at", "code": "time_too_old", "message": "lies more than 400 days in the past"}
    ]


def test_an_ancient_time_in_an_action_argument_names_the_argument(org, phone, clock):
    rep, customer_id = _rep_with_customer(phone, clock.now)
    deal = new_id()
    rep.queue_mutation("opportunity", "create", deal, fields={"customer_id": customer_id, "title": "五金"})
    old = (clock.now - timedelta(days=401)).isoformat()
    rep.queue_mutation(
        "opportunity", "action", deal, name="advance", base_version=1, args={"stage": "qualified", "at": old}
    )
    receipt = rep.send(client_time=clock.now.isoformat())["results"][-1]
    assert receipt["status"] == "rejected"
    assert receipt["errors"][0]["field"] == "args.at"
    assert receipt["errors"][0]["code"] == "time_too_old"
