"""The notification tables: one message in one user's inbox, the browsers that subscribed to pushes, and
the queue of pushes on their way (one delivery per notification and subscription)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, new_id, stamped


class Notification(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    kind: str = Field(max_length=32)
    # Unique per user: a rule evaluated many times still notifies once.
    dedupe_key: str = Field(unique=True, max_length=200)
    title: str
    body: str
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = stamped()
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    updated_at: datetime = stamped()


class PushSubscription(SQLModel, table=True):
    """One browser's Web Push subscription (what `PushSubscription.toJSON()` gives), for one user.

    The endpoint is unique: it names one browser install, so a second user signing in on the same phone
    takes the subscription over (the phone shows whoever is signed in now).
    """

    __tablename__ = "push_subscription"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    endpoint: str = Field(unique=True, max_length=2048)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    created_at: datetime = stamped()
    updated_at: datetime = stamped()


DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "gone", "expired")


class Delivery(SQLModel, table=True):
    """One notification on its way to one subscription: the worker's queue (backend/notify/delivery.py).

    `pending` rows whose `due_at` has come are claimed (`sending`, with a lease) by one worker at a time;
    a worker that dies mid-send leaves a lease that expires, and the row is claimed again.
    """

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_status_due", "status", "due_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    notification_id: str = Field(foreign_key="notification.id", index=True, max_length=36)
    # None once the subscription is gone (404/410 or unsubscribed); the row stays as the record of it.
    subscription_id: str | None = Field(
        default=None, foreign_key="push_subscription.id", index=True, max_length=36
    )
    # pending | sending | sent | failed | gone | expired
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    # Not to be tried before this instant: creation, the end of quiet hours, a backoff, a Retry-After.
    due_at: datetime = stamped()
    # Who holds a `sending` row, and until when (after which another worker may take it over).
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the push service last answered (HTTP status), or why nothing was sent.
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = stamped()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
