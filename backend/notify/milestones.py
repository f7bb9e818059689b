"""Milestones: a goal's attainment crossing 50, 80, 100 and 120 % (FIELDGOAL_MILESTONES) notifies, once each.

Called by the KPI service where a progress record's attainment is (re)computed, in the same transaction, so
the notification commits with the figure that earned it. Only additive metrics (revenue, visits, new
customers) have milestones: they accumulate, while a ratio (conversion, satisfaction) starts at whatever its
first measurement says and then wanders, and "80 % of the satisfaction goal" after one visit is noise.

When one change crosses several thresholds (a big deal), only the highest is announced; a threshold is not
announced after a higher one was (attainment that dips and recovers is old news).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.channels import service as channels
from backend.goals.models import ADDITIVE_METRICS, Goal
from backend.kpi.engine import amount_text
from backend.notify.models import Notification
from backend.notify.service import notify
from backend.org.models import Unit, User
from backend.settings import session_settings

METRIC_NAMES: dict[str, dict[str, str]] = {
    "revenue": {"en": "revenue", "zh-CN": "销售额"},
    "visits": {"en": "visits", "zh-CN": "拜访"},
    "new_customers": {"en": "new customers", "zh-CN": "新客户"},
    "conversion": {"en": "conversion", "zh-CN": "转化率"},
    "satisfaction": {"en": "satisfaction", "zh-CN": "满意度"},
}


def thresholds(session: Session) -> tuple[int, ...]:
    return session_settings(session).milestones


def progress_changed(
    session: Session, goal: Goal, before: Decimal | None, after: Decimal | None, now: datetime
) -> int:
    """Notify the goal's people of the highest milestone crossed from `before` to `after`; returns how many
    notifications were made."""
    if goal.metric not in ADDITIVE_METRICS or after is None:
        return 0
    levels = sorted(thresholds(session))
    start = before if before is not None else Decimal(0)
    crossed = [m for m in levels if start < Decimal(m) / 100 <= after]
    if not crossed:
        return 0
    percent = crossed[-1]
    higher = [m for m in levels if m > percent]
    subject_name, recipients = _subject(session, goal)
    made = 0
    for user in recipients:
        if higher and _announced(session, user.id, goal.id, higher):
            continue
        made += (
            notify(
                session,
                user,
                "milestone",
                f"milestone:{goal.id}:{percent}",
                {
                    "percent": percent,
                    "metric": METRIC_NAMES[goal.metric],
                    "period": goal.period,
                    "subject": subject_name,
                },
                now,
                {"url": "/#/goals", "goal_id": goal.id, "percent": percent},
            )
            is not None
        )
    if goal.subject_type == "user" and made:
        # a rep's milestone, told to their team's group (once: the rep was notified just now).
        channels.milestone_reached(
            session,
            recipients[0],
            goal.id,
            percent,
            {
                "metric": METRIC_NAMES[goal.metric],
                "period": goal.period,
                "target": amount_text(goal.metric, goal.target),
            },
            now,
        )
    return made


def _subject(session: Session, goal: Goal) -> tuple[str, list[User]]:
    """The goal's subject by name, and who hears of it: the rep, or the unit's own leads and managers."""
    if goal.subject_type == "user":
        user = session.get(User, goal.subject_id)
        return (user.name, [user]) if user is not None and user.active else ("", [])
    unit = session.get(Unit, goal.subject_id)
    if unit is None:
        return "", []
    people = session.scalars(
        select(User).where(
            User.unit_id == unit.id, col(User.role).in_(("lead", "manager")), col(User.active).is_(True)
        )
    )
    return unit.name, list(people)


def _announced(session: Session, user_id: str, goal_id: str, levels: list[int]) -> bool:
    keys = [f"{user_id}:milestone:{goal_id}:{m}" for m in levels]
    return (
        session.scalars(select(Notification.id).where(col(Notification.dedupe_key).in_(keys))).first() is not None
    )
