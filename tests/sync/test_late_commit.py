"""A change that commits late is never skipped by a cursor (SYNC.md rule 7), with two real server processes
on one PostgreSQL database and a slow writer held open by the test itself.

What goes wrong with a plain cursor. Suppose positions came from a sequence (or a clock) taken when a
change is written. A slow writer W1 takes position 11 and keeps its transaction open; a fast writer W2 takes
12 and commits. A phone that pulls now sees 12 (11 is invisible, being uncommitted) and is handed a cursor
at 12. W1 then commits 11, and every later pull asks for "after 12": the change at 11 is skipped for ever, and
that phone never learns about W1's record. A timestamp cursor fails the same way (W1's `updated_at` is older
than W2's), and clock skew between server processes makes it worse.

How these tests catch it. The slow writer is a transaction in the test process, written through the
service layer (`add_customer`, which records the change); a push from a second phone goes through server
process A and a team lead pulls through server process B, so no in-process lock can hide the race.

- `held_at_the_counter`: the slow writer has already been given its position (`_stamp`, which takes the
  counter row FOR UPDATE and writes the change-log row) but has not committed. The push through A must wait
  for it (it is seen blocked on a lock in pg_stat_activity and has not answered after a second); the lead's
  pull through B meanwhile must answer a cursor below the held position. With positions handed out without
  that lock, the push would commit a higher position first and the lead's cursor would pass the held one.
- `stamped_at_commit`: the slow writer has written its row but not reached its commit. The push through A
  goes through and commits; the lead pulls it. Then the slow writer commits. Its position must come after the
  push's, so the lead's next pull still brings it. With positions taken at insert (a sequence default), the
  held row would sit below the cursor the lead already holds and be skipped.

In both, after the slow writer commits and the push has answered, the lead pulls again from the cursor it
held and must receive both customers; and the positions in `change_log.seq` follow the commit order.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy.orm import Session
from sqlmodel import select

from backend.customers.models import Customer
from backend.customers.service import add_customer, customer_public
from backend.db import utcnow
from backend.org.models import Unit, User
from backend.policy import actor_for
from backend.sync.changelog import _stamp
from backend.sync.models import ChangeLog
from tests.conftest import PG_URL, need
from tests.support.server import ServerPool, TestDatabase, happens_within, wait_until
from tests.sync.helpers import Phone

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
WAIT = 30.0  # bound on every wait: the machine is small and shared


class InThread(threading.Thread):
    """Runs `work()` once; keeps its result or its exception (nothing escapes the thread)."""

    def __init__(self, work: Callable[[], Any]):
        super().__init__(name="push", daemon=True)
        self.work = work
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as exc:
            self.error = exc
        finally:
            self.done.set()


def _position(cursor: str) -> int:
    """The change-log position inside a cursor (opaque to clients; this test knows it is `epoch.position`)."""
    return int(cursor.rpartition(".")[2])


def _seq(db: TestDatabase, record_id: str) -> int:
    with Session(db.engine) as session:
        return session.scalars(select(ChangeLog.seq).where(ChangeLog.record_id == record_id)).one()


@pytest.mark.parametrize("held", ["held_at_the_counter", "stamped_at_commit"])
def test_a_change_that_commits_late_is_never_skipped(held: str, tmp_path: Path) -> None:
    need(PG_URL is not None, "PostgreSQL is not configured (set FIELDGOAL_TEST_DATABASE_URL)")
    assert PG_URL is not None
    with TestDatabase.postgres(PG_URL) as db, ServerPool(tmp_path) as pool:
        server_a = pool.start(db, "a")
        server_b = pool.start(db, "b")
        assert {"alembic_version", "customer", "change_log", "sync_state"} <= db.tables()
        org = db.seed_org()
        pusher = Phone(server_a.sign_in(org.email("rep2")))
        lead = Phone(server_b.sign_in(org.email("lead1")))
        lead.sync()
        start = _position(lead.cursor or "")

        late_id, pushed_id = str(uuid.uuid4()), str(uuid.uuid4())
        slow = Session(db.engine, expire_on_commit=False)
        push: InThread | None = None
        try:
            # The slow writer: rep1 adds a customer through the service layer, in a transaction left open.
            rep1 = slow.get(User, org.user("rep1"))
            assert rep1 is not None
            unit = slow.get(Unit, rep1.unit_id)
            assert unit is not None
            add_customer(slow, actor_for(rep1, unit), late_id, {"name": "迟到的客户"}, utcnow())
            held_seq: int | None = None
            if held == "held_at_the_counter":
                _stamp(slow)  # positions handed out, the counter row locked, nothing committed
                held_seq = slow.scalars(select(ChangeLog.seq).where(ChangeLog.record_id == late_id)).one()
                assert held_seq > start

            # Meanwhile rep2 (same team as rep1) pushes a customer through server A.
            pusher.queue_mutation("customer", "create", pushed_id, fields={"name": "准时的客户"})
            push = InThread(pusher.send)
            push.start()
            # What a client could observe goes into `problems`, so that a broken server shows the whole story
            # (answered early, cursor past the held change, the change skipped) rather than the first symptom.
            problems: list[str] = []
            if held == "held_at_the_counter":
                wait_until(
                    lambda: push.done.is_set() or db.backends(server_a.application_name, waiting_on_lock=True),
                    WAIT,
                    "the push to either finish or wait on a lock",
                )
                if happens_within(push.done.is_set, 1.0):
                    problems.append(
                        f"the push answered while the change at position {held_seq} was uncommitted "
                        f"(error {push.error!r}, results {push.result and push.result['results']})"
                    )
            else:
                assert happens_within(push.done.is_set, WAIT), (
                    "the push waited for a transaction that holds no sync lock"
                )
                assert push.error is None, push.error
                assert pusher.result(1)["status"] == "applied", pusher.result(1)

            # The lead pulls through server B in between.
            before = time.monotonic()
            between = lead.send()
            took = time.monotonic() - before
            between_ids = {c["id"] for c in between["changes"]}
            assert late_id not in between_ids  # uncommitted: invisible anyway
            if held_seq is not None:
                if _position(between["cursor"]) >= held_seq:
                    problems.append(
                        f"the lead was handed cursor {between['cursor']} at or past the uncommitted position "
                        f"{held_seq}"
                    )
                if pushed_id in between_ids:
                    problems.append("the lead pulled the push that came after the uncommitted change")
            else:
                assert pushed_id in between_ids
            assert took < WAIT, f"a pull waited {took:.1f} s for a writer"

            slow.commit()  # the slow writer commits, late
        finally:
            slow.rollback()  # no-op after the commit; releases the counter if the test failed before it
            slow.close()
            if push is not None:
                happens_within(lambda: not push.is_alive(), WAIT)
        assert push is not None and not push.is_alive(), "the push never finished"
        assert push.error is None, push.error
        assert pusher.result(1)["status"] == "applied", pusher.result(1)

        # The lead pulls again from the cursor it was given: the late change arrives, and with the pull in
        # between the lead has received both customers.
        bodies = lead.sync()
        received = [c["id"] for body in bodies for c in body["changes"]]
        if late_id not in received:
            problems.append(f"the change that committed late was skipped (pulled after it: {received})")
        assert not problems, "\n".join(problems)
        assert pushed_id in received or pushed_id in between_ids
        with Session(db.engine) as session:
            stored = {c.id: msgspec.to_builtins(customer_public(c)) for c in session.scalars(select(Customer))}
        assert lead.of("customer") == {late_id: stored[late_id], pushed_id: stored[pushed_id]}
        assert pusher.of("customer") == {pushed_id: stored[pushed_id]}  # rep2 never sees rep1's customer

        # Positions follow commit order.
        late_seq, pushed_seq = _seq(db, late_id), _seq(db, pushed_id)
        if held == "held_at_the_counter":
            assert late_seq == held_seq
            assert start < late_seq < pushed_seq  # the late writer committed first
        else:
            assert start < pushed_seq < late_seq  # the push committed first
        assert _position(lead.cursor or "") >= max(late_seq, pushed_seq)
