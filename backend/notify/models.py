"""The notification table: one message in one user's inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, new_id, utcnow


class Notification(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    kind: str = Field(max_length=32)
    # Unique per user: a rule evaluated many times still notifies once.
    dedupe_key: str = Field(unique=True, max_length=200)
    title: str
    body: str
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
