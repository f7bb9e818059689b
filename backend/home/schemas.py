"""The home screens' shapes on the wire: a lead's team (GET /home/team) and a manager's units (GET /home/units).

Figures are the KPI engine's (backend/kpi/engine.py): amounts and counts as decimal strings, attainment and
pace as fractions. What is still needed per working day is what a person must do each day to reach the
target: a count rounded up to a whole ("3", never "2.5" visits), money to the cent (rounded up too).
"""

from __future__ import annotations

import msgspec


class Approvals(msgspec.Struct):
    """What waits for the lead: the team's submitted visits (the oldest check-in first) and amendments."""

    visits: int
    # The visit waiting longest, by its check-in; null when none waits.
    oldest_visit_id: str | None
    oldest_check_in_at: str | None
    amendments: int


class BehindPace(msgspec.Struct):
    """A rep (or a unit) behind pace on one goal: below `behind_below` of where they should be today."""

    subject_id: str
    name: str
    metric: str
    period: str
    target: str
    actual: str | None
    attainment: float | None
    expected_by_today: str | None
    pace: float | None
    # Each remaining working day, to reach the target: a whole count (rounded up) or yuan to the cent;
    # null once no working day is left.
    needed_per_working_day: str | None
    working_days_left: int


class VisitsToday(msgspec.Struct):
    """One rep's visits checked in on the team's today: every one the server holds, and those approved."""

    user_id: str
    name: str
    visits: int
    approved: int


class NotSynced(msgspec.Struct):
    """A rep none of whose phones has synced in the last two days; `last_seen_at` null: never."""

    user_id: str
    name: str
    last_seen_at: str | None


class TeamHome(msgspec.Struct):
    """A lead's morning: approvals waiting, who is behind, today's visits, whose phone has gone quiet."""

    unit_id: str
    name: str
    timezone: str
    today: str  # the team's local date
    period: str
    as_of: str
    # Below this pace (1 - FIELDGOAL_BEHIND_PACE_THRESHOLD / 100) a goal counts as behind.
    behind_below: float
    not_synced_days: int
    approvals: Approvals
    behind: list[BehindPace]
    visits_today: list[VisitsToday]
    not_synced: list[NotSynced]


class TrendPoint(msgspec.Struct):
    period: str
    # null: no goal for that period, or nothing measured.
    attainment: float | None


class UnitMetric(msgspec.Struct):
    """A unit's standing on one metric it has a goal for, and its attainment over the last periods."""

    metric: str
    target: str
    actual: str | None
    attainment: float | None
    expected_by_today: str | None
    pace: float | None
    forecast: str | None
    needed_per_working_day: str | None
    working_days_left: int
    at_risk: bool
    # Oldest first, ending with the period asked for.
    trend: list[TrendPoint]


class UnitStanding(msgspec.Struct):
    unit_id: str
    name: str
    kind: str
    metrics: list[UnitMetric]


class UnitsHome(msgspec.Struct):
    """A manager's home: each unit directly below theirs, and those at risk (behind pace), furthest first."""

    unit_id: str
    name: str
    period: str
    as_of: str
    behind_below: float
    units: list[UnitStanding]
    at_risk: list[BehindPace]
