"""Tables of the org tree: units and users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import false
from sqlmodel import Field, SQLModel

from backend.db import new_id, stamped

UNIT_KINDS = ("company", "region", "team")
ROLES = ("rep", "lead", "manager", "admin")
DEFAULT_TIMEZONE = "Asia/Shanghai"


class Unit(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    parent_id: str | None = Field(default=None, foreign_key="unit.id", index=True, max_length=36)
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64)
    # "/<root id>/…/<own id>/": a subtree is one `LIKE path || '%'`, whatever the depth.
    path: str = Field(index=True, max_length=2000)
    # The check-in radius for customers below this unit that set none, in metres; null: the parent's (and at
    # the top, the `check_in_radius_m` setting).
    check_in_radius_m: int | None = None
    version: int = 1
    updated_at: datetime = stamped()


class User(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    email: str = Field(unique=True, max_length=254)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=36)
    locale: str = Field(default="zh-CN", max_length=8)
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64)
    password_hash: str = Field(max_length=200)
    active: bool = True
    # Set when someone else sets the password (they know it): the owner is asked to choose their own.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Raised whenever what this user may see changes (a move, a reassignment): their next pull resets.
    scope_epoch: int = 0
    version: int = 1
    created_at: datetime = stamped()
    updated_at: datetime = stamped()
