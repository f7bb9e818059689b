"""Badges: milestones a rep earns once each, by rules over the KPI engine's figures.

- `first_order`: the rep's first won opportunity (key "");
- `month_100`: 100 % of a monthly revenue goal (key: the month, so each such month earns one);
- `visit_streak`: approved visits on N working days in a row of the rep's calendar (key: N; days off
  neither break nor extend a streak). N is the `badge_visit_streak_days` setting (default 5).

`evaluate_badges` is idempotent (a unique (rep, kind, key) makes a second award a no-op, even from two
workers at once) and is meant for the worker; GET /badges also runs it for the caller, so a badge shows
on the phone as soon as it is looked for. A badge, once earned, stays: a deal lost later does not take it.
Each new badge notifies its rep (`badge_earned`) and syncs to their phone as the `badge` entity.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.channels import service as channels
from backend.goals.models import Goal
from backend.kpi import service as kpi
from backend.kpi.models import DailyActivity
from backend.notify.service import notify
from backend.opportunities.models import Opportunity
from backend.org.models import Unit, User
from backend.paging import Ordering, Page, PageRequest, SortKey, fetch_page
from backend.periods import parse_period
from backend.rewards.models import Badge
from backend.rewards.schemas import BadgeData, BadgePublic
from backend.settings import session_settings
from backend.sync.registry import declare, owned_by
from backend.versioning import wire

BADGE_NAMES: dict[str, dict[str, str]] = {
    "first_order": {"en": "First order", "zh-CN": "首单"},
    "month_100": {"en": "100 % month", "zh-CN": "月度达成 100%"},
    "visit_streak": {"en": "Visit streak", "zh-CN": "连续拜访"},
}


def badge_public(badge: Badge) -> BadgePublic:
    return BadgePublic(
        id=badge.id,
        rep_id=badge.rep_id,
        kind=badge.kind,
        key=badge.key,
        data=msgspec.convert(badge.data, BadgeData),
        earned_at=wire(badge.earned_at),
        version=badge.version,
        updated_at=wire(badge.updated_at),
    )


def streak_days(session: Session) -> int:
    return session_settings(session).badge_visit_streak_days


def award(session: Session, rep: User, kind: str, key: str, data: dict[str, Any], now: datetime) -> Badge | None:
    """Give the badge unless the rep has it; None if they did."""
    exists = session.scalars(
        select(Badge.id).where(Badge.rep_id == rep.id, Badge.kind == kind, Badge.key == key)
    ).first()
    if exists:
        return None
    badge = Badge(rep_id=rep.id, kind=kind, key=key, data=data, earned_at=now, updated_at=now)
    try:
        # A savepoint: a concurrent award of the same badge undoes only this insert.
        with session.begin_nested():
            session.add(badge)
            session.flush()
    except IntegrityError:
        return None
    notify(
        session,
        rep,
        "badge_earned",
        f"badge:{kind}:{key}",
        {"badge": BADGE_NAMES[kind]},
        now,
        {"url": "/#/badges", "badge_id": badge.id, "kind": kind, "key": key},
    )
    channels.badge_earned(session, rep, f"{kind}:{key}", BADGE_NAMES[kind], now)  # the team hears
    return badge


def _first_order(session: Session, rep: User, now: datetime) -> list[Badge]:
    first = session.scalars(
        select(Opportunity)
        .where(Opportunity.owner_id == rep.id, Opportunity.stage == "won", col(Opportunity.deleted_at).is_(None))
        .order_by(col(Opportunity.closed_at))
    ).first()
    if first is None:
        return []
    badge = award(session, rep, "first_order", "", {"opportunity_id": first.id}, now)
    return [badge] if badge else []


def _full_months(session: Session, rep: User, now: datetime) -> list[Badge]:
    goals = [
        g
        for g in session.scalars(
            select(Goal).where(Goal.subject_type == "user", Goal.subject_id == rep.id, Goal.metric == "revenue")
        )
        if parse_period(g.period).kind == "month"
    ]
    earned: list[Badge] = []
    for goal_id, figures in kpi.compute(session, goals, now).items():
        # Exact amounts, not the rounded attainment: 99.996 % is not a 100 % month.
        if figures.actual is not None and figures.target > 0 and figures.actual >= figures.target:
            goal = next(g for g in goals if g.id == goal_id)
            data = {"period": goal.period, "goal_id": goal.id, "attainment": str(figures.attainment)}
            badge = award(session, rep, "month_100", goal.period, data, now)
            if badge:
                earned.append(badge)
    return earned


def longest_streak(visit_days: Iterable[date], is_working_day: Any) -> tuple[int, date | None]:
    """The longest run of working days that each have a visit (days off skipped), and its last day."""
    days = sorted(set(visit_days))
    if not days:
        return 0, None
    best, best_end, run = 0, None, 0
    day, last = days[0], days[-1]
    wanted = set(days)
    while day <= last:
        if is_working_day(day):
            run = run + 1 if day in wanted else 0
            if run > best:
                best, best_end = run, day
        day += timedelta(days=1)
    return best, best_end


def _visit_streak(session: Session, rep: User, now: datetime) -> list[Badge]:
    needed = streak_days(session)
    unit = session.get(Unit, rep.unit_id)
    assert unit is not None
    calendar = kpi.calendar_for_unit(session, unit)
    days = session.scalars(
        select(col(DailyActivity.day)).where(DailyActivity.rep_id == rep.id, col(DailyActivity.visits) > 0)
    )
    length, through = longest_streak(days, calendar.is_working_day)
    if length < needed or through is None:
        return []
    badge = award(session, rep, "visit_streak", str(needed), {"days": needed, "through": through.isoformat()}, now)
    return [badge] if badge else []


def evaluate_badges(session: Session, now: datetime, rep_ids: Iterable[str] | None = None) -> list[Badge]:
    """Award every badge the reps (all reps when None) have earned and not yet received; the new ones."""
    query = select(User).where(User.role == "rep")
    if rep_ids is not None:
        query = query.where(col(User.id).in_(list(rep_ids)))
    earned: list[Badge] = []
    for rep in session.scalars(query).all():
        earned += _first_order(session, rep, now)
        earned += _full_months(session, rep, now)
        earned += _visit_streak(session, rep, now)
    return earned


BADGE_ORDER = Ordering.of("badges", SortKey(Badge.earned_at), SortKey(Badge.kind), SortKey(Badge.id))


def badges_of(session: Session, rep_id: str, page: PageRequest) -> Page[Badge]:
    """The rep's badges, first earned first."""
    return fetch_page(session, select(Badge).where(Badge.rep_id == rep_id), BADGE_ORDER, page)


declare("badge", Badge, badge_public, owned_by("rep_id"), ages=lambda badge: badge.earned_at)
