"""Notifications' shapes on the wire: the inbox (shared with the sync pull) and push subscriptions."""

from __future__ import annotations

from typing import Any

import msgspec


class NotificationPublic(msgspec.Struct):
    id: str
    kind: str
    title: str
    body: str
    # What the PWA needs to open the right screen (ids, a period), by kind.
    data: dict[str, Any]
    created_at: str
    read_at: str | None
    version: int
    updated_at: str


class SubscriptionPublic(msgspec.Struct):
    """A browser's push subscription: never its keys."""

    id: str
    endpoint: str
    created_at: str
    updated_at: str


class VapidPublicKey(msgspec.Struct):
    # The applicationServerKey browsers subscribe with (base64url).
    key: str
