"""The customer's shape on the wire: the HTTP API, the sync pull and the OpenAPI document share it."""

from __future__ import annotations

import msgspec


class CustomerPublic(msgspec.Struct):
    id: str
    name: str
    address: str | None
    contact: str | None
    phone: str | None
    province: str | None
    city: str | None
    lat: float | None
    lon: float | None
    # The check-in radius in metres (null: the unit's).
    radius_m: int | None
    # The pinyin initials of the name, for search ("上海华联" → "shhl").
    initials: str | None
    owner_id: str
    status: str  # prospect | active
    # The day of the customer's first won deal (ISO date).
    first_won_on: str | None
    version: int
    updated_at: str
