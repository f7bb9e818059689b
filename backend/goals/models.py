"""Goal tables: a SMART target for one subject, metric and period; its history; seasonality profiles."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import Fixed, new_id, stamped

METRICS = ("revenue", "visits", "conversion", "satisfaction", "new_customers")
ADDITIVE_METRICS = ("revenue", "visits", "new_customers")
SUBJECT_TYPES = ("unit", "user")


class Goal(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "metric", "period"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subject_type: str = Field(max_length=8)
    subject_id: str = Field(index=True, max_length=36)
    metric: str = Field(max_length=16)
    period: str = Field(max_length=16, index=True)
    # Four decimals: revenue in yuan, counts, and ratios (conversion 0.35, satisfaction 4.2) alike.
    target: Decimal = Field(sa_type=Fixed(4))
    parent_id: str | None = Field(default=None, foreign_key="goal.id", index=True, max_length=36)
    # What is allocated to other subjects' child goals (additive metrics); `target - allocated` is the
    # unallocated gap every screen shows. Kept with the writes that change a child, so it is never stale.
    allocated: Decimal = Field(default=Decimal(0), sa_type=Fixed(4), sa_column_kwargs={"server_default": "0"})
    created_by: str = Field(foreign_key="user.id", max_length=36)
    version: int = 1
    created_at: datetime = stamped()
    updated_at: datetime = stamped()


class GoalChange(SQLModel, table=True):
    """One change of a goal's target: who, when, from what (None: the goal was created), to what."""

    __tablename__ = "goal_change"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    goal_id: str = Field(foreign_key="goal.id", index=True, max_length=36)
    changed_by: str = Field(foreign_key="user.id", max_length=36)
    changed_at: datetime = stamped()
    old_target: Decimal | None = Field(default=None, sa_type=Fixed(4))
    new_target: Decimal = Field(sa_type=Fixed(4))
    # create | update | allocate | split: which operation made the change.
    via: str = Field(max_length=16)


class Seasonality(SQLModel, table=True):
    """A unit's seasonality profile: twelve month weights, inherited by every unit below without one."""

    __tablename__ = "seasonality"

    unit_id: str = Field(foreign_key="unit.id", primary_key=True, max_length=36)
    # Twelve non-negative decimal strings, January first; not all zero.
    weights: list[str] = Field(default_factory=list, sa_type=JSON)
    updated_by: str = Field(foreign_key="user.id", max_length=36)
    updated_at: datetime = stamped()
