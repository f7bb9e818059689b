"""Tables of sign-in: bearer tokens (stored only as hashes) and failed attempts (for throttling)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, new_id, stamped


class AuthToken(SQLModel, table=True):
    __tablename__ = "auth_token"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    # SHA-256 of the token: a stolen database does not sign anyone in.
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = stamped()
    last_used_at: datetime = stamped()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, max_length=254)
    address: str = Field(index=True, max_length=64)
    at: datetime = stamped(index=True)
