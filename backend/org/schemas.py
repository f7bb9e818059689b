"""The org tree's shapes on the wire: the HTTP API, the sync pull and the OpenAPI document share them."""

from __future__ import annotations

import msgspec


class UnitPublic(msgspec.Struct):
    """A unit of the org tree."""

    id: str
    name: str
    kind: str  # company | region | team
    # None for the company at the root.
    parent_id: str | None
    timezone: str
    # The check-in radius of the customers below it, in metres (null: the parent's, or the setting's).
    check_in_radius_m: int | None
    version: int
    updated_at: str


class UserPublic(msgspec.Struct):
    """A user as their managers (and the sync pull) see them: never the password hash."""

    id: str
    email: str
    name: str
    role: str  # rep | lead | manager | admin
    unit_id: str
    locale: str
    timezone: str
    active: bool
    version: int
    updated_at: str
