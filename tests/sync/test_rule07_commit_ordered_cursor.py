"""SYNC.md rule 7: the cursor never passes a change that is still uncommitted.

A writer that has been given its change-log position but not yet committed is held open here; a pull in
between must not hand out a cursor past it, so the next pull still receives it. (Multi-process PostgreSQL:
tests/sync/test_late_commit.py.)
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.customers.models import Customer
from backend.customers.service import add_customer
from backend.db import utcnow
from backend.org.models import Unit, User
from backend.policy import actor_for
from backend.sync.changelog import _stamp
from backend.sync.models import ChangeLog
from tests.sync.conftest import customer_and_visit, new_id
from tests.sync.helpers import Phone, assert_bodies_current


def test_a_change_that_commits_late_is_never_skipped(org, phone, engine):
    lead = phone("lead1")
    lead.sync()
    late_id = new_id()
    writer = Session(engine)
    rep = writer.get(User, org.user("rep1"))
    unit = writer.get(Unit, org.unit("team1"))
    assert rep is not None and unit is not None
    add_customer(writer, actor_for(rep, unit), late_id, {"name": "迟到的客户"}, utcnow())
    _stamp(writer)  # position handed out, transaction still open
    pulled: list[dict] = []
    puller = threading.Thread(target=lambda: pulled.append(lead.send()))
    puller.start()
    time.sleep(0.5)  # on SQLite the pull waits for the writer; on PostgreSQL it answers at once
    writer.commit()
    writer.close()
    puller.join(timeout=30)
    assert not puller.is_alive()
    seen_first = {c["id"] for c in pulled[0]["changes"]}
    lead.sync()
    assert late_id in lead.of("customer"), "the late commit was skipped"
    assert late_id in seen_first or pulled[0]["cursor"] != lead.cursor


def test_positions_follow_commit_order_with_concurrent_writers(org, phone, engine):
    """Eight phones pushing at once: every change reaches a puller that pulls throughout."""
    reps = [phone("rep1") for _ in range(4)] + [phone("rep2") for _ in range(4)]
    lead = phone("lead1")
    created: set[str] = set()
    for p in reps:
        for _ in range(10):
            created.add(p.queue_mutation("customer", "create", fields={"name": "并发"})["id"])
    stop = threading.Event()
    errors: list[BaseException] = []

    def pull_forever() -> None:
        try:
            while not stop.is_set():
                lead.send()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    puller = threading.Thread(target=pull_forever)
    puller.start()
    pushers = [threading.Thread(target=p.sync) for p in reps]
    for t in pushers:
        t.start()
    for t in pushers:
        t.join()
    stop.set()
    puller.join()
    assert errors == []
    lead.sync()
    assert created <= set(lead.of("customer"))


def _full_pull(fresh: Phone) -> dict[str, dict]:
    return {c["id"]: c for body in fresh.sync() for c in body["changes"]}


def test_the_log_keeps_each_change_as_it_is_pulled_and_older_rows_are_shaped_from_the_record(org, phone, engine):
    """A change commits with its wire form; a row that keeps none (logged before the log kept them) is shaped
    from its record as it is now. Both pull the same change."""
    rep = phone("rep1")
    customer_id, visit_id = customer_and_visit(rep, submit=True)
    rep.sync()
    with Session(engine) as session:
        kept = dict(session.execute(select(ChangeLog.record_id, ChangeLog.body)).all())
    pulled = _full_pull(phone("rep1"))
    for record_id in (customer_id, visit_id):
        assert json.loads(kept[record_id]) == pulled[record_id]
    assert pulled[visit_id]["data"]["status"] == "submitted" and pulled[visit_id]["version"] == 2
    with Session(engine) as session:
        session.execute(update(ChangeLog).values(body=None))
        session.commit()
    assert _full_pull(phone("rep1")) == pulled


def test_a_record_changed_without_its_log_entry_is_caught_by_the_body_check(org, phone, engine):
    """The check every sync test ends with (conftest.py) fails when a write changes a record without moving
    its version (so no change is captured)."""
    rep = phone("rep1")
    customer_id, _ = customer_and_visit(rep)
    rep.sync()
    with Session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        customer.name = "改了却没记"
        session.commit()
    with pytest.raises(AssertionError, match="differ from their records"):
        assert_bodies_current(engine)
    with Session(engine) as session:  # put it back, so the check after this test passes
        customer = session.get(Customer, customer_id)
        assert customer is not None
        customer.name = "华东五金"
        session.commit()
