"""SYNC.md rule 2: each mutation settles alone; one failing never undoes another."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from backend.customers.models import Customer
from backend.sync.models import ChangeLog, SyncReceipt
from backend.visits.models import Visit
from tests.sync.conftest import new_id, visit_fields


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


def _visit_run(p, customer_id: str) -> list[str]:
    """Six visit creates in a row: good, out-of-range latitude, good, the first one's id again, an unknown
    customer, good. Returns their ids."""
    first = new_id()
    ids = [first, new_id(), new_id(), first, new_id(), new_id()]
    fields = [
        visit_fields(customer_id),
        visit_fields(customer_id, lat=500),
        visit_fields(customer_id, notes="第二次"),
        visit_fields(customer_id),
        visit_fields(new_id()),
        visit_fields(customer_id, lat=None, lon=None),
    ]
    for visit_id, values in zip(ids, fields, strict=True):
        p.queue_mutation("visit", "create", visit_id, fields=values)
    return ids


def _outcomes(results: list[dict]) -> list[tuple]:
    return [(r["status"], [(e["field"], e["code"]) for e in r.get("errors", [])]) for r in results]


def test_a_run_of_creates_in_one_batch_settles_as_if_sent_one_by_one(org, phone, engine):
    """Visit creates in a row are checked one by one and written together; a taken id among them (here the
    run's own first id) makes the run settle one by one. Either way, each receipt and each stored row is
    what sending the mutations one request at a time gives."""
    together, alone = phone("rep1"), phone("rep1")
    customer = new_id()
    together.queue_mutation(
        "customer", "create", customer, fields={"name": "华东五金", "lat": 31.23, "lon": 121.47}
    )
    together.sync()
    ids_together = _visit_run(together, customer)
    # The same mid twice inside the batch: the second answers the first's receipt.
    together.queue.insert(3, dict(together.queue[2]))
    results_together = together.send()["results"]
    ids_alone = _visit_run(alone, customer)
    results_alone = []
    for mutation in list(alone.queue):
        alone.queue = [mutation]
        results_alone.extend(alone.send()["results"])

    expected = [
        ("applied", []),
        ("rejected", [("lat", "out_of_range")]),
        ("applied", []),
        ("rejected", [("id", "already_exists")]),
        ("rejected", [("customer_id", "not_found")]),
        ("applied", []),
    ]
    assert _outcomes(results_alone) == expected
    assert results_together[3] == {"mid": 4, "status": "duplicate", "original": results_together[2]}
    del results_together[3]
    assert _outcomes(results_together) == expected

    def stored(ids: list[str]) -> list[dict]:
        with Session(engine) as session:
            rows = {v.id: v for v in session.scalars(select(Visit).where(col(Visit.id).in_(ids)))}
            logged = set(session.scalars(select(ChangeLog.record_id).where(col(ChangeLog.record_id).in_(ids))))
        assert logged == set(rows)  # one change-log row for each stored visit, none for the rejected ones
        return [rows[i].model_dump(exclude={"id"}) for i in (ids[0], ids[2], ids[5])]

    assert len(stored(ids_together)) == 3
    assert stored(ids_together) == stored(ids_alone)
    together.sync()
    assert together.of("visit")[ids_together[2]]["notes"] == "第二次"
    visits = together.of("visit")
    assert visits[ids_together[0]]["distance_m"] > 0  # from the customer's coordinates, read in the run
    assert visits[ids_together[5]]["distance_m"] is None
