"""The KPI service: one computation of progress for every reader, and the hooks that keep it true.

Where the numbers come from:
- `DailyActivity` (kpi_daily) holds each rep's approved visits, satisfaction parts and closed deals per local
  day. The hooks below recount the touched days from the raw rows in the same transaction as the write
  that touched them (an approval, an accepted amendment, a won or lost opportunity), so progress reads
  O(reps x days of the period) rows, however long the history.
- New customers are counted from `customer.first_won_on` (already a local date of the owner), by owner: a
  customer handed to another rep takes its "new" with it.

Whose days: a rep's work falls on the rep's own local days (their time zone). A unit's actual is the sum of
its present members' actuals for the same period (a rep moved to another team takes their history along,
as SYNC.md decides visibility by the present), so a unit's additive actual always equals the sum of its
reps'; its working days, and its "today", are those of the unit's own time zone and calendar.

Progress records (SYNC.md rule 12): every goal has one `progress` record, id `progress_id(...)`, rewritten
in the transaction of whatever changed its inputs, for the rep and every unit above them, and once a day by
`refresh_daily` for the figures that move with the calendar alone. A record is only rewritten (and its
version raised) when a figure changed, so refreshing is idempotent.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import and_, delete, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.customers.models import Customer
from backend.errors import FieldError, Forbidden, InvalidInput
from backend.goals.models import ADDITIVE_METRICS, METRICS, Goal
from backend.kpi.engine import Figures, Tally, figures, figures_public
from backend.kpi.models import CalendarDay, DailyActivity, OfficialSchedule, Progress
from backend.kpi.schemas import (
    CalendarDayPublic,
    CalendarPublic,
    GoalProgress,
    HolidayStatus,
    LeaderboardRow,
    ProgressPublic,
)
from backend.kpi.workdays import RATIO, WorkCalendar, YearSchedule
from backend.notify import milestones
from backend.opportunities.models import Opportunity
from backend.org.models import Unit, User
from backend.periods import PERIOD_KINDS, Period, parse_period, period_containing, period_ends_at
from backend.policy import Actor, get_unit, get_user
from backend.sync.registry import by_subject, declare
from backend.validation import Choice, Day, Flag, PeriodKey, Uuid, validate
from backend.versioning import wire
from backend.visits.models import Visit

# Progress ids are uuid5 of (subject, metric, period) in this namespace: deterministic, so they update in place.
PROGRESS_NAMESPACE = uuid.UUID("5b0e7c1e-7a43-4c55-9c55-6b1f0d6a2f10")
EMPTY = Tally()
CHUNK = 500


def progress_id(subject_type: str, subject_id: str, metric: str, period: str) -> str:
    return str(uuid.uuid5(PROGRESS_NAMESPACE, f"{subject_type}:{subject_id}:{metric}:{period}"))


def _chunks(items: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(items))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _ancestors(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


# --- calendars ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _calendar(overrides: tuple[tuple[date, bool], ...], schedules: tuple[YearSchedule, ...]) -> WorkCalendar:
    # Building a calendar walks the official tables once; most units share the same (empty) overrides.
    return WorkCalendar(dict(overrides), schedules=schedules)


def year_schedule(row: OfficialSchedule) -> YearSchedule:
    return YearSchedule(
        row.year,
        frozenset(date.fromisoformat(day) for day in row.days_off),
        frozenset(date.fromisoformat(day) for day in row.make_up_workdays),
    )


def entered_schedules(session: Session) -> tuple[YearSchedule, ...]:
    """The official holiday schedules admins entered, by year: the same for every unit."""
    rows = session.scalars(select(OfficialSchedule).order_by(col(OfficialSchedule.year)))
    return tuple(year_schedule(row) for row in rows)


class Calendars:
    """Working-day calendars of units: a unit's overrides win over its parent's, up to the root."""

    def __init__(self, session: Session) -> None:
        self._by_unit: dict[str, dict[date, bool]] | None = None
        self._schedules: tuple[YearSchedule, ...] = ()
        self._session = session

    def for_path(self, path: str) -> WorkCalendar:
        if self._by_unit is None:
            self._by_unit = defaultdict(dict)
            for row in self._session.scalars(select(CalendarDay)):
                self._by_unit[row.unit_id][row.day] = row.working
            self._schedules = entered_schedules(self._session)
        overrides: dict[date, bool] = {}
        for unit_id in _ancestors(path):  # root first, so the nearest unit's override is applied last
            overrides.update(self._by_unit.get(unit_id, {}))
        return _calendar(tuple(sorted(overrides.items())), self._schedules)


def calendar_for_unit(session: Session, unit: Unit) -> WorkCalendar:
    return Calendars(session).for_path(unit.path)


def china_calendar(session: Session) -> WorkCalendar:
    """China's calendar with the entered schedules, before any unit's overrides."""
    return _calendar((), entered_schedules(session))


# --- subjects and their tallies ----------------------------------------------------------------------------


@dataclass
class Subject:
    """A rep or a unit: whose days count (reps), in which zone its periods are cut, which calendar it keeps."""

    type: str
    id: str
    zone: ZoneInfo
    calendar_path: str
    reps: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.id)


def resolve_subjects(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Subject]:
    """Subjects by (type, id), each with the reps whose work adds up to it (a unit: its present members)."""
    keys = set(keys)
    subjects: dict[tuple[str, str], Subject] = {}
    user_ids = [i for t, i in keys if t == "user"]
    unit_ids = [i for t, i in keys if t == "unit"]
    for chunk in _chunks(user_ids):
        query = select(User.id, User.timezone, Unit.path).join(Unit, col(Unit.id) == User.unit_id)
        for user_id, zone, path in session.execute(query.where(col(User.id).in_(chunk))):
            subjects[("user", user_id)] = Subject("user", user_id, ZoneInfo(zone), path, {user_id})
    paths: list[str] = []
    for chunk in _chunks(unit_ids):
        for unit_id, zone, path in session.execute(
            select(Unit.id, Unit.timezone, Unit.path).where(col(Unit.id).in_(chunk))
        ):
            subjects[("unit", unit_id)] = Subject("unit", unit_id, ZoneInfo(zone), path)
            paths.append(path)
    # The fewest subtrees that cover every unit asked for: a company and its regions are one subtree.
    roots = [p for p in sorted(paths) if not any(p != q and p.startswith(q) for q in paths)]
    for start in range(0, len(roots), 50):
        clause = or_(*(col(Unit.path).startswith(p, autoescape=True) for p in roots[start : start + 50]))
        members = select(User.id, Unit.path).join(Unit, col(Unit.id) == User.unit_id).where(clause)
        for user_id, path in session.execute(members):
            for unit_id in _ancestors(path):
                subject = subjects.get(("unit", unit_id))
                if subject is not None:
                    subject.reps.add(user_id)
    return subjects


def rep_tallies(session: Session, rep_ids: Iterable[str], start: date, end: date) -> dict[str, Tally]:
    """Each rep's tally over their local days `[start, end)`: per-day rows summed, plus new customers."""
    activity: dict[str, Tally] = {}
    a = DailyActivity
    for chunk in _chunks(rep_ids):
        sums = (
            sa_select(
                col(a.rep_id),
                func.sum(a.visits),
                func.sum(a.satisfaction_sum),
                func.sum(a.satisfaction_count),
                func.sum(a.won_amount),
                func.sum(a.won_count),
                func.sum(a.lost_count),
            )
            .where(col(a.rep_id).in_(chunk), col(a.day) >= start, col(a.day) < end)
            .group_by(col(a.rep_id))
        )
        for rep_id, visits, sat_sum, sat_count, won_amount, won_count, lost_count in session.execute(sums):
            activity[rep_id] = Tally(
                int(visits), int(sat_sum), int(sat_count), Decimal(won_amount), int(won_count), int(lost_count)
            )
        new_customers = (
            select(Customer.owner_id, func.count())
            .where(
                col(Customer.owner_id).in_(chunk),
                col(Customer.first_won_on) >= start,
                col(Customer.first_won_on) < end,
                col(Customer.deleted_at).is_(None),
            )
            .group_by(col(Customer.owner_id))
        )
        for owner_id, count in session.execute(new_customers):
            activity[owner_id] = activity.get(owner_id, EMPTY) + Tally(new_customers=int(count))
    return activity


