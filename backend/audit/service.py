"""Writing the audit trail: every approval, amendment decision, goal change and role change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.audit.models import AuditEntry
from backend.db import utcnow


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
        at=utcnow(),
    )
    session.add(entry)
    return entry
