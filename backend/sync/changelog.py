"""The change log and its commit-ordered cursor (SYNC.md rule 7).

Every change of a synced record is captured where the ORM flushes it (registry.py) and kept in the session
until the transaction commits; just before the commit (`before_commit`), `_stamp` takes the
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
stale for the same reason the version is not: every change of a synced record is captured, and the row is
rewritten, body and all, by the stamp of each transaction that does. The sync tests check after each test
that every stored body equals the record rendered afresh. A body stored before changes were lean (`as_change`)
is sent as it is until that rewrite; clients read both forms.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict, namedtuple
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

import msgspec
from sqlalchemy import Column, Table, delete, event, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.db import clock_of, insert_rows, table_of
from backend.sync.models import ChangeLog, SyncState
from backend.sync.registry import ENTITIES, PENDING, Change, ages_of_row, keys_of_row
from backend.sync.schemas import ENVELOPE_FIELDS
from backend.versioning import wire


@event.listens_for(Session, "before_commit")
def _stamp(session: Session) -> None:
    # SQLAlchemy also calls this when a SAVEPOINT is released: positions are handed out only at the real
    # commit, so the counter is held for the commit alone, not for the rest of a batch.
    if session.in_nested_transaction():
        return
    # The last flush first: what it writes is captured too.
    session.flush()
    changes = session.info.pop(PENDING, None)
    if not changes:
        return
    latest: dict[tuple[str, str], Change] = {}
    for change in changes:
        latest.pop((change.entity, change.record_id), None)  # re-insert so order follows the last change
        latest[(change.entity, change.record_id)] = change
    # The records as they commit, rendered before the counter is taken (it is held for the commit alone).
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
            "ages_at": c.ages_at,
            "body": bodies.get((c.entity, c.record_id)),
        }
        for offset, c in enumerate(latest.values(), start=1)
    ]
    columns = ("seq", "version", "deleted", "owner_id", "unit_id", "changed_at", "ages_at", "body")
    insert_rows(session, table_of(ChangeLog), rows, conflict=("entity", "record_id"), update=columns)
    session.execute(update(SyncState).where(col(SyncState.id) == 1).values(last_seq=last + len(rows)))


def bulk_log_row(entity: str, row: dict[str, Any], seq: int) -> dict[str, Any]:
    """The change-log row of a record written by a bulk writer that hands out positions itself (the demo
    seeder: millions of rows in one transaction, `sync_state.last_seq` set at its end). Its keys follow the
    entity's declaration; its body is left for pulls to render from the record."""
    owner_id, unit_id = keys_of_row(entity, row)
    return {
        "ages_at": ages_of_row(entity, row),
        "entity": entity,
        "record_id": row["id"],
        "seq": seq,
        "version": row["version"],
        "deleted": False,
        "owner_id": owner_id,
        "unit_id": unit_id,
        "changed_at": row["updated_at"],
    }


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


# --- the wire form of a change ----------------------------------------------------------------------------


@functools.cache
def wire_columns(table: Table) -> tuple[list[Column[Any]], type[Any]]:
    """The columns a change is rendered from, of `table`, and the plain record type its rows become.

    Plain records, not ORM objects: a page is read-only, and building and tracking thousands of instances
    was most of a pull's time. Not a Row either: the wire shapes read records by attribute, which a Row
    answers in Python (half of `visit_public`'s time) and a named tuple in C. The merge's bookkeeping never
    goes on the wire: not decoding it was a sixth of a page's time.
    """
    columns = [column for column in table.c if column.name != "field_versions"]
    return columns, namedtuple(f"{table.name}_record", [column.name for column in columns])  # type: ignore[misc]


def current_records(session: Session, wanted: dict[str, list[str]]) -> dict[tuple[str, str], Any]:
    """The named records as they are now, as plain records, by (entity, id)."""
    found: dict[tuple[str, str], Any] = {}
    for entity, ids in wanted.items():
        table = table_of(ENTITIES[entity].model)
        columns, shape = wire_columns(table)
        for start in range(0, len(ids), 500):
            query = sa_select(*columns).where(table.c.id.in_(ids[start : start + 500]))
            for loaded in session.execute(query):
                found[(entity, loaded.id)] = shape._make(loaded)
    return found


@functools.cache
def lean_data(shape: type[Any]) -> tuple[Callable[[Any], tuple[Any, ...]], type[msgspec.Struct]]:
    """How a record in a declared shape (a Struct) goes under a change's `data`: a reader of its values but
    the envelope's (in C), and the Struct they fill, which leaves out every null when encoded (in C too:
    rendering a visit costs what it did when `data` was the shape itself)."""
    names = [name for name in shape.__struct_fields__ if name not in ENVELOPE_FIELDS]
    read: Callable[[Any], Any] = operator.attrgetter(*names)
    if len(names) == 1:
        read = lambda shaped: (getattr(shaped, names[0]),)  # noqa: E731  (attrgetter of one name: no tuple)
    lean = msgspec.defstruct(f"{shape.__name__}Data", [(name, Any, None) for name in names], omit_defaults=True)
    return read, lean


def as_change(entity: str, record: Any) -> dict[str, Any] | None:
    """A record as a change on the wire; None when it is deleted (a pull sends a tombstone).

    Lean: `id`, `version` and `updated_at` go on the envelope only, and `data` leaves out every field whose
    value is null (a client reads a missing field as null): a typical visit's change is 569 bytes, not 773.
    Only the record's own fields are left out; a null inside one (an amendment proposing to clear a field)
    is sent as it is. The HTTP API's answers are the declared shapes themselves and keep their nulls.
    """
    if getattr(record, "deleted_at", None) is not None:
        return None
    shaped = ENTITIES[entity].shape(record)
    data: Any
    if isinstance(shaped, dict):
        updated_at = shaped["updated_at"]
        data = {name: value for name, value in shaped.items() if value is not None and name not in ENVELOPE_FIELDS}
    else:
        updated_at = shaped.updated_at
        read, lean = lean_data(shaped.__class__)
        data = lean(*read(shaped))
    return {
        "entity": entity,
        "id": record.id,
        "version": record.version,
        "updated_at": updated_at,
        "deleted": False,
        "data": data,
    } | _ageing(entity, record)


def _ageing(entity: str, record: Any) -> dict[str, str]:
    """`ages_at` on the envelope of a record that ages out of a lead's or manager's window (rule 9), so the
    client drops it by the same rule the server pulls by."""
    ages_at = ENTITIES[entity].ages_at(record)
    # In UTC: a visit just written in bulk still carries the phone's offset, as read back it does not.
    return {} if ages_at is None else {"ages_at": wire(ages_at.astimezone(UTC))}


def render_changes(session: Session, changes: list[Change]) -> dict[tuple[str, str], str]:
    """The committing changes as a pull will send them, for the log to keep."""
    wanted: dict[str, list[str]] = defaultdict(list)
    records: dict[tuple[str, str], Any] = {}
    for change in changes:
        if change.written is None:
            wanted[change.entity].append(change.record_id)
        else:
            shape = wire_columns(table_of(ENTITIES[change.entity].model))[1]
            records[(change.entity, change.record_id)] = shape._make(change.written[n] for n in shape._fields)
    records.update(current_records(session, wanted))
    bodies = {}
    for key, record in records.items():
        shaped = as_change(key[0], record)
        if shaped is not None:
            bodies[key] = msgspec.json.encode(shaped).decode()
    return bodies
