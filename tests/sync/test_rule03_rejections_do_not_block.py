"""SYNC.md rule 3: a rejection is settled with its reason; only dependents of a rejected create follow it."""

from __future__ import annotations

from tests.sync.conftest import new_id, visit_fields


def test_rejected_mutation_is_settled_and_the_queue_moves_on(org, phone):
    rep = phone("rep2")  # speaks zh-CN
    customer_id = new_id()
    rep.queue_mutation("customer", "create", customer_id, fields={"name": "客户"})
    rep.queue_mutation("visit", "create", fields=visit_fields(customer_id, satisfaction=9))
    rep.queue_mutation("visit", "create", fields=visit_fields(customer_id))
    body = rep.send()
    assert [r["status"] for r in body["results"]] == ["applied", "rejected", "applied"]
    assert body["results"][1]["errors"] == [
        {"field": "satisfaction", "code": "out_of_range", "message": "必须在 1 到 5 之间"}
    ]
    assert body["last_mid"] == 3
    assert rep.queue == []  # a rejected mutation leaves the queue too; the app shows it


def test_dependents_of_a_rejected_create_follow_it_in_this_and_later_batches(org, phone):
    rep = phone("rep1")
    bad_customer = new_id()
    visit_id = new_id()
    rep.queue_mutation("customer", "create", bad_customer, fields={"name": ""})
    rep.queue_mutation("customer", "update", bad_customer, base_version=1, fields={"name": "fixed"})
    rep.queue_mutation("customer", "create", fields={"name": "unrelated"})
    first = rep.send()["results"]
    assert [r["status"] for r in first] == ["rejected", "rejected", "applied"]
    assert first[1]["errors"][0]["code"] == "depends_on_rejected"
    # A later batch that touches the rejected id still follows it.
    rep.queue_mutation("customer", "delete", bad_customer, base_version=1)
    later = rep.send()["results"]
    assert later[0]["status"] == "rejected"
    assert later[0]["errors"][0]["code"] == "depends_on_rejected"
    # A visit pointing to the rejected customer is rejected for its own reason (the customer is unknown).
    rep.queue_mutation("visit", "create", visit_id, fields=visit_fields(bad_customer))
    assert rep.send()["results"][0]["errors"][0]["field"] == "customer_id"


def test_another_client_may_create_the_id_a_rejected_create_used(org, phone):
    """depends_on_rejected is remembered per client: it must not poison the id for everyone."""
    first, second = phone("rep1"), phone("rep1")
    record = new_id()
    first.queue_mutation("customer", "create", record, fields={"name": ""})
    assert first.send()["results"][0]["status"] == "rejected"
    second.queue_mutation("customer", "create", record, fields={"name": "好名字"})
    assert second.send()["results"][0]["status"] == "applied"


def test_a_create_with_a_taken_id_is_rejected_and_the_batch_goes_on(org, phone):
    first, second = phone("rep1"), phone("rep2")
    taken = new_id()
    first.queue_mutation("customer", "create", taken, fields={"name": "先到"})
    first.send()
    second.queue_mutation("customer", "create", taken, fields={"name": "后到"})
    second.queue_mutation("customer", "create", fields={"name": "正常"})
    results = second.send()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["errors"][0] == {"field": "id", "code": "already_exists", "message": "该编号的记录已存在"}
    first.sync()
    assert first.of("customer")[taken]["name"] == "先到"


