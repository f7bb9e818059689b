"""Tables of the sync engine: the change log, clients, receipts, rejected creates and the conflict log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, new_id, stamped
from backend.sync.registry import declare, owned_by
from backend.sync.schemas import ConflictRecordPublic
from backend.versioning import wire


class ChangeLog(SQLModel, table=True):
    """One row per record: its latest change and the position (`seq`) at which it committed.

    `owner_id` and `unit_id` are the keys that decide who may pull the record: the user it belongs to, or
    the unit it belongs to. Who may see them is decided when pulling, from the org tree as it is now.
    """

    __tablename__ = "change_log"
    # A pull asks for "owned by these people or belonging to these units, after position N, in order": with
    # the position beside each key, every branch reads only what is new instead of the key's whole history.
    __table_args__ = (
        Index("ix_change_log_owner_id_seq", "owner_id", "seq"),
        Index("ix_change_log_unit_id_seq", "unit_id", "seq"),
    )

    entity: str = Field(primary_key=True, max_length=16)
    record_id: str = Field(primary_key=True, max_length=36)
    seq: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    version: int
    deleted: bool = False
    owner_id: str | None = Field(default=None, max_length=36)
    unit_id: str | None = Field(default=None, max_length=36)
    changed_at: datetime = stamped()
    # When the record starts ageing out of a lead's or manager's window (a visit's check-in, a closed deal's
    # close); None while it never does (a visit waiting for a decision, a unit, a customer). Rule 9.
    ages_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The change as a pull sends it (entity, id, version, updated_at, data), rendered when it commits, so a
    # pull reads the log alone rather than every record again. None for a tombstone, and for rows logged
    # before it was kept (a pull shapes those from the record, as it always did).
    body: str | None = Field(default=None, sa_type=Text)


class SyncState(SQLModel, table=True):
    """The single counter row: the last position handed out, and how far tombstones have been purged."""

    __tablename__ = "sync_state"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    purged_through: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class SyncClient(SQLModel, table=True):
    __tablename__ = "sync_client"

    client_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    last_mid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    # Phone clock minus server clock, seconds, from the latest request's client_time.
    skew_seconds: float = 0.0
    created_at: datetime = stamped()
    last_seen_at: datetime = stamped()


class SyncReceipt(SQLModel, table=True):
    __tablename__ = "sync_receipt"

    client_id: str = Field(primary_key=True, max_length=64)
    mid: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = stamped()


class RejectedCreate(SQLModel, table=True):
    """A create that was rejected: later mutations of the same client on that id follow it."""

    __tablename__ = "sync_rejected_create"

    client_id: str = Field(primary_key=True, max_length=64)
    record_id: str = Field(primary_key=True, max_length=64)


class ConflictRecord(SQLModel, table=True):
    """A field decided by policy during a merge: both values, who wrote each, and the rule."""

    __tablename__ = "conflict"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    entity: str = Field(max_length=16)
    record_id: str = Field(index=True, max_length=36)
    field: str = Field(max_length=64)
    yours: Any = Field(default=None, sa_type=JSON)
    theirs: Any = Field(default=None, sa_type=JSON)
    kept: str = Field(max_length=8)
    rule: str = Field(max_length=32)
    yours_by: str = Field(max_length=36)
    theirs_by: str | None = Field(default=None, max_length=36)
    # The rep whose record it is: they and their lead read it.
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    at: datetime = stamped()
    version: int = 1


def conflict_public(conflict: Any) -> ConflictRecordPublic:
    return ConflictRecordPublic(
        id=conflict.id,
        entity=conflict.entity,
        record_id=conflict.record_id,
        field=conflict.field,
        yours=conflict.yours,
        theirs=conflict.theirs,
        kept=conflict.kept,
        rule=conflict.rule,
        yours_by=conflict.yours_by,
        theirs_by=conflict.theirs_by,
        at=wire(conflict.at),
        version=conflict.version,
        updated_at=wire(conflict.at),
    )


# The rep and their lead read the conflicts of the rep's records.
declare("conflict", ConflictRecord, conflict_public, owned_by("owner_id"), ages=lambda conflict: conflict.at)
