"""Visits' shapes on the wire: the HTTP API (the approval desk), the sync pull and the OpenAPI document
share them."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.errors import FieldProblem


class VisitPublic(msgspec.Struct):
    id: str
    rep_id: str
    customer_id: str
    opportunity_id: str | None
    # Check-in and check-out in the offset the phone sent (the rep's wall clock is part of the evidence).
    check_in_at: str
    check_out_at: str | None
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    check_out_lat: float | None
    check_out_lon: float | None
    check_out_accuracy_m: float | None
    # The attachment ids of the visit's photos (the phone picks them; at most 9).
    photos: list[str] | None
    purpose: str | None
    outcome: str | None
    satisfaction: int | None
    notes: str | None
    next_follow_up_on: str | None
    status: str  # draft | submitted | approved | rejected
    review_comment: str | None
    reviewed_by: str | None
    reviewed_at: str | None
    # From the customer's location, when both are known.
    distance_m: float | None
    # Which of `photos` have arrived on the server (the rest are still uploading).
    photos_arrived: list[str] | None
    # What the evidence says: far | poor_accuracy | impossible_travel | repeated_position.
    flags: list[str] | None
    received_at: str
    version: int
    updated_at: str


class AmendmentPublic(msgspec.Struct):
    """A change proposed to an approved visit, waiting for (or past) its lead's decision."""

    id: str
    visit_id: str
    # The proposed values, by field.
    fields: dict[str, Any]
    proposed_by: str
    status: str  # pending | accepted | refused
    decided_by: str | None
    decided_at: str | None
    version: int
    updated_at: str


class ConflictPublic(msgspec.Struct):
    """A field the decision could not change as asked (a sync conflict's receipt)."""

    field: str
    yours: Any
    theirs: Any
    kept: str  # yours | theirs
    rule: str


class DecisionReceipt(msgspec.Struct, kw_only=True):
    """What became of one decision of a bulk review, shaped as a sync receipt."""

    entity: str  # visit
    # The id the decision named, echoed as sent (it may not be a valid id: then `errors` says so).
    id: Any
    version: int | msgspec.UnsetType = msgspec.UNSET
    status: str  # applied | conflict | rejected
    conflicts: list[ConflictPublic] | msgspec.UnsetType = msgspec.UNSET
    errors: list[FieldProblem] | msgspec.UnsetType = msgspec.UNSET


class ReviewResults(msgspec.Struct):
    """One receipt per decision, in the order sent."""

    results: list[DecisionReceipt]


class PhotoPublic(msgspec.Struct):
    """A visit photo that has arrived (what an upload answers); its bytes are at GET /attachments/{id}."""

    id: str
    visit_id: str
    # The SHA-256 of the bytes as uploaded (the same bytes again are the same photo).
    sha256: str
    # As uploaded; what the server keeps and serves is always image/jpeg.
    content_type: str
    size_bytes: int
    # Of the photo as kept: turned upright by its EXIF orientation.
    width: int
    height: int
    arrived_at: str
