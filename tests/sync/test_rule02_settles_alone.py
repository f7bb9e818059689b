"""SYNC.md rule 2: each mutation settles alone; one failing never undoes another."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.customers.models import Customer
from backend.sync.models import ChangeLog, SyncReceipt
from tests.sync.conftest import new_id


def test_a_failure_between_two_successes_undoes_neither(org, phone, engine):
    rep = phone("rep1")
    good1, bad, good2 = new_id(), new_id(), new_id()
    rep.queue_mutation("customer", "create", good1, fields={"name": "第一"})
    rep.queue_mutation("customer", "create", bad, fields={"name": "第二", "lat": 500})
    rep.queue_mutation("customer", "create", good2, fields={"name": "第三"})
    results = rep.send()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    with Session(engine) as session:
        names = set(session.scalars(select(Customer.name)))
        logged = set(session.scalars(select(ChangeLog.record_id).where(ChangeLog.entity == "customer")))
        receipts = {r.mid: r.result["status"] for r in session.scalars(select(SyncReceipt))}
    assert names == {"第一", "第三"}
    assert logged == {good1, good2}  # the change log holds exactly the settled effects
    assert receipts == {1: "applied", 2: "rejected", 3: "applied"}


def test_a_mutation_that_fails_halfway_leaves_no_trace(org, phone, engine):
    """A visit whose customer check fails after validation: no visit row, no change-log row."""
    rep = phone("rep1")
    visit_id = new_id()
    rep.queue_mutation(
        "visit",
        "create",
        visit_id,
        fields={"customer_id": new_id(), "check_in_at": "2026-11-20T09:00:00+08:00"},
    )
    result = rep.send()["results"][0]
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == "customer_id"
    with Session(engine) as session:
        assert session.scalars(select(ChangeLog).where(ChangeLog.record_id == visit_id)).first() is None
