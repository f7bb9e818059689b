"""The funnel's shapes on the wire: the HTTP API, the sync pull and the OpenAPI document share them."""

from __future__ import annotations

import msgspec


class OpportunityPublic(msgspec.Struct):
    id: str
    customer_id: str
    owner_id: str
    title: str | None
    # Money as a decimal string ("1200.00").
    amount: str | None
    expected_close_on: str | None
    stage: str  # lead | qualified | proposal | negotiation | won | lost
    closed_at: str | None
    close_reason: str | None
    version: int
    updated_at: str


class StageChangePublic(msgspec.Struct):
    """One move of a deal between stages."""

    # None for the row that opens the deal at `lead`.
    from_stage: str | None
    to_stage: str
    # When the move happened, as stated; `recorded_at`: when the server learned of it.
    at: str
    recorded_at: str
    by_id: str | None
