"""Reading a page of changes for one user (SYNC.md rules 7–9).

The cursor is `<scope epoch>.<position>`. A page is read below the highest position handed out when the
pull started (`last_seq`, read first): every position at or below it has committed (see changelog.py), so
a cursor never passes a change that commits late. Visibility is decided now, from the org tree as it is,
not from who could see a record when it changed; a change of what the user may see raises their scope
epoch, and a cursor from another epoch, or from before the purged tombstones, answers `reset`.

Each entity's shape on the wire is said here (`ENTITIES`). A change is rendered in that shape when it
commits (`render_changes`, called by changelog.py) and the log keeps it, so a page is read from the log
alone; a row that keeps none (logged before the log kept them) is shaped from its record as it is now.
"""

from __future__ import annotations

import functools
from collections import defaultdict, namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Column, ColumnElement, Table, and_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.coaching.models import ImprovementPlan, Review
from backend.coaching.service import plan_public, review_public
from backend.customers.models import Customer
from backend.customers.service import customer_public
from backend.db import table_of
from backend.goals.models import Goal
from backend.goals.service import goal_public
from backend.kpi.models import Progress
from backend.kpi.service import progress_public
from backend.notify.models import Notification
from backend.notify.service import notification_public
from backend.opportunities.models import Opportunity
from backend.opportunities.service import opportunity_public
from backend.org.models import Unit, User
from backend.org.service import unit_public, user_public
from backend.policy import Actor, others_owned, visible_units
from backend.rewards.badges import badge_public
from backend.rewards.models import Badge
from backend.sync.changelog import Change, last_position, purged_through
from backend.sync.models import ChangeLog, ConflictRecord
from backend.versioning import wire
from backend.visits.models import Amendment, Visit
from backend.visits.service import amendment_public, visit_public


def conflict_public(conflict: ConflictRecord) -> dict[str, Any]:
    return {
        "id": conflict.id,
        "entity": conflict.entity,
        "record_id": conflict.record_id,
        "field": conflict.field,
        "yours": conflict.yours,
        "theirs": conflict.theirs,
        "kept": conflict.kept,
        "rule": conflict.rule,
        "yours_by": conflict.yours_by,
        "theirs_by": conflict.theirs_by,
        "at": wire(conflict.at),
        "version": conflict.version,
        "updated_at": wire(conflict.at),
    }


# entity -> (table, its shape on the wire); features add their synced entities here.
ENTITIES: dict[str, tuple[Any, Callable[[Any], dict[str, Any]]]] = {
    "unit": (Unit, unit_public),
    "user": (User, user_public),
    "customer": (Customer, customer_public),
    "visit": (Visit, visit_public),
    "opportunity": (Opportunity, opportunity_public),
    "goal": (Goal, goal_public),
    "progress": (Progress, progress_public),  # derived, SYNC.md rule 12
    "notification": (Notification, notification_public),
    "amendment": (Amendment, amendment_public),
    "conflict": (ConflictRecord, conflict_public),
    "review": (Review, review_public),  # read-only; change-log owner_id = the rep
    "plan": (ImprovementPlan, plan_public),  # read-only; change-log owner_id = the rep
    "badge": (Badge, badge_public),  # read-only, keyed by the rep (owner_id)
}
# Records only their owner pulls, never their lead.
PRIVATE = ("notification",)


@dataclass(frozen=True)
class Page:
    changes: list[Any]  # each a change, or its JSON as the log keeps it (msgspec.Raw)
    cursor: str
    has_more: bool
    reset: bool


def visible_changes(actor: Actor) -> ColumnElement[bool]:
    """Change-log rows the actor may pull: their own, their people's (but not private ones), their units'.

    Their own rows are named once: SQLite reads each branch of the OR through its index and sorts what they
    found together, so a branch that found a rep's rows again (as "the people they see") doubled the work
    of every page (6.4 → 4.0 ms for a page of 1,000).
    """
    branches = [
        col(ChangeLog.owner_id) == actor.id,
        col(ChangeLog.unit_id).in_(select(Unit.id).where(visible_units(actor))),
    ]
    others = others_owned(actor, ChangeLog.owner_id)
    if others is not None:
        branches.append(and_(col(ChangeLog.entity).not_in(PRIVATE), others))
    return or_(*branches)


def _parse_cursor(cursor: str) -> tuple[int, int] | None:
    epoch, dot, position = cursor.partition(".")
    if not dot or not epoch.isdigit() or not position.isdigit() or len(cursor) > 40:
        return None
    return int(epoch), int(position)


