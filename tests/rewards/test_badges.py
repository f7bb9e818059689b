"""Badges: earned by rules over the KPI figures, each once, with a notification and a synced record."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.notify.models import Notification
from backend.rewards.badges import evaluate_badges, longest_streak
from backend.rewards.models import Badge
from backend.sync.models import ChangeLog
from tests.conftest import both_databases
from tests.kpi.helpers import actor, customer, deal, goal, visit

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_longest_streak_skips_days_off_and_breaks_on_a_working_day_without_visits():
    weekdays = lambda day: day.weekday() < 5  # noqa: E731
    # Thu, Fri, (weekend), Mon, Tue: four working days in a row.
    days = [date(2026, 11, 5), date(2026, 11, 6), date(2026, 11, 9), date(2026, 11, 10)]
    assert longest_streak(days, weekdays) == (4, date(2026, 11, 10))
    # Wednesday the 11th without a visit breaks it.
    assert longest_streak([*days, date(2026, 11, 12)], weekdays) == (4, date(2026, 11, 10))
    assert longest_streak([], weekdays) == (0, None)


@both_databases
def test_first_order_full_month_and_visit_streak_are_each_earned_once(org, engine, sign_in):
    with Session(engine, expire_on_commit=False) as session:
        boss, lead = actor(session, org.user("boss")), actor(session, org.user("lead1"))
        rep = actor(session, org.user("rep1"))
        goal(session, boss, ("user", rep.id), "revenue", "2026-10", "50000", NOW)
        goal(session, boss, ("user", rep.id), "revenue", "2026-11", "50000", NOW)
        shop = customer(session, rep, NOW)
        deal(session, rep, shop, "50000", "won", "2026-10-12T10:00:00+08:00", NOW)  # exactly 100 % of October
        deal(session, rep, shop, "49999.99", "won", "2026-11-12T10:00:00+08:00", NOW)  # a cent short in November
        for day in range(2, 7):  # Monday 2 to Friday 6 November: five working days in a row
            visit(session, rep, lead, shop, f"2026-11-0{day}T10:00:00+08:00", 5, NOW)
        session.commit()
    rep_api = sign_in("rep1@example.com")
    first = rep_api.get("/api/v1/badges")
    assert first.status_code == 200, first.text
    assert sorted((b["kind"], b["key"]) for b in first.json()) == [
        ("first_order", ""),
        ("month_100", "2026-10"),
        ("visit_streak", "5"),
    ]
    # Evaluating again (the worker, another read) awards nothing more.
    assert len(rep_api.get("/api/v1/badges").json()) == 3
    with Session(engine, expire_on_commit=False) as session:
        assert evaluate_badges(session, NOW) == []
        session.commit()
        notified = session.scalars(
            select(Notification.title).where(
                Notification.user_id == org.user("rep1"), Notification.kind == "badge_earned"
            )
        ).all()
        assert sorted(notified) == [
            "Badge earned: 100 % month",
            "Badge earned: First order",
            "Badge earned: Visit streak",
        ]
        synced = session.scalars(
            select(ChangeLog.record_id).where(
                col(ChangeLog.entity) == "badge", col(ChangeLog.owner_id) == org.user("rep1")
            )
        ).all()
        assert len(synced) == 3
        assert len(session.scalars(select(Badge.id)).all()) == 3
    # The lead sees the rep's badges; another team's lead gets 404 like a missing rep.
    assert (
        len(sign_in("lead1@example.com").get("/api/v1/badges", params={"user_id": org.user("rep1")}).json()) == 3
    )
    other = sign_in("lead2@example.com").get("/api/v1/badges", params={"user_id": org.user("rep1")})
    assert other.status_code == 404


def test_a_rep_with_nothing_done_earns_nothing(org, sign_in):
    assert sign_in("rep2@example.com").get("/api/v1/badges").json() == []
