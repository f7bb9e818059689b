"""The morning nudges, evaluated by the worker in each user's morning, in their own time zone.

From `FIELDGOAL_MORNING_HOUR` until the quiet hours begin, once per user and local day (each has a dedupe
key naming the day, so several workers and many passes still notify once):

- behind pace (a user's own goals): the goal furthest behind, if its pace is below 100 % minus
  `FIELDGOAL_BEHIND_PACE_THRESHOLD`, with the number needed per working day left; on working days only;
- visits waiting for approval (leads): how many of their team's visits wait for them;
- follow-ups due today (everyone with visits): the customers whose follow-up date is today.

In a lead's morning, their team's digest also goes to the team's group robots marked for leads
(backend/channels/service.py). Milestones are not here: they happen when a figure moves (backend/notify/milestones.py), and the visit and
amendment notices when the lead decides (backend/visits/service.py).

The figures are the KPI engine's progress records, which the worker rewrites before it evaluates these.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.channels import service as channels
from backend.customers.models import Customer
from backend.goals.models import ADDITIVE_METRICS, Goal
from backend.kpi.engine import amount_text
from backend.kpi.models import Progress
from backend.kpi.service import Calendars
from backend.notify.milestones import METRIC_NAMES
from backend.notify.service import notify
from backend.org.models import DEFAULT_TIMEZONE, Unit, User
from backend.periods import PERIOD_KINDS, period_containing
from backend.settings import Settings
from backend.visits.models import Visit

# How many customers a follow-up notice names before "and N more".
MAX_NAMED = 5


@dataclass(frozen=True)
class Morning:
    """A user whose morning it is, and their local day."""

    user: User
    day: date


def mornings(session: Session, settings: Settings, now: datetime, done: set[tuple[str, date]]) -> list[Morning]:
    """Active users for whom it is morning (from `morning_hour` until the quiet hours) and whose morning
    has not been evaluated by this worker yet (`done`)."""
    end_hour = settings.quiet_hours_start if settings.quiet_hours_start > settings.morning_hour else 24
    found = []
    for user in session.scalars(select(User).where(col(User.active).is_(True))):
        local = now.astimezone(_zone(user.timezone))
        if settings.morning_hour <= local.hour < end_hour and (user.id, local.date()) not in done:
            found.append(Morning(user, local.date()))
    return found


def evaluate_mornings(
    session: Session, settings: Settings, now: datetime, done: set[tuple[str, date]] | None = None
) -> int:
    """Run the morning rules for every user whose morning it is; returns how many notifications were made.
    `done` (kept by a long-running worker) skips users already evaluated today; it is updated."""
    done = done if done is not None else set()
    due = mornings(session, settings, now, done)
    behind = furthest_behind(session, settings, due)
    made = (
        behind_pace(session, settings, due, now, behind)
        + approvals_waiting(session, due, now)
        + follow_ups_due(session, due, now)
    )
    team_mornings(session, due, behind, now)
    done.update((m.user.id, m.day) for m in due)
    return made


def furthest_behind(session: Session, settings: Settings, due: list[Morning]) -> dict[str, tuple[Progress, str]]:
    """Each user (of `due`) behind on a running goal of their own, on a working day: the furthest-behind
    progress record and its goal's id."""
    if not due:
        return {}
    by_user = {m.user.id: m for m in due}
    periods = {period_containing(kind, m.day).key for m in due for kind in PERIOD_KINDS}
    rows = session.execute(
        select(Progress, Goal.id)
        .join(
            Goal,
            (col(Goal.subject_type) == Progress.subject_type)
            & (col(Goal.subject_id) == Progress.subject_id)
            & (col(Goal.metric) == Progress.metric)
            & (col(Goal.period) == Progress.period),
        )
        .where(
            col(Progress.subject_type) == "user",
            col(Progress.subject_id).in_(list(by_user)),
            col(Progress.period).in_(periods),
            col(Progress.metric).in_(ADDITIVE_METRICS),
        )
    ).all()
    limit = Decimal(100 - settings.behind_pace_threshold) / 100
    worst: dict[str, tuple[Progress, str]] = {}
    for progress, goal_id in rows:
        morning = by_user[progress.subject_id]
        running = {period_containing(kind, morning.day).key for kind in PERIOD_KINDS}
        if progress.period not in running or progress.pace is None or progress.pace >= limit:
            continue
        if not progress.working_days_left or progress.needed_per_working_day is None:
            continue
        if progress.subject_id not in worst or progress.pace < worst[progress.subject_id][0].pace:  # type: ignore[operator]
            worst[progress.subject_id] = (progress, goal_id)
    calendars = Calendars(session)
    paths = dict(session.execute(select(Unit.id, Unit.path)).all()) if worst else {}
    return {
        user_id: found
        for user_id, found in worst.items()
        # a weekend or a holiday: no nudges
        if calendars.for_path(paths.get(by_user[user_id].user.unit_id, "/")).is_working_day(by_user[user_id].day)
    }