def subject_tallies(session: Session, subjects: Sequence[Subject], period: Period) -> dict[tuple[str, str], Tally]:
    """Each subject's tally for the period: its reps' tallies summed (counts and sums, never ratios)."""
    wanted: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for subject in subjects:
        for rep_id in subject.reps:
            wanted[rep_id].append(subject.key)
    totals: dict[tuple[str, str], Tally] = {subject.key: EMPTY for subject in subjects}
    for rep_id, tally in rep_tallies(session, wanted, period.start, period.end).items():
        for key in wanted[rep_id]:
            totals[key] = totals[key] + tally
    return totals


def compute(session: Session, goals: Sequence[Goal], now: datetime) -> dict[str, Figures]:
    """The figures of each goal as of `now` (by goal id): the one computation every reader uses."""
    subjects = resolve_subjects(session, {(g.subject_type, g.subject_id) for g in goals})
    calendars = Calendars(session)
    by_period: dict[str, list[Goal]] = defaultdict(list)
    for goal in goals:
        if (goal.subject_type, goal.subject_id) in subjects:
            by_period[goal.period].append(goal)
    result: dict[str, Figures] = {}
    for key, group in by_period.items():
        period = parse_period(key)
        involved = {(g.subject_type, g.subject_id) for g in group}
        tallies = subject_tallies(session, [subjects[k] for k in involved], period)
        for goal in group:
            subject = subjects[(goal.subject_type, goal.subject_id)]
            today = now.astimezone(subject.zone).date()
            calendar = calendars.for_path(subject.calendar_path)
            result[goal.id] = figures(goal.metric, goal.target, tallies[subject.key], period, calendar, today)
    return result


