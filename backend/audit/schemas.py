"""The audit trail's shape on the wire."""

from __future__ import annotations

from typing import Any

import msgspec


class AuditEntryPublic(msgspec.Struct):
    """Who did what to which record, when, with the fields before and after."""

    id: str
    actor_id: str
    action: str
    entity: str
    record_id: str
    before: dict[str, Any]
    after: dict[str, Any]
    at: str
    # The names the entry is read by (backend/audit/names.py): who acted; the person or unit the record
    # concerns (a visit's rep, a goal's owner, the user changed, a review's or plan's rep); what the record is
    # called (a visit's or position's customer, a goal's or review's period, a commission plan's name); a
    # visit's check-in time; a goal's metric. None where the record has none or is gone.
    actor_name: str = ""
    subject_name: str | None = None
    record_name: str | None = None
    record_at: str | None = None
    metric: str | None = None
