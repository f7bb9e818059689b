"""The email digest tables: who asked for it (`email_digest_choice`) and the queue of digests, one per user
and local day (`email_digest`), sent by the worker (backend/digest/delivery.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, new_id, stamped


class EmailDigestChoice(SQLModel, table=True):
    """A user's choice: the digest is opt-in, so a user without a row gets none."""

    __tablename__ = "email_digest_choice"

    user_id: str = Field(foreign_key="user.id", primary_key=True, max_length=36)
    enabled: bool = False
    updated_at: datetime = stamped()


class EmailDigest(SQLModel, table=True):
    """One user's digest of one local day, written when their morning comes and sent once."""

    __tablename__ = "email_digest"
    __table_args__ = (
        UniqueConstraint("user_id", "day", name="uq_email_digest_user_day"),
        Index("ix_email_digest_status_due", "status", "due_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    day: date
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    text_body: str
    html_body: str
    # pending | sending | sent | failed
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    due_at: datetime = stamped()
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = stamped()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
