"""SYNC.md rule 2: each mutation settles alone; one failing never undoes another."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
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


def _visit_run(p, customer_id: str, taken_id: bool) -> list[str]:
    """Visits created and submitted in a row, as the app queues them, with a rejected create (and the
    submit that depends on it), an unknown customer, a double submit and, with `taken_id`, a create that
    reuses the run's first id. Returns the ids of the visits that must be stored."""
    a, b, c, d, e, f = (new_id() for _ in range(6))
    p.queue_mutation("visit", "create", a, fields=visit_fields(customer_id))
    p.queue_mutation("visit", "action", a, name="submit", base_version=1, args={})
    p.queue_mutation("visit", "create", b, fields=visit_fields(customer_id, lat=500))
    p.queue_mutation("visit", "action", b, name="submit", base_version=1, args={})
    p.queue_mutation("visit", "create", c, fields=visit_fields(customer_id, notes="第二次"))
    p.queue_mutation("visit", "create", a if taken_id else f, fields=visit_fields(customer_id))
    p.queue_mutation("visit", "create", d, fields=visit_fields(new_id()))
    p.queue_mutation("visit", "create", e, fields=visit_fields(customer_id, lat=None, lon=None))
    p.queue_mutation("visit", "action", e, name="submit", args={})
    p.queue_mutation("visit", "action", e, name="submit", args={})
    return [a, c, e] if taken_id else [a, c, f, e]


def _outcomes(results: list[dict]) -> list[tuple]:
    return [
        (r["status"], r.get("version"), [(e["field"], e["code"]) for e in r.get("errors", [])]) for r in results
    ]


@pytest.mark.parametrize("taken_id", [False, True], ids=["bulk", "taken-id-falls-back"])
def test_a_run_of_creates_in_one_batch_settles_as_if_sent_one_by_one(org, phone, engine, taken_id):
    """Visit creates (and submits) in a row are checked one by one and written together; a taken id among
    them makes the run settle one by one. Either way, each receipt and each stored row is what sending
    the mutations one request at a time gives."""
    together, alone = phone("rep1"), phone("rep1")
    customer = new_id()
    together.queue_mutation(
        "customer", "create", customer, fields={"name": "华东五金", "lat": 31.23, "lon": 121.47}
    )
    together.sync()
    stored_together = _visit_run(together, customer, taken_id)
    # A mid sent again at the end of the batch answers its first receipt.
    together.queue.append(dict(together.queue[4]))
    results_together = together.send()["results"]
    stored_alone = _visit_run(alone, customer, taken_id)
    results_alone = []
    for mutation in list(alone.queue):
        alone.queue = [mutation]
        results_alone.extend(alone.send()["results"])

    expected = [
        ("applied", 1, []),
        ("applied", 2, []),
        ("rejected", None, [("lat", "out_of_range")]),
        ("rejected", None, [("id", "depends_on_rejected")]),
        ("applied", 1, []),
        ("rejected", None, [("id", "already_exists")]) if taken_id else ("applied", 1, []),
        ("rejected", None, [("customer_id", "not_found")]),
        ("applied", 1, []),
        ("applied", 2, []),
        ("applied", 2, []),
    ]
    assert _outcomes(results_alone) == expected
    assert results_together.pop() == {"mid": 6, "status": "duplicate", "original": results_together[4]}
    assert _outcomes(results_together) == expected

    def stored(ids: list[str]) -> list[dict]:
        with Session(engine) as session:
            rows = {v.id: v for v in session.scalars(select(Visit).where(col(Visit.rep_id) == org.user("rep1")))}
            logged = {
                (c.record_id, c.version)
                for c in session.scalars(select(ChangeLog).where(col(ChangeLog.record_id).in_(list(rows))))
            }
        assert set(rows) >= set(ids)
        assert logged >= {(i, rows[i].version) for i in ids}  # each stored visit logged at its version
        return [rows[i].model_dump(exclude={"id"}) for i in ids]

    assert [v["status"] for v in stored(stored_together)] == ["submitted", "draft"] + ["draft"] * (
        not taken_id
    ) + ["submitted"]
    assert stored(stored_together) == stored(stored_alone)
    with Session(engine) as session:
        assert session.scalars(select(func.count()).select_from(Visit)).one() == 2 * len(stored_together)
    together.sync()
    visits = together.of("visit")
    assert visits[stored_together[0]]["distance_m"] > 0  # from the customer's coordinates, read in the run
    assert visits[stored_together[-1]]["distance_m"] is None


