"""The team channel tables: a unit's robots (`team_channel`) and the queue of messages to them
(`channel_message`, one row per event and channel, sent by the worker: backend/channels/delivery.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, new_id, stamped


class TeamChannel(SQLModel, table=True):
    """One group robot of one unit. The webhook URL and the signing secret are stored encrypted
    (backend/channels/crypto.py); `masked_url` is what the API shows."""

    __tablename__ = "team_channel"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=36)
    kind: str = Field(max_length=16)  # wecom | dingtalk | feishu
    url_encrypted: str = Field(max_length=4000)
    masked_url: str = Field(max_length=2100)
    secret_encrypted: str | None = Field(default=None, max_length=1000)
    # DingTalk and Feishu robots may refuse messages without this word: it is added when missing.
    keyword: str | None = Field(default=None, max_length=100)
    # Milestones and badges of the people of the units below reach this channel too.
    include_descendants: bool = False
    # The leads' morning digest (approvals waiting, who is behind pace) goes only to channels marked so.
    for_leads: bool = False
    locale: str = Field(default="zh-CN", max_length=8)
    # Failed sends in a row; at `channel_max_failures` the channel is disabled (and its managers told).
    failures: int = 0
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = Field(default=None, max_length=300)
    created_by: str = Field(foreign_key="user.id", max_length=36)
    created_at: datetime = stamped()


class ChannelMessage(SQLModel, table=True):
    """One message on its way to one channel: the worker's queue, like `delivery` for Web Push.

    `pending` rows whose `due_at` has come are claimed (`sending`, with a lease) by one worker at a time;
    rows merged into another because the robot's rate limit was reached end `merged`.
    """

    __tablename__ = "channel_message"
    __table_args__ = (
        # One message per event and channel, however often the event is announced.
        UniqueConstraint("channel_id", "dedupe_key", name="uq_channel_message_dedupe"),
        Index("ix_channel_message_status_due", "status", "due_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    channel_id: str = Field(foreign_key="team_channel.id", index=True, max_length=36)
    dedupe_key: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    title: str = Field(max_length=300)
    # Markdown (bold, lines, "- " lists), rendered once in the channel's language; each platform wraps it.
    text: str = Field(max_length=20000)
    # pending | sending | sent | failed | merged | gone | expired
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    due_at: datetime = stamped()
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    merged_into: str | None = Field(default=None, max_length=36)
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = stamped()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
