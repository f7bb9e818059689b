"""The sync answer's shape (SYNC.md), for the OpenAPI document: receipts and changes are described there."""

from __future__ import annotations

from typing import Any

import msgspec


class ChangePublic(msgspec.Struct, kw_only=True):
    """One record as a pull sends it: its current shape under `data`, or a tombstone (`deleted`, no data)."""

    entity: str
    id: str
    version: int
    updated_at: str | msgspec.UnsetType = msgspec.UNSET
    deleted: bool
    data: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class SyncAnswer(msgspec.Struct):
    protocol: int
    # The last mutation id settled for this client.
    last_mid: int
    # One receipt per mutation sent, in order (SYNC.md: applied, conflict, rejected, duplicate, gap).
    results: list[dict[str, Any]]
    # Changes after the cursor, in log order; most are sent as the change log keeps them, already encoded.
    changes: list[ChangePublic]
    cursor: str
    has_more: bool
    # The client's cursor could not be continued: it must drop what it holds and pull from the start.
    reset: bool
    server_time: str
