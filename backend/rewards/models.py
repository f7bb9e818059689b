"""Rewards tables: commission plans and who they apply to, issued statements, and earned badges."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import Fixed, new_id, stamped

PLAN_MODES = ("marginal", "whole")
BADGE_KINDS = ("first_order", "month_100", "visit_streak")


class CommissionPlan(SQLModel, table=True):
    """Tiers of commission on revenue attainment, owned by (and managed in) one unit.

    `tiers` is a list of `{"up_to_attainment": "0.8" | null, "rate": "0.03"}` in ascending order, the last
    one open (null). `marginal` pays each tier's rate on the revenue inside that tier's band; `whole` pays
    the rate of the tier the attainment falls in on the whole revenue. A tier includes its upper bound:
    exactly 80 % attainment is still in "up to 80 %".
    """

    __tablename__ = "commission_plan"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=36)
    mode: str = Field(max_length=16)
    tiers: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_by: str = Field(foreign_key="user.id", max_length=36)
    created_at: datetime = stamped()
    updated_at: datetime = stamped()


class CommissionAssignment(SQLModel, table=True):
    """A plan applied to a unit (and inherited by everyone below it) or to one rep (wins over units)."""

    __tablename__ = "commission_assignment"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    plan_id: str = Field(foreign_key="commission_plan.id", index=True, max_length=36)
    subject_type: str = Field(max_length=8)
    subject_id: str = Field(max_length=36)
    assigned_by: str = Field(foreign_key="user.id", max_length=36)
    assigned_at: datetime = stamped()


class Statement(SQLModel, table=True):
    """An issued commission statement: what was paid to one rep for one period, and why, line by line.

    Kept as issued (plan, target, revenue, the won deals counted, every line) so later statements claw back
    against what was actually paid, whatever happens to plans, goals or deals afterwards.
    """

    __tablename__ = "commission_statement"
    __table_args__ = (UniqueConstraint("rep_id", "period"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    rep_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    period: str = Field(max_length=16)
    plan_id: str | None = Field(default=None, max_length=36)
    # The plan as it stood when issued: {name, mode, tiers}.
    plan: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    target: Decimal = Field(sa_type=Fixed(4))
    revenue: Decimal = Field(sa_type=Fixed(2))
    commission: Decimal = Field(sa_type=Fixed(2))
    clawback: Decimal = Field(sa_type=Fixed(2))
    total: Decimal = Field(sa_type=Fixed(2))
    # The won opportunities counted in `revenue`: [{id, title, amount}].
    deals: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    issued_by: str = Field(foreign_key="user.id", max_length=36)
    issued_at: datetime = stamped()


class Badge(SQLModel, table=True):
    """A badge a rep earned, once per (rep, kind, key): `key` is "" for one-off badges, the period for a
    100 % month, the streak length for a visit streak."""

    __tablename__ = "badge"
    __table_args__ = (UniqueConstraint("rep_id", "kind", "key"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    rep_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    kind: str = Field(max_length=32)
    key: str = Field(default="", max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    earned_at: datetime = stamped()
    version: int = 1
    updated_at: datetime = stamped()
