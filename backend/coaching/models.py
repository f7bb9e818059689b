"""Coaching tables: reviews with their frozen figures and ratings, the scorecard's dimensions, improvement plans.

A review copies what it was judged on (the KPI figures, the dimensions and their weights) into itself, so a
later approval or a re-weighted dimension never changes a review already written.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import Fixed, UTCDateTime, new_id, stamped

REVIEW_STATUSES = ("draft", "shared", "closed")
DIMENSION_SOURCES = ("kpi", "rating")
PLAN_STATUSES = ("open", "closed")
PLAN_OUTCOMES = ("met", "not_met", "role_change", "left")
ACTION_KINDS = ("coaching", "training", "role_change")


class ReviewDimension(SQLModel, table=True):
    """One line of the scorecard, configured for a unit and everything below it.

    `source` is `kpi` (scored from the frozen attainment of `metric`) or `rating` (the lead rates it 1–5).
    The nearest unit up the tree with any active dimension decides the whole set (see coaching.service).
    """

    __tablename__ = "review_dimension"
    __table_args__ = (UniqueConstraint("unit_id", "key"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=36)
    key: str = Field(max_length=32)
    source: str = Field(max_length=8)
    metric: str | None = Field(default=None, max_length=16)
    name_en: str = Field(max_length=100)
    name_zh: str = Field(max_length=100)
    weight: Decimal = Field(sa_type=Fixed(4))
    active: bool = True
    updated_by: str = Field(foreign_key="user.id", max_length=36)
    updated_at: datetime = stamped()


class Review(SQLModel, table=True):
    """A rep's monthly or quarterly review: draft (the lead writes) → shared (the rep reads, acknowledges) →
    closed (the period is locked for the rep's visits)."""

    __table_args__ = (UniqueConstraint("rep_id", "period"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    rep_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    reviewer_id: str = Field(foreign_key="user.id", max_length=36)
    period: str = Field(max_length=16)
    status: str = Field(default="draft", max_length=16)
    # The KPI figures as GET /progress showed them when the review was opened, one object per metric.
    figures: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    figures_as_of: datetime = Field(sa_type=UTCDateTime)
    # The scorecard's dimensions (key, source, metric, names, weight) copied when the review was opened.
    dimensions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    ratings: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    comments: str | None = None
    score: Decimal | None = Field(default=None, sa_type=Fixed(4))  # the weighted total, kept when closed
    shared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rep_comment: str | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, foreign_key="user.id", max_length=36)
    version: int = 1
    created_at: datetime = stamped()
    updated_at: datetime = stamped()


class ImprovementPlan(SQLModel, table=True):
    """A plan for a rep who is behind: actions, and exit criteria the KPI engine measures (never typed in)."""

    __tablename__ = "improvement_plan"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    rep_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    opened_by: str = Field(foreign_key="user.id", max_length=36)
    status: str = Field(default="open", max_length=8, index=True)
    goal: str | None = None  # what the plan is for, in the lead's words
    # Why it was opened: the suggestion it came from ({metric, threshold, periods: [{period, attainment}]}).
    trigger: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    starts_on: date
    ends_on: date
    # [{metric, period, min_attainment}]: met when the KPI engine's attainment reaches min_attainment.
    exit_criteria: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    outcome: str | None = Field(default=None, max_length=16)
    outcome_note: str | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, foreign_key="user.id", max_length=36)
    version: int = 1
    created_at: datetime = stamped()
    updated_at: datetime = stamped()


class PlanAction(SQLModel, table=True):
    """One step of a plan: a 1:1 coaching, a training, a role change; with its dates and the coach's notes."""

    __tablename__ = "plan_action"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    plan_id: str = Field(foreign_key="improvement_plan.id", index=True, max_length=36)
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    due_on: date
    done_on: date | None = None
    notes: str | None = None  # coaching notes
    created_by: str = Field(foreign_key="user.id", max_length=36)
    created_at: datetime = stamped()
    updated_at: datetime = stamped()
