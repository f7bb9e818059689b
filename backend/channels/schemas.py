"""The team channels' shapes on the wire: a robot never shows its webhook key or its secret."""

from __future__ import annotations

import msgspec


class ChannelPublic(msgspec.Struct):
    """A unit's robot as its managers see it."""

    id: str
    unit_id: str
    kind: str  # wecom | dingtalk | feishu
    # The webhook with its key masked.
    url: str
    has_secret: bool
    keyword: str | None
    include_descendants: bool
    for_leads: bool
    locale: str
    active: bool
    # Failed sends in a row.
    failures: int
    disabled_at: str | None
    disabled_reason: str | None
    created_at: str


class ChannelReach(msgspec.Struct):
    """A group the caller's team news reaches: the platform and the unit, never the webhook."""

    id: str
    kind: str
    unit_id: str
    unit_name: str
    for_leads: bool


class QueuedMessage(msgspec.Struct):
    """A message queued for a channel (the worker sends it)."""

    id: str
    channel_id: str
    kind: str
    status: str