def test_a_create_sent_again_under_a_new_mid_does_not_reject_what_follows_it(org, phone):
    """A phone that queues its own create twice (the second under a new mid) gets `already_exists` for the
    second, but the record is theirs: their later edit of it applies, where a collision with somebody
    else's record would make it `depends_on_rejected`."""
    rep, other = phone("rep1"), phone("rep2")
    mine = rep.queue_mutation("customer", "create", fields={"name": "我的"})["id"]
    rep.send()
    theirs = other.queue_mutation("customer", "create", fields={"name": "别人的"})["id"]
    other.send()
    rep.queue_mutation("customer", "create", mine, fields={"name": "我的"})
    rep.queue_mutation("customer", "update", mine, base_version=1, fields={"name": "我的，改过"})
    rep.queue_mutation("customer", "create", theirs, fields={"name": "撞号"})
    rep.queue_mutation("customer", "update", theirs, base_version=1, fields={"name": "不该改"})
    results = rep.send()["results"]
    assert [(r["status"], [e["code"] for e in r.get("errors", [])]) for r in results] == [
        ("rejected", ["already_exists"]),
        ("applied", []),
        ("rejected", ["already_exists"]),
        ("rejected", ["depends_on_rejected"]),
    ]
    rep.sync()
    other.sync()
    assert rep.of("customer")[mine]["name"] == "我的，改过"
    assert other.of("customer")[theirs]["name"] == "别人的"


def test_a_mutation_that_fails_unexpectedly_is_settled_and_the_queue_moves_on(org, phone, monkeypatch):
    """A server bug in one mutation must not block the rep's queue for ever: it settles as rejected with
    `server_error` (the rep sees it and can resend), leaves no trace, and the next mutation applies."""
    from backend.sync import entities

    create_customer = entities.HANDLERS["customer"]

    def broken_for_one_name(ctx, mutation):  # type: ignore[no-untyped-def]
        if mutation.fields.get("name") == "触发故障":
            create_customer(ctx, mutation)  # its writes happen, then the bug strikes
            raise RuntimeError("a bug")
        return create_customer(ctx, mutation)

    monkeypatch.setitem(entities.HANDLERS, "customer", broken_for_one_name)
    rep = phone("rep1")
    broken = rep.queue_mutation("customer", "create", fields={"name": "触发故障"})["id"]
    rep.queue_mutation("customer", "create", fields={"name": "正常"})
    results = rep.send()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["errors"][0]["code"] == "server_error"
    rep.sync()
    assert broken not in rep.of("customer")
    assert [c["name"] for c in rep.of("customer").values()] == ["正常"]


def test_a_visit_that_fails_unexpectedly_in_a_run_settles_alone(org, phone, monkeypatch):
    """In a run of visits written together, a bug in one visit's checks settles it as `server_error`; its
    submit then finds no visit (`not_found`), and the visits around it are written. A bug in the run's
    INSERT itself makes the run settle one by one, with the same receipts."""
    from backend.sync import entities

    batched = entities.BATCHED_CREATES["visit"]

    def prepare(ctx, mutation):  # type: ignore[no-untyped-def]
        if mutation.fields.get("notes") == "触发故障":
            raise RuntimeError("a bug")
        return batched.prepare(ctx, mutation)

    inserts = []

    def insert_failing_once(session, rows):  # type: ignore[no-untyped-def]
        inserts.append(len(rows))
        if len(inserts) == 1:
            raise RuntimeError("a bug in the bulk write")
        batched.insert(session, rows)

    monkeypatch.setitem(
        entities.BATCHED_CREATES, "visit", entities.BatchedCreate(prepare, insert_failing_once, batched.actions)
    )
    rep = phone("rep1")
    customer = new_id()
    rep.queue_mutation("customer", "create", customer, fields={"name": "华东五金"})
    rep.sync()
    before, broken, after = new_id(), new_id(), new_id()
    for visit_id, notes in ((before, "前"), (broken, "触发故障"), (after, "后")):
        rep.queue_mutation("visit", "create", visit_id, fields=visit_fields(customer, notes=notes))
        rep.queue_mutation("visit", "action", visit_id, name="submit", args={})
    results = rep.send()["results"]
    outcomes = [(r["status"], [(e["field"], e["code"]) for e in r.get("errors", [])]) for r in results]
    assert outcomes == [
        ("applied", []),
        ("applied", []),
        ("rejected", [("id", "server_error")]),
        ("rejected", [("id", "not_found")]),
        ("applied", []),
        ("applied", []),
    ]
    assert inserts[0] == 2  # the bulk write was tried (and failed), then each visit went in alone
    rep.sync()
    assert {i: v["status"] for i, v in rep.of("visit").items()} == {before: "submitted", after: "submitted"}
