"""Versioned records: every change raises the record's version and remembers, per field, which version
last changed it and who wrote it. The sync engine's three-way merge reads those per-field versions: a row
version alone would turn every concurrent edit of different fields into a conflict (SYNC.md).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any


def wire(value: Any) -> Any:
    """A stored value as it goes on the wire: times RFC 3339, dates ISO, money a decimal string."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def set_fields(record: Any, values: dict[str, Any], by: str, now: datetime) -> list[str]:
    """Apply changed fields as one new version; returns the names that actually changed."""
    changed = [name for name, value in values.items() if getattr(record, name) != value]
    if not changed:
        return []
    record.version += 1
    versions = dict(record.field_versions or {})
    for name in changed:
        setattr(record, name, values[name])
        versions[name] = [record.version, by]
    record.field_versions = versions
    record.updated_at = now
    return changed


def field_version(record: Any, name: str) -> tuple[int, str | None]:
    """The version that last changed a field, and who wrote it (0 and None: unchanged since creation)."""
    entry = (record.field_versions or {}).get(name)
    if not entry:
        return 0, None
    return int(entry[0]), entry[1]
