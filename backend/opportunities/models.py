"""The opportunity table (one deal moving through the funnel) and its stage history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from backend.db import Fixed, UTCDateTime, new_id, stamped

STAGES = ("lead", "qualified", "proposal", "negotiation", "won", "lost")
CLOSED_STAGES = ("won", "lost")


class Opportunity(SQLModel, table=True):
    # For the funnel: the open deals of some owners by stage (created_at, below: the deals created in a period).
    __table_args__ = (Index("ix_opportunity_stage_owner", "stage", "owner_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    title: str | None = None
    amount: Decimal | None = Field(default=None, sa_type=Fixed(2))
    expected_close_on: date | None = None
    stage: str = Field(default="lead", max_length=16)
    stage_changed_at: datetime = stamped()
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Why it was won or lost, in the rep's words; cleared when the deal is reopened.
    close_reason: str | None = Field(default=None, max_length=200)
    version: int = 1
    field_versions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = stamped(index=True)
    updated_at: datetime = stamped()
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StageChange(SQLModel, table=True):
    """One move of an opportunity between stages, written in the transaction that moved it.

    The funnel's conversion between stages and its days in stage are read from these rows, never inferred
    from an opportunity's present stage. `from_stage` is null for the row that opens a deal at `lead`.
    """

    __tablename__ = "opportunity_stage_change"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    opportunity_id: str = Field(foreign_key="opportunity.id", index=True, max_length=36)
    from_stage: str | None = Field(default=None, max_length=16)
    to_stage: str = Field(max_length=16)
    # The opportunity's version the move made: the order of its moves, whatever times phones state.
    version: int
    # When it happened as the rep states it (a closing's `at`), and when the server learned of it.
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    recorded_at: datetime = stamped()
    by_id: str | None = Field(default=None, foreign_key="user.id", max_length=36)
