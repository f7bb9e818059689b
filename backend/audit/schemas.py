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
