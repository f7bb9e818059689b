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
    # Where the rep was at check-out (WGS-84, as the browser gives it).
    check_out_lat: float | None = None
    check_out_lon: float | None = None
    check_out_accuracy_m: float | None = None
    # The attachment ids of the visit's photos, chosen by the phone (at most 9); null when it has none.
    photos: list[str] | None = Field(default=None, sa_type=JSON)
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
    # Server-set: which of `photos` have arrived, and what the evidence says (far, poor_accuracy,
    # impossible_travel, repeated_position); null when none.
    photos_arrived: list[str] | None = Field(default=None, sa_type=JSON)
    flags: list[str] | None = Field(default=None, sa_type=JSON)
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


class Attachment(SQLModel, table=True):
    """A photo of a visit: its row exists from the moment a visit lists its id (the phone picks the id), and
    its bytes arrive later (`arrived_at`), kept in the storage module under the id, never in the database."""

    id: str = Field(primary_key=True, max_length=36)
    visit_id: str = Field(foreign_key="visit.id", index=True, max_length=36)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    # The hash of the bytes as received (an upload of the same bytes again answers 200, other bytes 409).
    sha256: str | None = Field(default=None, max_length=64)
    content_type: str | None = Field(default=None, max_length=64)
    size_bytes: int | None = None
    width: int | None = None
    height: int | None = None
    arrived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when no visit lists the id any longer; the worker removes it `attachment_retention_days` later.
    unlisted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_at: datetime = stamped()


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
