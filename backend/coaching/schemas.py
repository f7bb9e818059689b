"""The coaching shapes on the wire: reviews (HTTP and sync alike) with their scorecard, the scorecard's
dimensions, improvement plans (the synced record, and the HTTP detail measured now) and their actions.

Dates and times are ISO strings; weights, scores and minimum attainments decimal strings; attainments
fractions (1.0 is exactly on target).
"""

from __future__ import annotations

import msgspec

from backend.kpi.schemas import KpiFigures


class DimensionPublic(msgspec.Struct):
    """One line of a unit's scorecard, as configured (POST /review-dimensions)."""

    id: str
    unit_id: str
    key: str
    source: str  # kpi | rating
    metric: str | None
    name_en: str
    name_zh: str
    weight: str
    active: bool


class ScorecardDimension(msgspec.Struct):
    """A dimension as a scorecard uses it: the effective set of a unit, or the copy a review keeps."""

    key: str
    source: str  # kpi | rating
    metric: str | None
    name_en: str
    name_zh: str
    weight: str


class ScorecardLine(msgspec.Struct):
    key: str
    source: str
    metric: str | None
    weight: str
    # The frozen attainment (kpi) or the rating 1–5 (rating); null while unmeasured or unrated.
    value: float | None
    score: str | None


class Scorecard(msgspec.Struct):
    lines: list[ScorecardLine]
    # The weighted total of the lines that have a score; null while none has.
    total: str | None
    # Every rating given.
    complete: bool


class ReviewFigures(KpiFigures):
    """A goal's figures as GET /progress showed them when the review was opened."""

    id: str
    subject_type: str
    subject_id: str
    period: str
    goal_id: str | None


class ReviewPublic(msgspec.Struct):
    id: str
    rep_id: str
    reviewer_id: str
    period: str
    status: str  # draft | shared | closed
    figures: list[ReviewFigures]
    figures_as_of: str
    dimensions: list[ScorecardDimension]
    # Ratings (1–5) by dimension key.
    ratings: dict[str, int]
    comments: str | None
    scorecard: Scorecard
    score: str | None
    shared_at: str | None
    acknowledged_at: str | None
    rep_comment: str | None
    closed_at: str | None
    closed_by: str | None
    version: int
    updated_at: str


class PeriodAttainment(msgspec.Struct):
    period: str
    attainment: float


class SuggestionPublic(msgspec.Struct):
    """A rep under the threshold in two months running."""

    rep_id: str
    name: str
    metric: str
    threshold: float
    periods: list[PeriodAttainment]


class PlanTrigger(msgspec.Struct):
    """The suggestion a plan was opened from; empty (`{}`) when it was opened without one."""

    rep_id: str | msgspec.UnsetType = msgspec.UNSET
    name: str | msgspec.UnsetType = msgspec.UNSET
    metric: str | msgspec.UnsetType = msgspec.UNSET
    threshold: float | msgspec.UnsetType = msgspec.UNSET
    periods: list[PeriodAttainment] | msgspec.UnsetType = msgspec.UNSET


class ExitCriterion(msgspec.Struct):
    """Met when the KPI engine's attainment of `metric` in `period` reaches `min_attainment`."""

    metric: str
    period: str
    min_attainment: str


class MeasuredCriterion(msgspec.Struct):
    """An exit criterion with the KPI engine's attainment now (null: nothing measured yet)."""

    metric: str
    period: str
    min_attainment: str
    attainment: float | None
    met: bool


class PlanPublic(msgspec.Struct):
    """A plan on the wire through sync: its criteria as set (the phone measures them on its progress)."""

    id: str
    rep_id: str
    opened_by: str
    status: str  # open | closed
    goal: str | None
    trigger: PlanTrigger
    starts_on: str
    ends_on: str
    exit_criteria: list[ExitCriterion]
    outcome: str | None
    outcome_note: str | None
    closed_at: str | None
    closed_by: str | None
    version: int
    updated_at: str


class ActionPublic(msgspec.Struct):
    id: str
    plan_id: str
    kind: str  # coaching | training | role_change
    title: str
    due_on: str
    done_on: str | None
    notes: str | None
    created_by: str
    updated_at: str


class PlanDetail(msgspec.Struct):
    """A plan over HTTP: with its actions and its exit criteria measured now."""

    id: str
    rep_id: str
    opened_by: str
    status: str
    goal: str | None
    trigger: PlanTrigger
    starts_on: str
    ends_on: str
    exit_criteria: list[MeasuredCriterion]
    outcome: str | None
    outcome_note: str | None
    closed_at: str | None
    closed_by: str | None
    version: int
    updated_at: str
    exit_criteria_met: bool
    actions: list[ActionPublic]
