"""SYNC.md rule 7: the cursor never passes a change that is still uncommitted.

A writer that has been given its change-log position but not yet committed is held open here; a pull in
between must not hand out a cursor past it, so the next pull still receives it. (Multi-process PostgreSQL:
tests/sync/test_late_commit.py.)
"""

from __future__ import annotations

import threading
import time

from sqlalchemy.orm import Session

from backend.customers.service import add_customer
from backend.db import utcnow
from backend.org.models import Unit, User
from backend.policy import actor_for
from backend.sync.changelog import _stamp
from tests.sync.conftest import new_id


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
