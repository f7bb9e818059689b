"""KPI API: progress of a subject, the leaderboard of a unit, and working-day calendars."""

from __future__ import annotations

from typing import Any

from litestar import get, patch, put
from litestar.params import FromPath, FromQuery, JSONBody

from backend.http import DB, CurrentActor, Now
from backend.kpi import rankings, schedules, service
from backend.kpi.schemas import CalendarPublic, GoalProgress, OfficialSchedulePublic, UnitLeaderboardRow
from backend.rewards.leaderboard import public_leaderboard
from backend.rewards.schemas import LeaderboardEntry


@get("/progress", sync_to_thread=True)
def progress(
    db: DB,
    actor: CurrentActor,
    now: Now,
    subject_type: FromQuery[str | None] = None,
    subject_id: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
) -> list[GoalProgress]:
    """One object per metric with a goal: target, actual, attainment, expected_by_today, pace, forecast,
    needed_per_working_day, working_days_left, as_of. Defaults: the caller, the current month."""
    return service.progress_for(db, actor, now, subject_type, subject_id, period)


@get("/leaderboard", sync_to_thread=True)
def leaderboard(
    db: DB,
    actor: CurrentActor,
    now: Now,
    unit_id: FromQuery[str | None] = None,
    metric: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
) -> list[LeaderboardEntry]:
    """The unit's people ranked by attainment of their own target, each with their badges. Defaults: own
    unit, revenue, this month.

    Reps on an open improvement plan are out of the ranks other reps see (FIELDGOAL_HIDE_REPS_ON_PLAN_FROM_RANKS).
    """
    return public_leaderboard(db, actor, now, unit_id, metric, period)


@get("/leaderboard/units", sync_to_thread=True)
def unit_leaderboard(
    db: DB,
    actor: CurrentActor,
    now: Now,
    unit_id: FromQuery[str | None] = None,
    metric: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
    kind: FromQuery[str | None] = None,
) -> list[UnitLeaderboardRow]:
    """Leads and managers: the units directly below a unit (or, with kind=team|region, every unit of that
    kind below it) ranked by attainment of their own goals; units without a goal last, unranked. Defaults:
    own unit, revenue, this month."""
    return rankings.unit_leaderboard(db, actor, now, unit_id, metric, period, kind)


@get("/calendars/{unit_id:str}", sync_to_thread=True)
def calendar(
    db: DB, actor: CurrentActor, now: Now, unit_id: FromPath[str], year: FromQuery[int | None] = None
) -> CalendarPublic:
    """A unit's working days in a year, and every day that departs from Monday to Friday, with its source."""
    return service.calendar_public(db, actor, unit_id, year, now)


@patch("/calendars/{unit_id:str}", sync_to_thread=True)
def override_days(
    db: DB, actor: CurrentActor, now: Now, unit_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> CalendarPublic:
    """Admin: {days: {"2026-10-10": true|false|null}} for the unit and everything below it."""
    service.set_calendar_days(db, actor, unit_id, data, now)
    return service.calendar_public(db, actor, unit_id, None, now)


@get("/calendars/official/{year:int}", sync_to_thread=True)
def official_schedule(db: DB, actor: CurrentActor, year: FromPath[int]) -> OfficialSchedulePublic:
    """China's days off and make-up workdays in a year, and whether they are `official` or `estimated`."""
    return schedules.official_schedule(db, year)


@put("/calendars/official/{year:int}", sync_to_thread=True)
def enter_official_schedule(
    db: DB, actor: CurrentActor, now: Now, year: FromPath[int], data: JSONBody[dict[str, Any]]
) -> OfficialSchedulePublic:
    """Admin: {days_off: ["YYYY-MM-DD", …], make_up_workdays: [...]}, the State Council's notice for the year,
    replacing its estimated (or packaged) holidays for every unit."""
    return schedules.enter_official_schedule(db, actor, year, data, now)


ROUTES = [
    progress,
    leaderboard,
    unit_leaderboard,
    calendar,
    override_days,
    official_schedule,
    enter_official_schedule,
]