def pace_params(progress: Progress) -> dict[str, object]:
    """What a behind-pace message says of a progress record (the KPI engine's figures, as text)."""
    assert progress.pace is not None and progress.needed_per_working_day is not None
    return {
        "metric": METRIC_NAMES[progress.metric],
        "period": progress.period,
        "actual": amount_text(progress.metric, progress.actual or Decimal(0)),
        "target": amount_text(progress.metric, progress.target),
        "pace": int(progress.pace * 100),
        "needed": str(progress.needed_per_working_day.normalize()),
        "days_left": progress.working_days_left,
    }


def behind_pace(
    session: Session,
    settings: Settings,
    due: list[Morning],
    now: datetime,
    behind: dict[str, tuple[Progress, str]] | None = None,
) -> int:
    """One nudge a morning per user who is behind on a running goal of their own: the furthest behind."""
    if behind is None:
        behind = furthest_behind(session, settings, due)
    by_user = {m.user.id: m for m in due}
    made = 0
    for user_id, (progress, goal_id) in behind.items():
        morning = by_user[user_id]
        params = pace_params(progress)
        made += (
            notify(
                session,
                morning.user,
                "behind_pace",
                f"behind_pace:{morning.day.isoformat()}",
                params,
                now,
                {"url": "/#/goals", "goal_id": goal_id, "needed_per_working_day": params["needed"]},
            )
            is not None
        )
    return made


def waiting_by_unit(session: Session, unit_ids: set[str]) -> dict[str, int]:
    """How many submitted visits of each team's reps wait for a decision."""
    if not unit_ids:
        return {}
    return dict(
        session.execute(
            select(User.unit_id, func.count(col(Visit.id)))
            .join(User, col(User.id) == Visit.rep_id)
            .where(
                col(Visit.status) == "submitted",
                col(Visit.deleted_at).is_(None),
                col(User.unit_id).in_(unit_ids),
                col(User.role) != "lead",
            )
            .group_by(col(User.unit_id))
        ).all()
    )


def approvals_waiting(session: Session, due: list[Morning], now: datetime) -> int:
    """A morning digest for each lead with submitted visits of their team waiting for a decision."""
    leads = [m for m in due if m.user.role == "lead"]
    if not leads:
        return 0
    waiting = waiting_by_unit(session, {m.user.unit_id for m in leads})
    made = 0
    for morning in leads:
        count = waiting.get(morning.user.unit_id, 0)
        if count:
            made += (
                notify(
                    session,
                    morning.user,
                    "approvals_waiting",
                    f"approvals_waiting:{morning.day.isoformat()}",
                    {"count": count},
                    now,
                    {"url": "/#/approvals", "count": count},
                )
                is not None
            )
    return made


def team_mornings(
    session: Session, due: list[Morning], behind: dict[str, tuple[Progress, str]], now: datetime
) -> int:
    """[channels] In a lead's morning, their team's digest for the group robots marked for leads: visits
    waiting and the team's reps behind pace (the personal nudges above stay personal)."""
    leads = {m.user.unit_id: m for m in due if m.user.role == "lead"}
    if not leads:
        return 0
    waiting = waiting_by_unit(session, set(leads))
    by_user = {m.user.id: m.user for m in due}
    made = 0
    for unit_id, morning in leads.items():
        reps = [
            (by_user[user_id], pace_params(progress))
            for user_id, (progress, _) in sorted(behind.items(), key=lambda item: item[1][0].pace or 0)
            if by_user[user_id].unit_id == unit_id and by_user[user_id].role == "rep"
        ]
        made += channels.team_morning(session, unit_id, morning.day, waiting.get(unit_id, 0), reps, now)
    return made


def follow_ups_due(session: Session, due: list[Morning], now: datetime) -> int:
    """A morning notice naming the customers whose follow-up (set on a visit) falls on the user's today."""
    if not due:
        return 0
    by_user = {m.user.id: m for m in due}
    names: dict[str, list[str]] = defaultdict(list)
    for rep_id, day, name in session.execute(
        select(col(Visit.rep_id), col(Visit.next_follow_up_on), col(Customer.name))
        .join(Customer, col(Customer.id) == Visit.customer_id)
        .where(
            col(Visit.rep_id).in_(list(by_user)),
            col(Visit.next_follow_up_on).in_({m.day for m in due}),
            col(Visit.deleted_at).is_(None),
        )
        .order_by(col(Customer.name))
    ):
        if day == by_user[rep_id].day and name not in names[rep_id]:
            names[rep_id].append(name)
    made = 0
    for user_id, customers in names.items():
        morning = by_user[user_id]
        shown = (
            "、".join(customers[:MAX_NAMED])
            if morning.user.locale == "zh-CN"
            else ", ".join(customers[:MAX_NAMED])
        )
        if len(customers) > MAX_NAMED:
            shown += f" (+{len(customers) - MAX_NAMED})"
        made += (
            notify(
                session,
                morning.user,
                "follow_ups_due",
                f"follow_ups:{morning.day.isoformat()}",
                {"count": len(customers), "customers": shown},
                now,
                {"url": "/#/", "count": len(customers)},
            )
            is not None
        )
    return made


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)
