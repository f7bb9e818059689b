"""A pulled change is lean: `id`, `version` and `updated_at` on its envelope only, no null under `data` (a
client reads a missing field as null), while the HTTP API's answers keep their nulls."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.sync.models import ChangeLog
from backend.sync.schemas import ENVELOPE_FIELDS, documented_answer
from tests.sync.conftest import customer_and_visit
from tests.sync.helpers import rebuilt


def _nulls(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_nulls(v) for v in value.values())
    if isinstance(value, list):
        return any(_nulls(v) for v in value)
    return value is None


def _pulled_and_listed(phone: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A submitted visit as the lead pulls it, as the lead's desk (the HTTP API) lists it, and the sync
    answer that carried it."""
    rep, lead = phone("rep1"), phone("lead1")
    _, visit_id = customer_and_visit(rep, submit=True)
    rep.sync()
    (body,) = [body for body in lead.sync() if any(c["entity"] == "visit" for c in body["changes"])]
    (pulled,) = [c for c in body["changes"] if c["entity"] == "visit"]
    listed = lead.api.get("/api/v1/visits", params={"status": "submitted"})
    assert listed.status_code == 200, listed.text
    (answered,) = [v for v in listed.json() if v["id"] == visit_id]
    return pulled, answered, body


def test_a_pulled_change_sends_each_field_once_and_no_null(org, phone):
    pulled, answered, _ = _pulled_and_listed(phone)
    assert {"entity", "id", "version", "updated_at", "deleted", "data"} <= pulled.keys()
    assert not pulled.keys() & pulled["data"].keys()  # no field twice
    assert not _nulls(pulled["data"])
    # The HTTP API's answer keeps every field, nulls included ...
    assert answered["opportunity_id"] is None and answered["reviewed_by"] is None
    # ... and a client rebuilds exactly it from the envelope and the fields sent (a missing one is null).
    assert rebuilt(pulled) == answered
    assert {k: v for k, v in answered.items() if k not in ENVELOPE_FIELDS and v is not None} == pulled["data"]


def test_a_visit_s_change_weighs_little_more_than_its_fields(org, phone):
    pulled, answered, _ = _pulled_and_listed(phone)
    sent = len(msgspec.json.encode(pulled))
    fields = len(msgspec.json.encode({k: v for k, v in answered.items() if v is not None}))
    print(f"a visit's change: {sent} bytes for {fields} bytes of non-null fields")
    assert sent <= 1.2 * fields + 100


def test_the_documented_change_fails_a_mistyped_field_and_reads_an_old_body(org, phone):
    pulled, answered, body = _pulled_and_listed(phone)

    def answer(change: dict[str, Any]) -> dict[str, Any]:
        return body | {"changes": [change]}

    msgspec.convert(answer(pulled), documented_answer())
    with pytest.raises(msgspec.ValidationError, match="satisfaction"):
        msgspec.convert(answer(pulled | {"data": pulled["data"] | {"satisfaction": "4"}}), documented_answer())
    with pytest.raises(msgspec.ValidationError, match="status"):
        msgspec.convert(answer(pulled | {"data": pulled["data"] | {"status": None}}), documented_answer())
    # A body the log kept from before changes were lean (the whole record under `data`, nulls and all) is
    # still a valid change until the record's next change rewrites it, and rebuilds the same record.
    old = pulled | {"data": answered}
    msgspec.convert(answer(old), documented_answer())
    assert rebuilt(old) == rebuilt(pulled) == answered


def test_a_change_the_log_keeps_no_body_of_is_rendered_just_as_lean(org, phone, engine):
    """A row logged without its body (the demo seeder's) is rendered from its record when pulled: the same
    change as a stored body."""
    stored, _, _ = _pulled_and_listed(phone)
    with Session(engine) as session:
        session.execute(update(ChangeLog).where(ChangeLog.record_id == stored["id"]).values(body=None))
        session.commit()
    fresh = phone("lead1")
    (rendered,) = [c for body in fresh.sync() for c in body["changes"] if c["id"] == stored["id"]]
    assert rendered == stored
