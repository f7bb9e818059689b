"""The opportunity table: one deal moving through the funnel."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from backend.db import Fixed, UTCDateTime, new_id, utcnow

STAGES = ("lead", "qualified", "proposal", "negotiation", "won", "lost")
CLOSED_STAGES = ("won", "lost")


class Opportunity(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    title: str | None = None
    amount: Decimal | None = Field(default=None, sa_type=Fixed(2))
    expected_close_on: date | None = None
    stage: str = Field(default="lead", max_length=16)
    stage_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    version: int = 1
    field_versions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
