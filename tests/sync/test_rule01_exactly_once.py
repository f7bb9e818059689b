"""SYNC.md rule 1: exactly once. A settled mid is never applied again; a gap stops the batch."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.sync.models import SyncReceipt
from backend.visits.models import Visit
from tests.sync.conftest import customer_and_visit, new_id, visit_fields


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_replayed_batch_answers_the_stored_receipts_and_changes_nothing(org, phone, engine):
    rep = phone("rep1")
    customer_and_visit(rep, submit=True)
    batch = list(rep.queue)
    first = rep.api.post("/api/v1/sync", json=rep.envelope()).json()
    assert [r["status"] for r in first["results"]] == ["applied", "applied", "applied"]
    visits_before = _count(engine, Visit)
    # The response was lost: the phone sends the very same batch again.
    replay = rep.api.post("/api/v1/sync", json=rep.envelope() | {"mutations": batch}).json()
    assert [r["status"] for r in replay["results"]] == ["duplicate"] * 3
    assert [r["original"] for r in replay["results"]] == first["results"]
    assert replay["last_mid"] == 3
    assert _count(engine, Visit) == visits_before == 1
    assert _count(engine, SyncReceipt) == 3


def test_a_mid_that_skips_ahead_stops_the_batch(org, phone, engine):
    rep = phone("rep1")
    customer_id = new_id()
    body = rep.envelope() | {
        "mutations": [
            {"mid": 1, "entity": "customer", "op": "create", "id": customer_id, "fields": {"name": "A"}},
            {"mid": 3, "entity": "visit", "op": "create", "id": new_id(), "fields": visit_fields(customer_id)},
            {"mid": 4, "entity": "customer", "op": "create", "id": new_id(), "fields": {"name": "B"}},
        ]
    }
    response = rep.api.post("/api/v1/sync", json=body).json()
    assert [(r["mid"], r["status"]) for r in response["results"]] == [(1, "applied"), (3, "gap")]
    assert response["results"][1]["expected"] == 2
    assert response["last_mid"] == 1
    assert _count(engine, Visit) == 0  # nothing after the gap was applied


def test_overlapping_requests_of_one_client_settle_each_mid_once(org, phone, engine):
    rep = phone("rep1")
    for _ in range(30):
        rep.queue_mutation("customer", "create", fields={"name": "并发客户"})
    body = rep.envelope()
    answers: list[dict] = []

    def send() -> None:
        answers.append(rep.api.post("/api/v1/sync", json=body).json())

    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 3
    statuses = sorted(tuple(sorted({r["status"] for r in a["results"]})) for a in answers)
    assert statuses == [("applied",), ("duplicate",), ("duplicate",)]
    assert _count(engine, SyncReceipt) == 30
    with Session(engine) as session:
        from backend.customers.models import Customer

        assert session.execute(select(func.count()).select_from(Customer)).scalar_one() == 30
