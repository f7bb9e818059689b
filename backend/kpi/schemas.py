"""The KPI shapes on the wire: a goal's figures (on GET /progress, in the synced progress record, frozen
in a review), the leaderboard's rows, and the working-day calendars.

Amounts and counts are decimal strings (yuan to the cent, counts whole, derived figures to two places);
attainment and pace are fractions (1.0 is exactly on target). A figure nothing measures yet is null.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from backend.kpi.workdays import HolidaySource

HolidayStatus = Literal["official", "estimated"]


class KpiFigures(msgspec.Struct):
    """One subject's standing on one metric in one period (backend/kpi/engine.py defines each figure)."""

    metric: str
    target: str
    actual: str | None
    attainment: float | None
    expected_by_today: str | None
    pace: float | None
    forecast: str | None
    needed_per_working_day: str | None
    working_days_left: int
    working_days_total: int


class GoalProgress(KpiFigures):
    """A goal's figures as GET /progress computes them now."""

    id: str
    subject_type: str
    subject_id: str
    period: str
    # null for a quarter's or a year's goal made of its months' goals (never stored, so without an id).
    goal_id: str | None
    as_of: str


class ProgressPublic(KpiFigures):
    """The synced progress record of a goal: its figures as last stored, with the sync fields."""

    id: str
    subject_type: str
    subject_id: str
    period: str
    as_of: str
    version: int
    updated_at: str


class LeaderboardRow(msgspec.Struct):
    """One person on a unit's leaderboard, ranked by attainment of their own target."""

    # Equal attainments share a rank (1, 1, 3); null for a rep on an improvement plan seeing their own row.
    rank: int | None
    user_id: str
    name: str
    unit_id: str | None
    metric: str
    period: str
    attainment: float | None
    is_me: bool


class UnitLeaderboardRow(msgspec.Struct):
    """One unit (a team, a region) ranked by attainment of the unit's own goal for the metric and period."""

    # Equal attainments share a rank (1, 1, 3); null for a unit without a goal (listed last).
    rank: int | None
    unit_id: str
    name: str
    kind: str
    parent_id: str | None
    metric: str
    period: str
    # null without a goal (target, actual) or while nothing is measured (a ratio: no deal closed yet).
    target: str | None
    actual: str | None
    attainment: float | None
    pace: float | None
    # The caller belongs to this unit or to one below it.
    is_mine: bool


class CalendarDayPublic(msgspec.Struct):
    """A day that is not a plain Monday-to-Friday day, or is set by an override."""

    date: str
    working: bool
    # override (of this unit) | inherited (from `unit_id`, above) | official | estimated
    source: str
    unit_id: str | None


class CalendarPublic(msgspec.Struct):
    """A unit's working days in one year."""

    unit_id: str
    year: int
    working_days: int
    holidays: HolidayStatus
    holidays_source: HolidaySource
    days: list[CalendarDayPublic]


class OfficialSchedulePublic(msgspec.Struct):
    """China's days off and make-up workdays of one year, as every unit's calendar takes them."""

    year: int
    holidays: HolidayStatus
    holidays_source: HolidaySource
    days_off: list[str]
    make_up_workdays: list[str]
    # Who entered the State Council's notice, and when; null while the year is packaged or estimated.
    entered_by: str | None
    entered_at: str | None
