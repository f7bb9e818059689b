"""The home screens of leads and managers, read from the KPI engine and the work itself.

- A lead's team (`team_home`): the visits and amendments waiting for a decision, the reps behind pace with
  what they need per working day, each rep's visits on the team's today (its time zone), and the reps whose
  phones have not synced for `NOT_SYNCED_DAYS`.
- A manager's units (`units_home`): each unit directly below theirs, per metric it has a goal for, its
  figures and its attainment over the last `TREND_PERIODS` periods; the units at risk.

"Behind pace" is the morning nudge's rule (backend/notify/rules.py): an additive goal (revenue, visits, new
customers) whose pace is below `1 - behind_pace_threshold / 100`. Ratios are thresholds with no daily
amount to catch up on, so they are never "behind", as they never nudge.

Who may look: leads and managers at a unit they manage (a lead: their team; a manager: any team, or any
unit for `units_home`, in their subtree; admins anywhere). A unit out of sight is NotFound; one they see
but do not manage (their own region, for a lead), or a rep asking, is Forbidden.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.errors import Forbidden, InvalidInput, NotFound
from backend.goals.models import ADDITIVE_METRICS, METRICS
from backend.home.schemas import (
    Approvals,
    BehindPace,
    NotSynced,
    TeamHome,
    TrendPoint,
    UnitMetric,
    UnitsHome,
    UnitStanding,
    VisitsToday,
)
from backend.kpi import rankings
from backend.kpi import service as kpi
from backend.kpi.engine import Figures, figures_public
from backend.org.models import Unit, User
from backend.periods import Period, parse_period
from backend.policy import Actor, get_unit, require_manager, require_unit_manager
from backend.settings import session_settings
from backend.sync.models import SyncClient  # read-only: when each phone last synced
from backend.validation import PeriodKey, Uuid, validate
from backend.versioning import wire
from backend.visits.models import Amendment, Visit  # read-only: what waits, what was logged today

NOT_SYNCED_DAYS = 2
TREND_PERIODS = 6
COUNTED = ("visits", "new_customers")
HOME_QUERY = {"unit_id": Uuid(), "period": PeriodKey()}


def behind_below(session: Session) -> Decimal:
    """The pace under which a goal is behind: 0.85 for the default threshold of 15 (percent)."""
    return Decimal(100 - session_settings(session).behind_pace_threshold) / 100


def needed_per_day(figures: Figures) -> str | None:
    """What is still needed per working day as a person reads it: a whole count rounded up (2.01 visits a
    day is 3: two would fall short), money to the cent as the engine rounds it (up)."""
    needed = figures.needed_per_working_day
    if needed is None:
        return None
    if figures.metric in COUNTED:
        return str(math.ceil(needed))
    return figures_public(figures).needed_per_working_day


def is_behind(figures: Figures, limit: Decimal) -> bool:
    return figures.metric in ADDITIVE_METRICS and figures.pace is not None and figures.pace < limit


def behind_row(subject_id: str, name: str, period: str, figures: Figures) -> BehindPace:
    shown = figures_public(figures)
    return BehindPace(
        subject_id=subject_id,
        name=name,
        metric=figures.metric,
        period=period,
        target=shown.target,
        actual=shown.actual,
        attainment=shown.attainment,
        expected_by_today=shown.expected_by_today,
        pace=shown.pace,
        needed_per_working_day=needed_per_day(figures),
        working_days_left=figures.working_days_left,
    )


def _managed_unit(session: Session, actor: Actor, unit_id: str | None, *, managers_only: bool) -> Unit:
    """The unit the screen is about: seen (else NotFound), by a lead or manager (else Forbidden) who manages
    it (else Forbidden: they see it, it is not theirs to run)."""
    unit = get_unit(session, actor, unit_id or actor.unit_id, manage=False)
    if managers_only:
        require_unit_manager(actor)
    else:
        require_manager(actor)
    try:
        get_unit(session, actor, unit.id)
    except NotFound:
        raise Forbidden() from None
    return unit


def _query(unit_id: str | None, period: str | None) -> dict[str, str]:
    given = {"unit_id": unit_id, "period": period}
    return validate({k: v for k, v in given.items() if v not in (None, "")}, HOME_QUERY)


# --- a lead's team ------------------------------------------------------------------------------------------


def team_home(
    session: Session, actor: Actor, now: datetime, unit_id: str | None = None, period: str | None = None
) -> TeamHome:
    query = _query(unit_id, period)
    unit = _managed_unit(session, actor, query.get("unit_id"), managers_only=False)
    if unit.kind != "team":
        raise InvalidInput.one("unit_id", "required" if "unit_id" not in query else "not_a_team")
    zone = ZoneInfo(unit.timezone)
    today = now.astimezone(zone).date()
    period_key = query.get("period") or rankings.current_period(unit, now)
    reps = list(
        session.execute(
            select(User.id, User.name)
            .join(Unit, col(Unit.id) == User.unit_id)
            .where(
                col(Unit.path).startswith(unit.path, autoescape=True),
                col(User.role) == "rep",
                col(User.active).is_(True),
            )
            .order_by(col(User.name), col(User.id))
        ).all()
    )
    names = dict(reps)
    rep_ids = list(names)
    limit = behind_below(session)
    return TeamHome(
        unit_id=unit.id,
        name=unit.name,
        timezone=unit.timezone,
        today=today.isoformat(),
        period=period_key,
        as_of=wire(now),
        behind_below=float(limit),
        not_synced_days=NOT_SYNCED_DAYS,
        approvals=_approvals(session, rep_ids),
        behind=_reps_behind(session, names, period_key, now, limit),
        visits_today=_visits_today(session, names, today, zone),
        not_synced=_not_synced(session, names, now),
    )


def _approvals(session: Session, rep_ids: list[str]) -> Approvals:
    waiting = (
        select(Visit.id, Visit.check_in_at)
        .where(col(Visit.rep_id).in_(rep_ids), col(Visit.status) == "submitted", col(Visit.deleted_at).is_(None))
        .order_by(col(Visit.check_in_at), col(Visit.id))
    )
    count = session.execute(select(func.count()).select_from(waiting.subquery())).scalar_one()
    oldest = session.execute(waiting.limit(1)).first()
    amendments = session.execute(
        select(func.count())
        .select_from(Amendment)
        .join(Visit, col(Visit.id) == Amendment.visit_id)
        .where(col(Visit.rep_id).in_(rep_ids), col(Amendment.status) == "pending")
    ).scalar_one()
    return Approvals(
        visits=int(count),
        oldest_visit_id=oldest[0] if oldest else None,
        oldest_check_in_at=wire(oldest[1]) if oldest else None,
        amendments=int(amendments),
    )


def _reps_behind(
    session: Session, names: dict[str, str], period_key: str, now: datetime, limit: Decimal
) -> list[BehindPace]:
    goals = kpi.goals_of_periods(session, "user", list(names), [period_key], ADDITIVE_METRICS)
    every = [goal for found in goals.values() for goal in found]
    computed = kpi.compute(session, every, now)
    rows = [
        behind_row(goal.subject_id, names[goal.subject_id], period_key, computed[goal.id])
        for goal in every
        if goal.id in computed and is_behind(computed[goal.id], limit)
    ]
    # Furthest behind first.
    return sorted(rows, key=lambda r: (r.pace or 0, r.name, METRICS.index(r.metric)))


def _visits_today(session: Session, names: dict[str, str], today: date, zone: ZoneInfo) -> list[VisitsToday]:
    """Each rep's visits checked in on the team's local day (whatever the rep's own zone: the lead reads the
    team's day), in any state the server holds them."""
    # From local midnight to the next, not + 24 h: a day of a daylight-saving change is 23 or 25 hours long.
    start, end = kpi.local_midnight(today, zone), kpi.local_midnight(today + timedelta(days=1), zone)
    counts = {
        rep_id: (int(total), int(approved or 0))
        for rep_id, total, approved in session.execute(
            select(
                Visit.rep_id,
                func.count(),
                func.sum(case((col(Visit.status) == "approved", 1), else_=0)),
            )
            .where(
                col(Visit.rep_id).in_(list(names)),
                col(Visit.deleted_at).is_(None),
                col(Visit.check_in_at) >= start,
                col(Visit.check_in_at) < end,
            )
            .group_by(col(Visit.rep_id))
        )
    }
    none = (0, 0)
    return [
        VisitsToday(
            user_id=rep_id, name=name, visits=counts.get(rep_id, none)[0], approved=counts.get(rep_id, none)[1]
        )
        for rep_id, name in names.items()
    ]


def _not_synced(session: Session, names: dict[str, str], now: datetime) -> list[NotSynced]:
    last_seen = dict(
        session.execute(
            select(SyncClient.user_id, func.max(col(SyncClient.last_seen_at)))
            .where(col(SyncClient.user_id).in_(list(names)))
            .group_by(col(SyncClient.user_id))
        ).all()
    )
    since = now - timedelta(days=NOT_SYNCED_DAYS)
    quiet = [
        NotSynced(
            user_id=rep_id, name=name, last_seen_at=wire(last_seen[rep_id]) if last_seen.get(rep_id) else None
        )
        for rep_id, name in names.items()
        if last_seen.get(rep_id) is None or last_seen[rep_id] < since
    ]
    # Never synced first, then the longest silent.
    return sorted(quiet, key=lambda r: (r.last_seen_at is not None, r.last_seen_at or "", r.name))


# --- a manager's units --------------------------------------------------------------------------------------


def trend_periods(period: Period, count: int = TREND_PERIODS) -> list[str]:
    """The `count` periods of the same kind ending with `period`, oldest first."""
    keys = [period]
    while len(keys) < count:
        keys.append(keys[-1].previous())
    return [p.key for p in reversed(keys)]


def units_home(
    session: Session, actor: Actor, now: datetime, unit_id: str | None = None, period: str | None = None
) -> UnitsHome:
    query = _query(unit_id, period)
    unit = _managed_unit(session, actor, query.get("unit_id"), managers_only=True)
    period_key = query.get("period") or rankings.current_period(unit, now)
    trend = trend_periods(parse_period(period_key))
    children = rankings.child_units(session, unit)
    found = rankings.unit_figures(session, [u.id for u in children], METRICS, trend, now)
    limit = behind_below(session)
    standings: list[UnitStanding] = []
    at_risk: list[BehindPace] = []
    for child in children:
        metrics: list[UnitMetric] = []
        for metric in METRICS:
            figures = found.get((child.id, metric, period_key))
            if figures is None:
                continue
            shown = figures_public(figures)
            behind = is_behind(figures, limit)
            if behind:
                at_risk.append(behind_row(child.id, child.name, period_key, figures))
            metrics.append(
                UnitMetric(
                    metric=metric,
                    target=shown.target,
                    actual=shown.actual,
                    attainment=shown.attainment,
                    expected_by_today=shown.expected_by_today,
                    pace=shown.pace,
                    forecast=shown.forecast,
                    needed_per_working_day=needed_per_day(figures),
                    working_days_left=figures.working_days_left,
                    at_risk=behind,
                    trend=_trend(found, child.id, metric, trend),
                )
            )
        standings.append(UnitStanding(unit_id=child.id, name=child.name, kind=child.kind, metrics=metrics))
    return UnitsHome(
        unit_id=unit.id,
        name=unit.name,
        period=period_key,
        as_of=wire(now),
        behind_below=float(limit),
        units=standings,
        at_risk=sorted(at_risk, key=lambda r: (r.pace or 0, r.name, METRICS.index(r.metric))),
    )


def _trend(
    found: dict[tuple[str, str, str], Figures], unit_id: str, metric: str, periods: Sequence[str]
) -> list[TrendPoint]:
    points = []
    for key in periods:
        figures = found.get((unit_id, metric, key))
        attainment = figures_public(figures).attainment if figures is not None else None
        points.append(TrendPoint(period=key, attainment=attainment))
    return points