def _edited_world(p) -> dict[str, str]:
    """Two customers and three draft visits of the phone's rep, synced; their ids by name."""
    ids = {name: new_id() for name in ("c1", "c2", "v1", "v2", "v3")}
    p.queue_mutation("customer", "create", ids["c1"], fields={"name": "华东五金"})
    p.queue_mutation("customer", "create", ids["c2"], fields={"name": "西郊商行"})
    for name in ("v1", "v2", "v3"):
        p.queue_mutation("visit", "create", ids[name], fields=visit_fields(ids["c1"]))
    assert {r["status"] for r in p.send()["results"]} == {"applied"}
    return ids


def test_a_run_of_edits_with_a_refusal_inside_settles_each_alone(org, phone, engine):
    """Edits, deletes and actions in a row apply together; one refused among them changes nothing and
    undoes none of the others, and every receipt is what settling them one by one gives."""
    rep = phone("rep1")
    ids = _edited_world(rep)
    rep.queue_mutation("customer", "update", ids["c1"], base_version=1, fields={"name": "华东五金一店"})
    rep.queue_mutation("visit", "update", ids["v1"], base_version=1, fields={"notes": "补充了价格"})
    rep.queue_mutation("visit", "update", ids["v2"], base_version=1, fields={"notes": "不该留下", "lat": 500})
    rep.queue_mutation("visit", "action", ids["v3"], name="submit", base_version=1, args={})
    rep.queue_mutation("customer", "delete", ids["c2"], base_version=1)
    rep.queue_mutation("customer", "update", ids["c1"], base_version=2, fields={"name": "华东五金总店"})
    assert _outcomes(rep.send()["results"]) == [
        ("applied", 2, []),
        ("applied", 2, []),
        ("rejected", None, [("lat", "out_of_range")]),
        ("applied", 2, []),
        ("applied", 2, []),
        ("applied", 3, []),
    ]
    with Session(engine) as session:
        visits = {v.id: v for v in session.scalars(select(Visit))}
        customers = {c.id: c for c in session.scalars(select(Customer))}
        logged = {(c.record_id, c.version) for c in session.scalars(select(ChangeLog))}
    assert (visits[ids["v1"]].notes, visits[ids["v1"]].version) == ("补充了价格", 2)
    assert (visits[ids["v2"]].notes, visits[ids["v2"]].version) == ("初次拜访", 1)
    assert visits[ids["v3"]].status == "submitted"
    assert customers[ids["c2"]].deleted_at is not None
    assert (customers[ids["c1"]].name, customers[ids["c1"]].version) == ("华东五金总店", 3)
    assert {(ids["c1"], 3), (ids["v1"], 2), (ids["v2"], 1), (ids["v3"], 2), (ids["c2"], 2)} <= logged


def test_a_run_of_edits_that_all_apply_takes_one_savepoint(org, phone, engine):
    """What makes a push of offline edits fast: twenty edits in a row share one savepoint, where each used
    to flush and open and release one of its own."""
    from sqlalchemy import event

    rep = phone("rep1")
    ids = _edited_world(rep)
    for version in range(1, 21):
        rep.queue_mutation("customer", "update", ids["c1"], base_version=version, fields={"name": f"店{version}"})
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        results = rep.send()["results"]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [r["status"] for r in results] == ["applied"] * 20
    assert sum(s.lstrip().upper().startswith("SAVEPOINT") for s in statements) == 1
    rep.sync()
    assert rep.of("customer")[ids["c1"]]["name"] == "店20"


def test_a_bug_inside_a_run_of_edits_is_settled_alone(org, phone, engine, monkeypatch):
    """An edit that writes and then fails unexpectedly is settled `server_error` with nothing kept, and the
    edits around it in the same push apply."""
    from backend.sync import entities

    edit_customer = entities.HANDLERS["customer"]

    def broken_for_one_name(ctx, mutation):  # type: ignore[no-untyped-def]
        outcome = edit_customer(ctx, mutation)
        if mutation.fields.get("name") == "触发故障":
            raise RuntimeError("a bug")
        return outcome

    monkeypatch.setitem(entities.HANDLERS, "customer", broken_for_one_name)
    rep = phone("rep1")
    ids = _edited_world(rep)
    rep.queue_mutation("customer", "update", ids["c1"], base_version=1, fields={"name": "第一次"})
    rep.queue_mutation("customer", "update", ids["c2"], base_version=1, fields={"name": "触发故障"})
    rep.queue_mutation("customer", "update", ids["c1"], base_version=2, fields={"name": "第二次"})
    assert _outcomes(rep.send()["results"]) == [
        ("applied", 2, []),
        ("rejected", None, [("id", "server_error")]),
        ("applied", 3, []),
    ]
    with Session(engine) as session:
        names = {c.id: (c.name, c.version) for c in session.scalars(select(Customer))}
    assert names == {ids["c1"]: ("第二次", 3), ids["c2"]: ("西郊商行", 1)}
