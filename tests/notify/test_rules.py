"""The morning nudges, in each user's morning and time zone: behind pace (with the number needed per
working day), visits waiting for the lead, follow-ups due today; once a day however often evaluated."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

from backend.customers.service import add_customer
from backend.notify.rules import evaluate_mornings
from backend.org.models import User
from backend.visits.service import create_visit, submit
from tests.kpi.helpers import actor, customer, goal, visit
from tests.notify.conftest import inbox_of

MONTH = "2026-11"


def kinds(engine, user_id: str, kind: str) -> list:
    return [n for n in inbox_of(engine, user_id) if n.kind == kind]


def _behind_on_visits(engine, org, clock) -> None:
    """rep1: 2 approved visits of 40 by the 20th of November (14 of 21 working days gone)."""
    with Session(engine, expire_on_commit=False) as session:
        goal(
            session,
            actor(session, org.user("eastmgr")),
            ("user", org.user("rep1")),
            "visits",
            MONTH,
            "40",
            clock.now,
        )
        rep, lead = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        customer_id = customer(session, rep, clock.now)
        for day in (10, 11):
            visit(session, rep, lead, customer_id, f"2026-11-{day}T10:00:00+08:00", None, clock.now)
        session.commit()


def evaluate(engine, settings, now: datetime) -> int:
    with Session(engine, expire_on_commit=False) as session:
        made = evaluate_mornings(session, settings, now)
        session.commit()
    return made


def test_behind_pace_says_how_many_a_working_day_are_needed(org, engine, clock, settings, worker):
    _behind_on_visits(engine, org, clock)
    clock.now = datetime.fromisoformat("2026-11-20T08:05:00+08:00")  # a Friday morning in Shanghai

    worker.run_once()

    [nudge] = kinds(engine, org.user("rep1"), "behind_pace")
    # Expected by today 26.67 (14 of 21 working days); needed: (40 - 2) / 7 working days left = 5.43.
    assert nudge.title == "Behind pace: visits"
    assert nudge.body == (
        "visits for 2026-11: 2 of 40, 7 % of the expected pace. "
        "5.43 a working day for the 7 working days left reaches the target."
    )
    assert nudge.data["needed_per_working_day"] == "5.43"


def test_nudges_wait_for_the_users_morning_in_their_own_zone(org, engine, clock, settings):
    _behind_on_visits(engine, org, clock)

    assert evaluate(engine, settings, datetime.fromisoformat("2026-11-20T07:59:00+08:00")) == 0
    with Session(engine) as session:
        session.get(User, org.user("rep1")).timezone = "Europe/Berlin"  # type: ignore[union-attr]
        session.commit()
    assert evaluate(engine, settings, datetime.fromisoformat("2026-11-20T09:00:00+08:00")) == 0  # 02:00 Berlin
    assert evaluate(engine, settings, datetime.fromisoformat("2026-11-20T08:00:00+01:00")) == 1
    assert len(kinds(engine, org.user("rep1"), "behind_pace")) == 1


def test_a_morning_nudges_once_however_often_it_is_evaluated_and_again_the_next_day(org, engine, clock, settings):
    _behind_on_visits(engine, org, clock)

    for minute in range(0, 50, 10):
        evaluate(engine, settings, datetime.fromisoformat(f"2026-11-20T08:{minute:02d}:00+08:00"))
    evaluate(engine, settings, datetime.fromisoformat("2026-11-21T08:00:00+08:00"))  # Saturday: no nudge
    evaluate(engine, settings, datetime.fromisoformat("2026-11-23T08:00:00+08:00"))  # Monday

    assert len(kinds(engine, org.user("rep1"), "behind_pace")) == 2


def test_on_pace_is_left_alone(org, engine, clock, settings):
    with Session(engine, expire_on_commit=False) as session:
        goal(
            session,
            actor(session, org.user("eastmgr")),
            ("user", org.user("rep1")),
            "visits",
            MONTH,
            "3",
            clock.now,
        )
        rep, lead = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        customer_id = customer(session, rep, clock.now)
        for day in (10, 11):
            visit(session, rep, lead, customer_id, f"2026-11-{day}T10:00:00+08:00", None, clock.now)
        session.commit()

    evaluate(engine, settings, datetime.fromisoformat("2026-11-20T08:30:00+08:00"))

    assert kinds(engine, org.user("rep1"), "behind_pace") == []


def test_the_lead_gets_a_digest_of_visits_waiting_for_approval(org, engine, clock, settings):
    with Session(engine, expire_on_commit=False) as session:
        rep, lead = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        customer_id = customer(session, rep, clock.now)
        for day in (17, 18, 19):
            visit(session, rep, lead, customer_id, f"2026-11-{day}T10:00:00+08:00", None, clock.now, approve=None)
        session.commit()

    evaluate(engine, settings, datetime.fromisoformat("2026-11-20T08:30:00+08:00"))

    [digest] = kinds(engine, org.user("lead1"), "approvals_waiting")
    assert (digest.title, digest.body) == (
        "3 visits to approve",
        "3 visits from your team are waiting for your approval.",
    )
    assert kinds(engine, org.user("lead2"), "approvals_waiting") == []


def test_follow_ups_due_today_name_the_customers(org, engine, clock, settings):
    with Session(engine, expire_on_commit=False) as session:
        rep = actor(session, org.user("rep2"))  # speaks Chinese
        for name, follow_up in (
            ("华东五金", date(2026, 11, 20)),
            ("江南纺织", date(2026, 11, 20)),
            ("远方", date(2026, 11, 21)),
        ):
            customer_id = add_customer(session, rep, str(uuid.uuid4()), {"name": name}, clock.now).id
            values = {
                "customer_id": customer_id,
                "check_in_at": datetime.fromisoformat("2026-11-18T10:00:00+08:00"),
                "next_follow_up_on": follow_up,
            }
            submit(session, rep, create_visit(session, rep, str(uuid.uuid4()), values, clock.now), clock.now)
        session.commit()

    evaluate(engine, settings, datetime.fromisoformat("2026-11-20T08:30:00+08:00"))

    [notice] = kinds(engine, org.user("rep2"), "follow_ups_due")
    assert (notice.title, notice.body) == ("今日 2 个跟进", "今天需要跟进：华东五金、江南纺织。")


def test_a_rejection_reaches_the_rep_with_the_leads_comment(org, engine, clock):
    with Session(engine, expire_on_commit=False) as session:
        rep, lead = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        visit(
            session,
            rep,
            lead,
            customer(session, rep, clock.now),
            "2026-11-19T10:00:00+08:00",
            None,
            clock.now,
            approve=False,
        )
        session.commit()

    [notice] = kinds(engine, org.user("rep1"), "visit_rejected")
    assert notice.body == "Your visit to 华东五金 was rejected: no evidence"
