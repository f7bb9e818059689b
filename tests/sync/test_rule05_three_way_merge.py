"""SYNC.md rule 5: three-way merge per field, settled by policy, logged for the rep and the lead."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.sync.models import ConflictRecord
from tests.sync.conftest import customer_and_visit


def _two_phones_with_a_visit(phone):
    first, second = phone("rep1"), phone("rep1")
    customer_id, visit_id = customer_and_visit(first)
    first.sync()
    second.sync()
    return first, second, customer_id, visit_id


def test_edits_of_different_fields_on_two_phones_both_apply(org, phone):
    first, second, _, visit_id = _two_phones_with_a_visit(phone)
    first.queue_mutation("visit", "update", visit_id, base_version=1, fields={"notes": "谈得不错"})
    second.queue_mutation("visit", "update", visit_id, base_version=1, fields={"satisfaction": 5})
    assert first.send()["results"][0]["status"] == "applied"
    merged = second.send()["results"][0]
    assert merged["status"] == "merged"
    assert merged["conflicts"] == []
    first.sync()
    visit = first.of("visit")[visit_id]
    assert (visit["notes"], visit["satisfaction"], visit["version"]) == ("谈得不错", 5, 3)
    assert second.of("visit")[visit_id] == visit


def test_the_same_field_changed_on_both_is_settled_by_policy_and_logged(org, phone, engine, sign_in):
    first, second, _, visit_id = _two_phones_with_a_visit(phone)
    first.queue_mutation("visit", "update", visit_id, base_version=1, fields={"notes": "first", "lat": 31.5})
    second.queue_mutation("visit", "update", visit_id, base_version=1, fields={"notes": "second", "lat": 30.0})
    first.send()
    result = second.send()["results"][0]
    assert result["status"] == "conflict"  # not wholly applied: the evidence field kept the first value
    assert sorted((c["field"], c["kept"], c["rule"]) for c in result["conflicts"]) == [
        ("lat", "theirs", "evidence_first_wins"),
        ("notes", "yours", "last_arrival_wins"),
    ]
    second.sync()
    visit = second.of("visit")[visit_id]
    assert (visit["notes"], visit["lat"]) == ("second", 31.5)
    with Session(engine) as session:
        logged = session.scalars(select(ConflictRecord).order_by(ConflictRecord.field)).all()
    assert [(c.field, c.yours, c.theirs, c.yours_by, c.theirs_by) for c in logged] == [
        ("lat", 30.0, 31.5, org.user("rep1"), org.user("rep1")),
        ("notes", "second", "first", org.user("rep1"), org.user("rep1")),
    ]
    # The conflict log is a synced entity: the rep and the lead read it; another team does not.
    lead, other = phone("lead1"), phone("lead2")
    lead.sync()
    other.sync()
    assert {c["field"] for c in lead.of("conflict").values()} == {"lat", "notes"}
    assert {c["field"] for c in second.of("conflict").values()} == {"lat", "notes"}
    assert other.of("conflict") == {}


def test_an_unchanged_value_is_no_conflict(org, phone):
    first, second, _, visit_id = _two_phones_with_a_visit(phone)
    first.queue_mutation("visit", "update", visit_id, base_version=1, fields={"notes": "same"})
    second.queue_mutation("visit", "update", visit_id, base_version=1, fields={"notes": "same"})
    first.send()
    assert second.send()["results"][0]["conflicts"] == []


def test_a_base_version_from_the_future_is_refused(org, phone):
    first, _, _, visit_id = _two_phones_with_a_visit(phone)
    first.queue_mutation("visit", "update", visit_id, base_version=99, fields={"notes": "x"})
    result = first.send()["results"][0]
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == "base_version"


def test_a_stale_delete_of_a_customer_keeps_the_newer_edit(org, phone):
    first, second, customer_id, _ = _two_phones_with_a_visit(phone)
    first.queue_mutation("customer", "update", customer_id, base_version=1, fields={"phone": "021-5555"})
    first.send()
    second.queue_mutation("customer", "delete", customer_id, base_version=1)
    result = second.send()["results"][0]
    assert result["status"] == "conflict"
    assert result["conflicts"][0]["rule"] == "changed_since_read"
    second.sync()
    assert second.of("customer")[customer_id]["phone"] == "021-5555"
