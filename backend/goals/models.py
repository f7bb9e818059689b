"""The goal table: a SMART target for one subject, metric and period."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import Fixed, UTCDateTime, new_id, utcnow

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
    created_by: str = Field(foreign_key="user.id", max_length=36)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
