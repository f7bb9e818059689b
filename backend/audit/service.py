"""Writing the audit trail: every approval, amendment decision, goal change and role change."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.audit.models import AuditEntry
from backend.audit.schemas import AuditEntryPublic
from backend.db import clock_of
from backend.errors import Forbidden
from backend.paging import Ordering, Page, PageRequest, SortKey, fetch_page
from backend.policy import Actor, owners
from backend.validation import Day, Text, Uuid, validate
from backend.versioning import wire


def record_audit(
    session: Session,
    actor_id: str,
    action: str,
    entity: str,
    record_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        entity=entity,
        record_id=record_id,
        before=before,
        after=after,
        at=clock_of(session)(),
    )
    session.add(entry)
    return entry


# --- reading the trail: GET /api/v1/audit ---------------------------------------------------------

AUDIT_QUERY = {
    "actor_id": Uuid(),
    "entity": Text(max_len=32),
    "record_id": Uuid(),
    "action": Text(max_len=64),
    "from": Day(),
    "to": Day(),
}
# Newest first; entries of one instant by id.
AUDIT_ORDER = Ordering.of("audit", SortKey(AuditEntry.at, descending=True), SortKey(AuditEntry.id))


def audit_public(entry: AuditEntry) -> AuditEntryPublic:
    return AuditEntryPublic(
        id=entry.id,
        actor_id=entry.actor_id,
        action=entry.action,
        entity=entry.entity,
        record_id=entry.record_id,
        before=entry.before,
        after=entry.after,
        at=wire(entry.at),
    )


def audit_trail(session: Session, actor: Actor, params: dict[str, Any], page: PageRequest) -> Page[AuditEntry]:
    """Newest first: what the manager and the people below them decided. Managers and admins only; `from`
    and `to` are days of the manager's time zone, both included."""
    if actor.role not in ("manager", "admin"):
        raise Forbidden()
    values = validate({k: v for k, v in params.items() if v not in (None, "")}, AUDIT_QUERY)
    query = select(AuditEntry).where(owners(actor, AuditEntry.actor_id))
    for name in ("actor_id", "entity", "record_id", "action"):
        if name in values:
            query = query.where(getattr(AuditEntry, name) == values[name])
    zone = ZoneInfo(actor.timezone)
    if "from" in values:
        query = query.where(col(AuditEntry.at) >= datetime.combine(values["from"], time(), zone))
    if "to" in values:
        query = query.where(col(AuditEntry.at) < datetime.combine(values["to"] + timedelta(days=1), time(), zone))
    return fetch_page(session, query, AUDIT_ORDER, page)
