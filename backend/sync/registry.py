"""What phones hold: the synced entities the features declare, and the capture of their changes.

A feature declares each kind of record that phones pull (`declare`): its table, its shape on the wire, and
whose record it is (`keys`: the owner, whom they and the people above them see, or the unit, which everyone in
or below it sees), and, for records that grow with the company's history, when each starts ageing out of a
lead's or manager's window (`ages`, rule 9). From then on every change of such a record that the ORM flushes is captured here, with no
call in any service: an insert, an update that moves its `version` (every change a phone must see moves it;
bookkeeping such as a last-seen time does not), or a delete. A row with `deleted_at` set is a tombstone.
Rows written around the ORM (the bulk visit insert) go through `insert_synced`, the one bulk entry point.

Captured changes wait in the session until the transaction commits; changelog.py then gives them their log
positions (SYNC.md rule 7). A savepoint that rolls back takes the changes captured inside it with it.

This module is the face of `backend/sync/` that features see; it imports no feature, and the rest of the
sync package knows the features only through what was declared here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from backend.db import insert_rows, table_of

PENDING = "fieldgoal.pending_changes"
_SAVEPOINTS = "fieldgoal.pending_marks"

# (owner_id, unit_id) of a record: who it belongs to in the change log's visibility keys.
Keys = Callable[[Any], tuple[str | None, str | None]]
# When a record starts ageing out of a lead's or manager's window; None while it never does (rule 9).
Ages = Callable[[Any], datetime | None]


@dataclass(frozen=True)
class SyncedEntity:
    """One kind of record phones pull, as its feature declares it."""

    name: str
    model: type[Any]
    # The record as a pull sends it under `data`; given the ORM object or a plain record of its columns.
    shape: Callable[[Any], Any]
    keys: Keys
    # Only the owner pulls it, never the people above them (a notification).
    private: bool = False
    # A record not shown to anyone yet (a lead's draft review) is not logged until it is.
    shown: Callable[[Any], bool] | None = None
    # Records that grow with the company's history age out of the window of those who manage their owner.
    ages: Ages | None = None

    def ages_at(self, record: Any) -> datetime | None:
        return None if self.ages is None else self.ages(record)


@dataclass(frozen=True)
class Change:
    entity: str
    record_id: str
    version: int
    deleted: bool
    owner_id: str | None
    unit_id: str | None
    ages_at: datetime | None = None
    # The record's every column as just written, when it was written in bulk: its wire form is rendered
    # from them instead of reading the record back.
    written: dict[str, Any] | None = field(default=None, compare=False)


ENTITIES: dict[str, SyncedEntity] = {}
_BY_MODEL: dict[type[Any], SyncedEntity] = {}


def declare(
    name: str,
    model: type[Any],
    shape: Callable[[Any], Any],
    keys: Keys,
    *,
    private: bool = False,
    shown: Callable[[Any], bool] | None = None,
    ages: Ages | None = None,
) -> SyncedEntity:
    """Make `model`'s records synced as `name`: from now on their changes are captured and pulled."""
    entity = SyncedEntity(name, model, shape, keys, private, shown, ages)
    ENTITIES[name] = entity
    _BY_MODEL[model] = entity
    return entity


def owned_by(column: str) -> Keys:
    """Keys of a record that belongs to the user its `column` names."""
    return lambda record: (getattr(record, column), None)


def of_unit(column: str) -> Keys:
    """Keys of a record that belongs to the unit its `column` names (everyone in or below it sees it)."""
    return lambda record: (None, getattr(record, column))


def when_closed(column: str, still_open: Callable[[Any], bool]) -> Ages:
    """A record ages from `column` once it is settled; while `still_open` (waiting for a decision) it never does."""
    return lambda record: None if still_open(record) else getattr(record, column)


def by_subject(record: Any) -> tuple[str | None, str | None]:
    """Keys of a goal or its progress: a rep's belongs to the rep, a unit's to the unit."""
    if record.subject_type == "user":
        return record.subject_id, None
    return None, record.subject_id


def pending_changes(session: Session) -> list[Change]:
    changes: list[Change] = session.info.setdefault(PENDING, [])
    return changes


def _change(entity: SyncedEntity, record: Any, written: dict[str, Any] | None = None) -> Change | None:
    if entity.shown is not None and not entity.shown(record):
        return None
    owner_id, unit_id = entity.keys(record)
    deleted = getattr(record, "deleted_at", None) is not None
    ages_at = None if deleted else entity.ages_at(record)
    return Change(entity.name, record.id, record.version, deleted, owner_id, unit_id, ages_at, written)


def insert_synced(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Write new records' rows in one statement (around the ORM, for speed), their changes captured too."""
    insert_rows(session, table_of(model), rows)
    entity = _BY_MODEL[model]
    changes = pending_changes(session)
    for row in rows:
        change = _change(entity, _Row(row), written=row)
        if change is not None:
            changes.append(change)


def keys_of_row(name: str, row: dict[str, Any]) -> tuple[str | None, str | None]:
    """(owner_id, unit_id) of a record of entity `name` given as its row's values."""
    return ENTITIES[name].keys(_Row(row))


def ages_of_row(name: str, row: dict[str, Any]) -> datetime | None:
    """When a record of entity `name`, given as its row's values, starts ageing out of a window."""
    return ENTITIES[name].ages_at(_Row(row))


class _Row:
    """A written row's values as attributes, as a declaration's `keys` and `shown` read a record."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


@event.listens_for(Session, "after_flush")
def _capture(session: Session, _context: Any) -> None:
    changes = pending_changes(session)
    for record in session.new:
        entity = _BY_MODEL.get(type(record))
        if entity is not None and (change := _change(entity, record)) is not None:
            changes.append(change)
    for record in session.dirty:
        entity = _BY_MODEL.get(type(record))
        if entity is None or not inspect(record).attrs.version.history.added:
            continue
        if (change := _change(entity, record)) is not None:
            changes.append(change)
    for record in session.deleted:
        entity = _BY_MODEL.get(type(record))
        if entity is not None:
            owner_id, unit_id = entity.keys(record)
            changes.append(Change(entity.name, record.id, record.version, True, owner_id, unit_id))


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_SAVEPOINTS, {})[transaction] = len(session.info.get(PENDING, ()))


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """Changes captured inside a transaction that rolled back never happened: forget them."""
    mark = session.info.get(_SAVEPOINTS, {}).pop(previous, None)
    if mark is not None:
        del pending_changes(session)[mark:]
    elif previous.parent is None:
        session.info.pop(PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_marks(session: Session, transaction: SessionTransaction) -> None:
    # SQLAlchemy ends a transaction before it reports the rollback: only the outermost one drops the marks
    # of its savepoints (their rollbacks were reported when they ended).
    if transaction.parent is None:
        session.info.pop(_SAVEPOINTS, None)
