"""The audit trail table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from backend.db import new_id, stamped


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    actor_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    record_id: str = Field(index=True, max_length=36)
    before: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    after: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    at: datetime = stamped()