# --- progress records (sync) -------------------------------------------------------------------------------

FIGURE_FIELDS = (
    "target",
    "actual",
    "attainment",
    "expected_by_today",
    "pace",
    "forecast",
    "needed_per_working_day",
    "working_days_left",
    "working_days_total",
)


def progress_public(progress: Progress) -> ProgressPublic:
    """A progress record on the wire: the figures exactly as GET /progress shows them, plus sync fields."""
    stored = Figures(progress.metric, *(getattr(progress, name) for name in FIGURE_FIELDS))
    return ProgressPublic(
        id=progress.id,
        subject_type=progress.subject_type,
        subject_id=progress.subject_id,
        period=progress.period,
        as_of=wire(progress.as_of),
        version=progress.version,
        updated_at=wire(progress.updated_at),
        **msgspec.structs.asdict(figures_public(stored)),
    )


def store_progress(session: Session, goals: Sequence[Goal], now: datetime, *, announce: bool = True) -> int:
    """Recompute the goals' progress records and rewrite those whose figures changed; returns how many.
    `announce=False` (a rebuild) notifies no milestones: a recomputation is not news."""
    computed = compute(session, goals, now)
    ids = {g.id: progress_id(g.subject_type, g.subject_id, g.metric, g.period) for g in goals}
    existing: dict[str, Progress] = {}
    for chunk in _chunks(ids.values()):
        for row in session.scalars(select(Progress).where(col(Progress.id).in_(chunk))):
            existing[row.id] = row
    written = 0
    for goal in goals:
        result = computed.get(goal.id)
        if result is None:
            continue
        values = {name: getattr(result, name) for name in FIGURE_FIELDS}
        found = existing.get(ids[goal.id])
        before = found.attainment if found is not None else None  # for the milestone hook below
        if found is None:
            row = Progress(
                id=ids[goal.id],
                subject_type=goal.subject_type,
                subject_id=goal.subject_id,
                metric=goal.metric,
                period=goal.period,
                as_of=now,
                updated_at=now,
                **values,
            )
            session.add(row)
            existing[row.id] = row
        elif all(getattr(found, name) == value for name, value in values.items()):
            continue
        else:
            row = found
            for name, value in values.items():
                setattr(row, name, value)
            row.version += 1
            row.as_of = now
            row.updated_at = now
        written += 1
        # milestones (50, 80, 100, 120 %) notify in the transaction of the figure that crossed them.
        if announce:
            milestones.progress_changed(session, goal, before, row.attainment, now)
    session.flush()
    return written


def _period_keys(days: Iterable[date]) -> set[str]:
    return {period_containing(kind, day).key for day in days for kind in PERIOD_KINDS}


_DEFERRED = "fieldgoal.kpi.deferred_progress"


def defer_progress(session: Session) -> None:
    """From now on, note the reps and days whose progress must be rewritten instead of rewriting it; a sync
    batch of twenty approvals then rewrites the team's figures once (`write_deferred_progress`), not twenty
    times. The per-day counts are still kept at each write: only the rollup waits."""
    session.info.setdefault(_DEFERRED, defaultdict(set))


def write_deferred_progress(session: Session, now: datetime) -> int:
    """Rewrite the progress noted since `defer_progress`, once, in the same transaction."""
    return refresh_for_reps(session, session.info.pop(_DEFERRED, {}), now)


def refresh_for_reps(session: Session, rep_days: dict[str, set[date]], now: datetime) -> int:
    """Rewrite the progress of these reps and every unit above them, for the periods containing the days."""
    rep_days = {rep: days for rep, days in rep_days.items() if days}
    if not rep_days:
        return 0
    deferred = session.info.get(_DEFERRED)
    if deferred is not None:
        for rep, days in rep_days.items():
            deferred[rep] |= days
        return 0
    units: set[str] = set()
    for path in session.scalars(
        select(Unit.path).join(User, col(User.unit_id) == Unit.id).where(col(User.id).in_(list(rep_days)))
    ):
        units.update(_ancestors(path))
    keys = _period_keys(day for days in rep_days.values() for day in days)
    goals = list(
        session.scalars(
            select(Goal).where(
                or_(
                    and_(col(Goal.subject_type) == "user", col(Goal.subject_id).in_(list(rep_days))),
                    and_(col(Goal.subject_type) == "unit", col(Goal.subject_id).in_(units)),
                ),
                col(Goal.period).in_(keys),
            )
        )
    )
    return store_progress(session, goals, now)


