"""Visit logs, and amendments proposed to approved visits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, new_id, stamped

VISIT_STATUSES = ("draft", "submitted", "approved", "rejected")
OUTCOMES = ("follow_up", "interested", "not_interested", "ordered")
AMENDMENT_STATUSES = ("pending", "accepted", "refused")


class Visit(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    # Looked up by rep through `ix_visit_rep_check_in` (rep first; kpi/models.py): a second index on the rep
    # alone was one more B-tree for every visit written and served no query the pair does not.
    rep_id: str = Field(foreign_key="user.id", max_length=36)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    opportunity_id: str | None = Field(default=None, foreign_key="opportunity.id", max_length=36)
    check_in_at: datetime = Field(sa_type=UTCDateTime, index=True)
    # The offset the phone sent with check_in_at, in minutes: the rep's wall-clock is evidence too.
    check_in_offset_min: int = 0
    check_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    purpose: str | None = None
    outcome: str | None = Field(default=None, max_length=32)
    satisfaction: int | None = None
    notes: str | None = None
    next_follow_up_on: date | None = None
    status: str = Field(default="draft", max_length=16, index=True)
    review_comment: str | None = None
    reviewed_by: str | None = Field(default=None, foreign_key="user.id", max_length=36)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    distance_m: float | None = None
    received_at: datetime = stamped()
    version: int = 1
    field_versions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = stamped()
    updated_at: datetime = stamped()
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Amendment(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    visit_id: str = Field(foreign_key="visit.id", index=True, max_length=36)
    # The change the rep proposed: field -> new value, as sent on the wire.
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    proposed_by: str = Field(foreign_key="user.id", index=True, max_length=36)
    status: str = Field(default="pending", max_length=16)
    decided_by: str | None = Field(default=None, foreign_key="user.id", max_length=36)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    created_at: datetime = stamped()
    updated_at: datetime = stamped()


class PeriodLock(SQLModel, table=True):
    """A closed period of a unit (and everything below it), or of one rep: its visits are read-only.

    [coaching] With `rep_id` the lock is the rep's alone (a closed review, backend/coaching): it follows the rep
    wherever they move, and `unit_id` only records the team they were in when it was closed.
    """

    __tablename__ = "period_lock"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=36)
    period: str = Field(max_length=16)
    rep_id: str | None = Field(default=None, foreign_key="user.id", index=True, max_length=36)
    locked_by: str = Field(foreign_key="user.id", max_length=36)
    locked_at: datetime = stamped()