def pull(session: Session, actor: Actor, cursor: str | None, limit: int) -> Page:
    epoch = session.execute(select(User.scope_epoch).where(User.id == actor.id)).scalar_one()
    # Read the high-water mark first: everything at or below it has committed (changelog.py).
    high = last_position(session)
    start, reset = 0, False
    if cursor is not None:
        parsed = _parse_cursor(cursor)
        if parsed is None or parsed[0] != epoch or parsed[1] < purged_through(session) or parsed[1] > high:
            reset = True
        else:
            start = parsed[1]
    rows = _page_rows(session, actor, start, high, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_position = rows[-1].seq if has_more else high
    return Page(_materialise(session, rows), f"{epoch}.{next_position}", has_more, reset)


def _page_rows(session: Session, actor: Actor, start: int, high: int, wanted: int) -> list[Any]:
    """The first `wanted` visible change-log rows after `start` (up to `high`), in position order.

    Read window by window: "visible" is an OR of keys (owner, unit), and SQLite answers that OR for a rep
    by collecting every match after `start` and sorting it, so each page of a first pull cost the rest of
    the rep's history (quadratic over the pull: 0.55 s for 40,000 records, 0.13 s in windows). A window of
    positions bounds each query to what lies in it (the `(key, seq)` indexes read just that); it widens
    while the user's records are sparse in the log.
    """
    log = table_of(ChangeLog).c
    visible = visible_changes(actor)
    rows: list[Any] = []
    low, width = start, wanted * 4
    while low < high and len(rows) < wanted:
        upper = min(high, low + width)
        rows += session.execute(
            sa_select(log.entity, log.record_id, log.seq, log.deleted, log.version, log.body)
            .where(log.seq > low, log.seq <= upper, visible)
            .order_by(log.seq)
            .limit(wanted - len(rows))
        )
        low, width = upper, width * 2
    return rows


@functools.cache
def _wire_columns(table: Table) -> tuple[list[Column[Any]], type[Any]]:
    """The columns a pull reads of `table`, and the plain record type its rows become.

    Plain records, not ORM objects: a page is read-only, and building and tracking thousands of instances
    was most of a pull's time. Not a Row either: the wire shapes read records by attribute, which a Row
    answers in Python (half of `visit_public`'s time) and a named tuple in C. The merge's bookkeeping never
    goes on the wire: not decoding it was a sixth of a page's time.
    """
    columns = [column for column in table.c if column.name != "field_versions"]
    return columns, namedtuple(f"{table.name}_record", [column.name for column in columns])  # type: ignore[misc]


def _current(session: Session, wanted: dict[str, list[str]]) -> dict[tuple[str, str], Any]:
    """The named records as they are now, as plain records, by (entity, id)."""
    found: dict[tuple[str, str], Any] = {}
    for entity, ids in wanted.items():
        table = table_of(ENTITIES[entity][0])
        columns, shape = _wire_columns(table)
        for start in range(0, len(ids), 500):
            query = sa_select(*columns).where(table.c.id.in_(ids[start : start + 500]))
            for loaded in session.execute(query):
                found[(entity, loaded.id)] = shape._make(loaded)
    return found


def _change(entity: str, record: Any) -> dict[str, Any] | None:
    """A record as a change on the wire; None when it is deleted (a pull sends a tombstone)."""
    if getattr(record, "deleted_at", None) is not None:
        return None
    data = ENTITIES[entity][1](record)
    return {
        "entity": entity,
        "id": record.id,
        "version": data["version"],
        "updated_at": data["updated_at"],
        "deleted": False,
        "data": data,
    }


def render_changes(session: Session, changes: list[Change]) -> dict[tuple[str, str], str]:
    """The committing changes as a pull will send them, for the change log to keep (changelog.py)."""
    wanted: dict[str, list[str]] = defaultdict(list)
    records: dict[tuple[str, str], Any] = {}
    for change in changes:
        if change.entity not in ENTITIES:
            continue
        if change.written is None:
            wanted[change.entity].append(change.record_id)
        else:
            shape = _wire_columns(table_of(ENTITIES[change.entity][0]))[1]
            records[(change.entity, change.record_id)] = shape._make(change.written[n] for n in shape._fields)
    records.update(_current(session, wanted))
    bodies = {}
    for key, record in records.items():
        shaped = _change(key[0], record)
        if shaped is not None:
            bodies[key] = msgspec.json.encode(shaped).decode()
    return bodies


def _materialise(session: Session, rows: list[Any]) -> list[Any]:
    """The rows' changes in log order: as the log keeps them, or shaped from their records as they are now
    when it keeps none; deleted ones as tombstones."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.body is None and not row.deleted:
            wanted[row.entity].append(row.record_id)
    found = _current(session, wanted) if wanted else {}
    changes: list[Any] = []
    for row in rows:
        if row.body is not None:
            # Sent as stored: the response's encoder copies it in without parsing it again.
            changes.append(msgspec.Raw(row.body.encode()))
            continue
        record = found.get((row.entity, row.record_id))
        change = None if record is None else _change(row.entity, record)
        if change is None:
            change = {"entity": row.entity, "id": row.record_id, "version": row.version, "deleted": True}
        changes.append(change)
    return changes