def refresh_daily(session: Session, now: datetime) -> int:
    """For the worker, at least once a day: rewrite the figures that move with the calendar alone.

    Every running period (and those that ended in the last two days, so their final figures are written)
    in any time zone: the UTC day plus and minus a day covers every zone's local today.
    """
    today = now.astimezone(UTC).date()
    keys = _period_keys(today + timedelta(days=n) for n in range(-2, 2))
    goals = list(session.scalars(select(Goal).where(col(Goal.period).in_(keys))))
    return store_progress(session, goals, now)


# --- hooks: called by the services, in the transaction of the write ----------------------------------------


def _zone_of(session: Session, user_id: str) -> ZoneInfo:
    zone = session.execute(select(User.timezone).where(User.id == user_id)).scalar_one_or_none()
    return ZoneInfo(zone or "Asia/Shanghai")


def recount_day(session: Session, rep_id: str, day: date, zone: ZoneInfo) -> None:
    """Recount one rep's activity on one local day from the raw rows (idempotent: never an increment)."""
    start, end = local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)
    visits, sat_sum, sat_count = session.execute(
        sa_select(func.count(), func.sum(col(Visit.satisfaction)), func.count(col(Visit.satisfaction))).where(
            col(Visit.rep_id) == rep_id,
            col(Visit.status) == "approved",
            col(Visit.deleted_at).is_(None),
            col(Visit.check_in_at) >= start,
            col(Visit.check_in_at) < end,
        )
    ).one()
    closed = {
        stage: (int(count), amount or Decimal(0))
        for stage, count, amount in session.execute(
            select(Opportunity.stage, func.count(), func.sum(Opportunity.amount))
            .where(
                Opportunity.owner_id == rep_id,
                col(Opportunity.stage).in_(("won", "lost")),
                col(Opportunity.deleted_at).is_(None),
                col(Opportunity.closed_at) >= start,
                col(Opportunity.closed_at) < end,
            )
            .group_by(col(Opportunity.stage))
        )
    }
    won_count, won_amount = closed.get("won", (0, Decimal(0)))
    lost_count = closed.get("lost", (0, Decimal(0)))[0]
    values: dict[str, Any] = {
        "visits": int(visits),
        "satisfaction_sum": int(sat_sum or 0),
        "satisfaction_count": int(sat_count),
        "won_amount": Decimal(won_amount),
        "won_count": won_count,
        "lost_count": lost_count,
    }
    row = session.get(DailyActivity, (rep_id, day))
    if not any(values.values()):
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(DailyActivity(rep_id=rep_id, day=day, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


def visit_changed(
    session: Session, visit: Visit, now: datetime, previous_check_in_at: datetime | None = None
) -> None:
    """HOOK: a visit's approval status (or, through an accepted amendment, its fields) changed.

    Called by visits.service in `review()` and in `decide_amendment()` after accepting.
    """
    session.flush()
    zone = _zone_of(session, visit.rep_id)
    days = {visit.check_in_at.astimezone(zone).date()}
    if previous_check_in_at is not None:
        days.add(previous_check_in_at.astimezone(zone).date())
    for day in days:
        recount_day(session, visit.rep_id, day, zone)
    refresh_for_reps(session, {visit.rep_id: days}, now)


@dataclass(frozen=True)
class OpportunityBefore:
    """What an opportunity's KPIs depended on before a change: taken by `opportunity_before`."""

    owner_id: str
    closed_at: datetime | None
    customer_owner_id: str | None
    first_won_on: date | None


def opportunity_before(session: Session, opportunity: Opportunity) -> OpportunityBefore:
    """HOOK (first half): call before changing an opportunity's stage; pass the result to `opportunity_changed`."""
    customer = session.get(Customer, opportunity.customer_id)
    return OpportunityBefore(
        opportunity.owner_id,
        opportunity.closed_at,
        customer.owner_id if customer else None,
        customer.first_won_on if customer else None,
    )


def opportunity_changed(
    session: Session, opportunity: Opportunity, before: OpportunityBefore, now: datetime
) -> None:
    """HOOK: an opportunity became or stopped being won or lost (or a won one's amount changed).

    Called by opportunities.service in `advance()` (and `edit_opportunity()` for a won deal's amount).
    """
    session.flush()
    rep_days: dict[str, set[date]] = defaultdict(set)
    for owner_id, closed_at in (
        (before.owner_id, before.closed_at),
        (opportunity.owner_id, opportunity.closed_at),
    ):
        if closed_at is not None:
            zone = _zone_of(session, owner_id)
            day = closed_at.astimezone(zone).date()
            if day not in rep_days[owner_id]:
                recount_day(session, owner_id, day, zone)
                rep_days[owner_id].add(day)
    # New customers: the customer's first-won day may have moved (or gone), for its owner.
    customer = session.get(Customer, opportunity.customer_id)
    if customer is not None:
        firsts: list[tuple[str | None, date | None]] = [
            (before.customer_owner_id, before.first_won_on),
            (customer.owner_id, customer.first_won_on),
        ]
        for customer_owner, first_day in firsts:
            if customer_owner is not None and first_day is not None:
                rep_days[customer_owner].add(first_day)
    refresh_for_reps(session, rep_days, now)


def customer_reassigned(session: Session, customer: Customer, previous_owner_id: str, now: datetime) -> None:
    """HOOK: a customer was handed to another rep, taking its "new customer" with it.

    To be called by customers.service in `reassign()` (not wired yet: that file belongs to the customers
    feature). Only the new-customers figures of both owners (and the units above them) change.
    """
    session.flush()
    if customer.first_won_on is not None:
        days = {customer.first_won_on}
        refresh_for_reps(session, {previous_owner_id: days, customer.owner_id: days}, now)


def user_changed(
    session: Session, user: User, previous_unit_id: str, previous_timezone: str, now: datetime
) -> None:
    """HOOK: a user moved to another unit (the rollups of both sides change) or changed time zone.

    Called by org.service in `update_user()`. A new time zone moves the rep's work to other local days, so
    their per-day rows are rebuilt from the raw rows (rare, and bounded by one rep's history).
    """
    session.flush()
    if previous_timezone != user.timezone:
        rebuild_activity(session, [user.id])
    units: set[str] = set()
    for path in session.scalars(select(Unit.path).where(col(Unit.id).in_({previous_unit_id, user.unit_id}))):
        units.update(_ancestors(path))
    goals = list(
        session.scalars(
            select(Goal).where(
                or_(
                    and_(col(Goal.subject_type) == "unit", col(Goal.subject_id).in_(units)),
                    and_(col(Goal.subject_type) == "user", col(Goal.subject_id) == user.id),
                )
            )
        )
    )
    store_progress(session, goals, now)


def goals_changed(session: Session, goals: Sequence[Goal], now: datetime) -> None:
    """A goal was created or its target changed: its progress record follows."""
    session.flush()
    store_progress(session, goals, now)


def calendar_changed(session: Session, unit: Unit, days: Iterable[date], now: datetime) -> None:
    """A unit's calendar changed: the progress of everyone below it, in periods containing the days."""
    session.flush()
    keys = _period_keys(days)
    subtree = select(Unit.id).where(col(Unit.path).startswith(unit.path, autoescape=True))
    people = select(User.id).where(col(User.unit_id).in_(subtree))
    goals = list(
        session.scalars(
            select(Goal).where(
                col(Goal.period).in_(keys),
                or_(
                    and_(col(Goal.subject_type) == "unit", col(Goal.subject_id).in_(subtree)),
                    and_(col(Goal.subject_type) == "user", col(Goal.subject_id).in_(people)),
                ),
            )
        )
    )
    store_progress(session, goals, now)


def holidays_changed(session: Session, days: Iterable[date], now: datetime) -> None:
    """China's holidays changed on these days (an official schedule was entered): every unit keeps them, so
    the progress of every goal in periods containing the days."""
    session.flush()
    keys = _period_keys(days)
    if keys:
        store_progress(session, list(session.scalars(select(Goal).where(col(Goal.period).in_(keys)))), now)


def rebuild_activity(session: Session, rep_ids: Sequence[str] | None = None) -> int:
    """Recount the per-day rows of these reps (all when None) from the raw rows; returns the rows written.

    For repairs and for data written around the services (the demo seeder's bulk inserts): the hooks keep
    the rows true from then on.
    """
    zones = {
        user_id: ZoneInfo(zone)
        for user_id, zone in session.execute(
            select(User.id, User.timezone).where(col(User.id).in_(rep_ids))
            if rep_ids is not None
            else select(User.id, User.timezone)
        )
    }
    days: dict[tuple[str, date], dict[str, Any]] = defaultdict(
        lambda: {
            "visits": 0,
            "satisfaction_sum": 0,
            "satisfaction_count": 0,
            "won_amount": Decimal(0),
            "won_count": 0,
            "lost_count": 0,
        }
    )
    visits = sa_select(col(Visit.rep_id), col(Visit.check_in_at), col(Visit.satisfaction)).where(
        col(Visit.status) == "approved", col(Visit.deleted_at).is_(None)
    )
    opportunities = sa_select(
        col(Opportunity.owner_id), col(Opportunity.closed_at), col(Opportunity.stage), col(Opportunity.amount)
    ).where(col(Opportunity.stage).in_(("won", "lost")), col(Opportunity.deleted_at).is_(None))
    if rep_ids is not None:
        visits = visits.where(col(Visit.rep_id).in_(rep_ids))
        opportunities = opportunities.where(col(Opportunity.owner_id).in_(rep_ids))
    for rep_id, moment, satisfaction in session.execute(visits.execution_options(yield_per=10_000)):
        row = days[(rep_id, moment.astimezone(zones[rep_id]).date())]
        row["visits"] += 1
        if satisfaction is not None:
            row["satisfaction_sum"] += satisfaction
            row["satisfaction_count"] += 1
    for owner_id, closed_at, stage, amount in session.execute(opportunities):
        if closed_at is None:
            continue
        row = days[(owner_id, closed_at.astimezone(zones[owner_id]).date())]
        if stage == "won":
            row["won_count"] += 1
            row["won_amount"] += amount or Decimal(0)
        else:
            row["lost_count"] += 1
    doomed = delete(DailyActivity)
    if rep_ids is not None:
        doomed = doomed.where(col(DailyActivity.rep_id).in_(rep_ids))
    session.execute(doomed)
    rows = [{"rep_id": rep, "day": day, **values} for (rep, day), values in days.items()]
    for start in range(0, len(rows), 5000):
        session.execute(DailyActivity.__table__.insert(), rows[start : start + 5000])  # type: ignore[attr-defined]
    session.expire_all()
    return len(rows)


def rebuild(session: Session, now: datetime) -> None:
    """Rebuild every per-day row and every progress record (after a bulk import, or to repair)."""
    rebuild_activity(session)
    store_progress(session, list(session.scalars(select(Goal))), now, announce=False)


# --- reading: GET /progress, GET /leaderboard --------------------------------------------------------------

PROGRESS_QUERY = {
    "subject_type": Choice(choices=("unit", "user")),
    "subject_id": Uuid(),
    "period": PeriodKey(),
}
LEADERBOARD_QUERY = {
    "unit_id": Uuid(),
    "metric": Choice(choices=METRICS),
    "period": PeriodKey(),
}


def _given(**params: str | None) -> dict[str, str]:
    return {name: value for name, value in params.items() if value is not None and value != ""}


MONTHS_GOAL = "months:"  # the id prefix of a quarter's or year's goal made of its months' (never stored)


def goals_of_period(session: Session, subject_type: str, subject_id: str, period_key: str) -> list[Goal]:
    """The subject's goals for the period, in METRICS order. A quarter or a year may have no goal of its own
    for a metric but one in each of its months (the usual cascade stops at months): then its goal is the
    months' goals taken together, never stored, with the targets summed (for additive metrics) or averaged
    (a ratio's target is a threshold, not an amount). A month missing a goal: no figure, rather than a
    target that silently leaves the month out."""
    return goals_of_periods(session, subject_type, [subject_id], [period_key]).get((subject_id, period_key), [])


def goals_of_periods(
    session: Session,
    subject_type: str,
    subject_ids: Sequence[str],
    period_keys: Sequence[str],
    metrics: Sequence[str] = METRICS,
) -> dict[tuple[str, str], list[Goal]]:
    """`goals_of_period` for many subjects and periods at once, by (subject id, period key): the rankings and
    the home screens read a few units over several periods. A goal made of months has an id of its own per
    subject and period (`MONTHS_GOAL` first), so `compute` keeps them apart."""
    periods = [parse_period(key) for key in dict.fromkeys(period_keys)]
    months = {p.key: [m.key for m in p.months()] if p.kind in ("quarter", "year") else [] for p in periods}
    wanted = {p.key for p in periods} | {m for keys in months.values() for m in keys}
    rows: dict[tuple[str, str, str], Goal] = {}
    for chunk in _chunks(subject_ids):
        for goal in session.scalars(
            select(Goal).where(
                Goal.subject_type == subject_type,
                col(Goal.subject_id).in_(chunk),
                col(Goal.metric).in_(metrics),
                col(Goal.period).in_(wanted),
            )
        ):
            rows[(goal.subject_id, goal.metric, goal.period)] = goal
    found: dict[tuple[str, str], list[Goal]] = {}
    for subject_id in dict.fromkeys(subject_ids):
        for period in periods:
            goals: list[Goal] = []
            for metric in METRICS:
                if metric not in metrics:
                    continue
                own = rows.get((subject_id, metric, period.key))
                parts = [rows.get((subject_id, metric, key)) for key in months[period.key]]
                if own is None and parts and all(parts):
                    own = _months_goal(subject_type, subject_id, metric, period.key, [p for p in parts if p])
                if own is not None:
                    goals.append(own)
            if goals:
                found[(subject_id, period.key)] = goals
    return found


def _months_goal(subject_type: str, subject_id: str, metric: str, period_key: str, parts: list[Goal]) -> Goal:
    total = sum((g.target for g in parts), Decimal(0))
    target = total if metric in ADDITIVE_METRICS else (total / len(parts)).quantize(RATIO, ROUND_HALF_UP)
    return Goal(
        id=f"{MONTHS_GOAL}{metric}:{subject_id}:{period_key}",
        subject_type=subject_type,
        subject_id=subject_id,
        metric=metric,
        period=period_key,
        target=target,
        created_by=parts[0].created_by,
    )


def progress_for(
    session: Session,
    actor: Actor,
    now: datetime,
    subject_type: str | None = None,
    subject_id: str | None = None,
    period: str | None = None,
) -> list[GoalProgress]:
    """One object per metric with a goal for the subject and period (default: the caller, this month).

    A subject outside the caller's view answers NotFound, like one that does not exist: a unit the caller
    manages or belongs to, themselves, or a person they manage.
    """
    query = validate(_given(subject_type=subject_type, subject_id=subject_id, period=period), PROGRESS_QUERY)
    kind = query.get("subject_type", "user")
    if "subject_id" not in query and kind == "unit":
        raise InvalidInput.one("subject_id", "required")
    target_id = query.get("subject_id", actor.id)
    if kind == "unit":
        zone = ZoneInfo(get_unit(session, actor, target_id, manage=False).timezone)
    elif target_id == actor.id:
        zone = ZoneInfo(actor.timezone)
    else:
        zone = ZoneInfo(get_user(session, actor, target_id).timezone)
    period_key = query.get("period") or period_containing("month", now.astimezone(zone).date()).key
    goals = goals_of_period(session, kind, target_id, period_key)
    computed = compute(session, goals, now)
    return [
        GoalProgress(
            id=progress_id(g.subject_type, g.subject_id, g.metric, g.period),
            subject_type=g.subject_type,
            subject_id=g.subject_id,
            period=g.period,
            # A quarter's goal made of its months' is not stored: it has no id of its own.
            goal_id=None if g.id.startswith(MONTHS_GOAL) else g.id,
            as_of=wire(now),
            **msgspec.structs.asdict(figures_public(computed[g.id])),
        )
        for g in goals
        if g.id in computed
    ]


def leaderboard(
    session: Session,
    actor: Actor,
    now: datetime,
    unit_id: str | None = None,
    metric: str | None = None,
    period: str | None = None,
) -> list[LeaderboardRow]:
    """The people of a unit (its whole subtree) who have a goal for the metric and period, ranked by
    attainment of their own target; equal attainments share a rank (1, 1, 3); none measured rank last.

    Members of the unit and those who manage it may look; anyone else gets NotFound.
    """
    query = validate(_given(unit_id=unit_id, metric=metric, period=period), LEADERBOARD_QUERY)
    unit = get_unit(session, actor, query.get("unit_id", actor.unit_id), manage=False)
    metric_name = query.get("metric", "revenue")
    period_key = (
        query.get("period") or period_containing("month", now.astimezone(ZoneInfo(unit.timezone)).date()).key
    )
    people = (
        select(User.id)
        .join(Unit, col(Unit.id) == User.unit_id)
        .where(col(Unit.path).startswith(unit.path, autoescape=True))
    )
    goals = list(
        session.scalars(
            select(Goal).where(
                Goal.subject_type == "user",
                col(Goal.subject_id).in_(people),
                Goal.metric == metric_name,
                Goal.period == period_key,
            )
        )
    )
    computed = compute(session, goals, now)
    names = dict(
        session.execute(select(User.id, User.name).where(col(User.id).in_([g.subject_id for g in goals]))).all()
    )
    units = dict(
        session.execute(select(User.id, User.unit_id).where(col(User.id).in_([g.subject_id for g in goals]))).all()
    )
    rows = [(computed[g.id].attainment, names.get(g.subject_id, ""), g) for g in goals if g.id in computed]
    rows.sort(key=lambda r: (r[0] is None, -(r[0] or 0), r[1]))
    board: list[LeaderboardRow] = []
    for index, (attainment, name, goal) in enumerate(rows):
        tied = index and rows[index - 1][0] == attainment
        rank = board[-1].rank if tied else index + 1
        board.append(
            LeaderboardRow(
                rank=rank,
                user_id=goal.subject_id,
                name=name,
                unit_id=units.get(goal.subject_id),
                metric=metric_name,
                period=period_key,
                attainment=figures_public(computed[goal.id]).attainment,
                is_me=goal.subject_id == actor.id,
            )
        )
    return board


# --- working-day calendars: reading, and an admin's overrides ---------------------------------------------

MAX_OVERRIDES_PER_REQUEST = 400


def calendar_public(
    session: Session, actor: Actor, unit_id: str, year: int | None, now: datetime
) -> CalendarPublic:
    """A unit's year: how many working days, and every day that is not a plain Monday-to-Friday day, with
    where its status comes from (`override` of this unit, `inherited` from a unit above, `official`, or
    `estimated`); and whether the year's public holidays are `official` or `estimated` (`holidays`), from
    which source (`holidays_source`: `entered`, `chinesecalendar` or `estimate`)."""
    unit = get_unit(session, actor, unit_id, manage=False)
    if year is None:
        year = now.astimezone(ZoneInfo(unit.timezone)).year
    if not 2000 <= year <= 2100:
        raise InvalidInput.one("year", "out_of_range", min=2000, max=2100)
    calendar = calendar_for_unit(session, unit)
    holidays = holidays_status(calendar, year)
    ancestors = _ancestors(unit.path)
    overrides: dict[date, tuple[bool, str]] = {}
    rows = session.scalars(
        select(CalendarDay).where(
            col(CalendarDay.unit_id).in_(ancestors),
            col(CalendarDay.day) >= date(year, 1, 1),
            col(CalendarDay.day) < date(year + 1, 1, 1),
        )
    )
    for row in sorted(rows, key=lambda r: ancestors.index(r.unit_id)):
        overrides[row.day] = (row.working, row.unit_id)
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        working = calendar.is_working_day(day)
        if day in overrides:
            source = "override" if overrides[day][1] == unit.id else "inherited"
            days.append(
                CalendarDayPublic(date=day.isoformat(), working=working, source=source, unit_id=overrides[day][1])
            )
        elif working != (day.weekday() < 5):
            days.append(CalendarDayPublic(date=day.isoformat(), working=working, source=holidays, unit_id=None))
        day += timedelta(days=1)
    return CalendarPublic(
        unit_id=unit.id,
        year=year,
        working_days=calendar.working_days(date(year, 1, 1), date(year + 1, 1, 1)),
        holidays=holidays,
        holidays_source=calendar.holiday_source(year),
        days=days,
    )


def holidays_status(calendar: WorkCalendar, year: int) -> HolidayStatus:
    """`official` when the year's public holidays were announced (entered, or in chinesecalendar), else
    `estimated`: then pace and forecasts may move once the notice is entered."""
    return "official" if calendar.holiday_source(year) in ("entered", "chinesecalendar") else "estimated"


def set_calendar_days(session: Session, actor: Actor, unit_id: str, data: Any, now: datetime) -> None:
    """An admin's overrides for a unit and everything below it: `{days: {"2026-10-10": true|false|null}}`
    (true: a working day, false: a day off, null: back to the inherited rule)."""
    unit = get_unit(session, actor, unit_id)
    if not actor.is_admin:
        raise Forbidden()
    if not isinstance(data, dict) or not isinstance(data.get("days"), dict) or set(data) != {"days"}:
        raise InvalidInput.one("days", "wrong_type", expected="object")
    if len(data["days"]) > MAX_OVERRIDES_PER_REQUEST:
        raise InvalidInput.one("days", "too_long", max=MAX_OVERRIDES_PER_REQUEST)
    errors: list[FieldError] = []
    try:
        flags = validate(data["days"], {key: Flag() for key in data["days"]}, prefix="days.")
    except InvalidInput as exc:
        errors.extend(exc.errors)
    dates: dict[str, date] = {}
    for key in data["days"]:
        try:
            dates[key] = validate({key: key}, {key: Day()}, prefix="days.")[key]
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors=errors)
    changed: list[date] = []
    for key, working in flags.items():
        day = dates[key]
        row = session.get(CalendarDay, (unit.id, day))
        if working is None:
            if row is not None:
                session.delete(row)
                changed.append(day)
        elif row is None:
            session.add(
                CalendarDay(unit_id=unit.id, day=day, working=working, updated_by=actor.id, updated_at=now)
            )
            changed.append(day)
        elif row.working != working:
            row.working, row.updated_by, row.updated_at = working, actor.id, now
            changed.append(day)
    if changed:
        calendar_changed(session, unit, changed, now)


# Derived, never written by phones (SYNC.md rule 12).
declare("progress", Progress, progress_public, by_subject, ages=lambda progress: period_ends_at(progress.period))
