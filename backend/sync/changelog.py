"""The change log and its commit-ordered cursor (SYNC.md rule 7).

Every write of a synced record calls `record_change` inside the writing transaction. The change is kept in
the session until the transaction commits; just before the commit (`before_commit`), `_stamp` takes the
single counter row of `sync_state` and gives each pending change the next positions, then the commit
releases the counter.

Why this never skips a late commit: positions are handed out while holding the counter, and the counter is
held until the stamping transaction commits or rolls back.
- On PostgreSQL the counter row is read `FOR UPDATE`: a second writer blocks on it until the first has
  committed, so whoever holds position N has committed before anyone can be handed N+1. A reader that sees
  position N therefore already sees every position below N that will ever exist (a rolled-back holder
  leaves no row and no gap in the counter, since its counter update rolls back too).
- On SQLite every transaction is `BEGIN IMMEDIATE` (see db.py), so writers are serial anyway.
Stamping is the last thing a transaction does, and the counter is the last lock it takes, so holding it
until commit costs only the commit itself and cannot deadlock with the row locks taken earlier.

The log keeps one row per record (its latest change): a pull sends each record once, at its latest
version, and the log grows with the number of records, not of edits. Deletes stay as tombstone rows for
`FIELDGOAL_TOMBSTONE_DAYS`; `purge_tombstones` removes older ones and raises `purged_through`, so a cursor
at or below it is known to have missed a delete and must reset.

Each row also keeps the change as a pull sends it (`body`), rendered by `_stamp` from the records as the
transaction leaves them (after its last flush), so a pull reads a page from the log alone. It is never
stale for the same reason the version is not: every write of a synced record logs it, and the row is
rewritten, body and all, by the stamp of each transaction that does. The sync tests check after each test
that every stored body equals the record rendered afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event, func, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.db import clock_of, insert_rows, table_of
from backend.sync.models import ChangeLog, SyncState

PENDING = "fieldgoal.pending_changes"
# The app's clock, when the session belongs to a request (tests move it); tombstones age by it.


@dataclass(frozen=True)
class Change:
    entity: str
    record_id: str
    version: int
    deleted: bool
    owner_id: str | None
    unit_id: str | None
    # The record's every column as just written, when the writer has them at hand (rows inserted in bulk):
    # its wire form is rendered from them instead of reading the record back.
    written: dict[str, Any] | None = field(default=None, compare=False)


def record_change(
    session: Session,
    entity: str,
    record_id: str,
    version: int,
    *,
    deleted: bool = False,
    owner_id: str | None = None,
    unit_id: str | None = None,
    written: dict[str, Any] | None = None,
) -> None:
    """Note a change of a synced record; it gets its log position when the transaction commits."""
    pending_changes(session).append(Change(entity, record_id, version, deleted, owner_id, unit_id, written))


def pending_changes(session: Session) -> list[Change]:
    changes: list[Change] = session.info.setdefault(PENDING, [])
    return changes


@event.listens_for(Session, "before_commit")
def _stamp(session: Session) -> None:
    # SQLAlchemy also calls this when a SAVEPOINT is released: positions are handed out only at the real
    # commit, so the counter is held for the commit alone, not for the rest of a batch.
    if session.in_nested_transaction():
        return
    changes = session.info.pop(PENDING, None)
    if not changes:
        return
    latest: dict[tuple[str, str], Change] = {}
    for change in changes:
        latest.pop((change.entity, change.record_id), None)  # re-insert so order follows the last change
        latest[(change.entity, change.record_id)] = change
    # The records as they commit, rendered before the counter is taken (it is held for the commit alone) by
    # pull.py, which knows every entity's wire shape (and imports this module, so it is imported here).
    from backend.sync.pull import render_changes

    session.flush()
    bodies = render_changes(session, [c for c in latest.values() if not c.deleted])
    dialect = session.get_bind().dialect.name
    state_query = select(SyncState.last_seq).where(SyncState.id == 1)
    if dialect == "postgresql":
        state_query = state_query.with_for_update()
    last = session.execute(state_query).scalar_one()
    now = clock_of(session)()
    rows = [
        {
            "entity": c.entity,
            "record_id": c.record_id,
            "seq": last + offset,
            "version": c.version,
            "deleted": c.deleted,
            "owner_id": c.owner_id,
            "unit_id": c.unit_id,
            "changed_at": now,
            "body": bodies.get((c.entity, c.record_id)),
        }
        for offset, c in enumerate(latest.values(), start=1)
    ]
    columns = ("seq", "version", "deleted", "owner_id", "unit_id", "changed_at", "body")
    insert_rows(session, table_of(ChangeLog), rows, conflict=("entity", "record_id"), update=columns)
    session.execute(update(SyncState).where(col(SyncState.id) == 1).values(last_seq=last + len(rows)))


def ensure_state(session: Session) -> None:
    if session.get(SyncState, 1) is None:
        session.add(SyncState(id=1, last_seq=0, purged_through=0))
        session.flush()


def last_position(session: Session) -> int:
    return int(session.execute(select(SyncState.last_seq).where(SyncState.id == 1)).scalar_one())


def purged_through(session: Session) -> int:
    return int(session.execute(select(SyncState.purged_through).where(SyncState.id == 1)).scalar_one())


def purge_tombstones(session: Session, days: int) -> int:
    """Remove tombstones older than `days`; returns how many. Cursors at or below the watermark reset."""
    cutoff = clock_of(session)() - timedelta(days=days)
    old = col(ChangeLog.deleted).is_(True) & (ChangeLog.changed_at < cutoff)  # type: ignore[attr-defined]
    highest = session.execute(select(func.max(ChangeLog.seq)).where(old)).scalar_one_or_none()
    if highest is None:
        return 0
    result: Any = session.execute(delete(ChangeLog).where(old))
    session.execute(
        update(SyncState)
        .where(col(SyncState.id) == 1, col(SyncState.purged_through) < highest)
        .values(purged_through=highest)
    )
    return int(result.rowcount or 0)
