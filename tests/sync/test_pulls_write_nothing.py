"""A sync with nothing to settle writes nothing (SYNC.md's additions), and `limit: 0` only pushes.

A phone that opens the app pulls far more often than it pushes: a pull that committed a write (the client's
last-seen time) cost an fsync on PostgreSQL and SQLite's one write lock on every call. Now a pull reads in a
read-only transaction, the caller's token is read without a write too (it slides once an hour), and the
last-seen time and clock skew are written at most once a minute.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backend.sync.models import SyncClient
from tests.support.server import happens_within


def _last_seen(engine: Engine, client_id: str) -> Any:
    with Session(engine) as session:
        return session.execute(select(SyncClient.last_seen_at).where(SyncClient.client_id == client_id)).scalar()


def _hold_the_write_lock(engine: Engine) -> Any:
    """A transaction that keeps every writer of the sync tables waiting until it ends (readers go on)."""
    holder = engine.connect()
    if engine.dialect.name == "postgresql":
        holder.exec_driver_sql(
            "LOCK TABLE sync_client, sync_state, change_log, sync_receipt, auth_token IN EXCLUSIVE MODE"
        )
    else:
        holder.exec_driver_sql("SELECT 1")  # begins with BEGIN IMMEDIATE (backend/db.py): SQLite's write lock
    return holder


def test_a_pull_with_nothing_to_settle_takes_no_write_lock(org, phone, engine, clock):
    rep = phone("rep1")
    rep.queue_mutation("customer", "create", fields={"name": "锁外的客户"})
    rep.sync()
    seen = _last_seen(engine, rep.client_id)
    clock.advance(seconds=30)
    holder = _hold_the_write_lock(engine)
    try:
        answers: list[dict[str, Any]] = []
        puller = threading.Thread(target=lambda: answers.append(rep.send()), daemon=True)
        puller.start()
        # A pull that tried to write would wait for the lock (30 s busy timeout on SQLite, for ever on PostgreSQL).
        assert happens_within(lambda: bool(answers), seconds=10), "the pull waited for the write lock"
    finally:
        holder.rollback()
        holder.close()
    assert answers[0]["changes"] == [] and answers[0]["results"] == []
    assert _last_seen(engine, rep.client_id) == seen


def test_last_seen_and_skew_are_written_at_most_once_a_minute(org, phone, engine, clock):
    rep = phone("rep1")
    rep.send()  # a new client: its row is written
    first = _last_seen(engine, rep.client_id)
    assert first == clock.now
    clock.advance(seconds=59)
    rep.send()
    assert _last_seen(engine, rep.client_id) == first
    clock.advance(seconds=2)
    rep.send(client_time=(clock.now + timedelta(minutes=4)).isoformat())  # the phone's clock four minutes ahead
    assert _last_seen(engine, rep.client_id) == clock.now
    with Session(engine) as session:
        skew = session.execute(
            select(SyncClient.skew_seconds).where(SyncClient.client_id == rep.client_id)
        ).scalar_one()
    assert skew == 240.0


def test_a_push_always_notes_the_client(org, phone, engine, clock):
    """Mutations write anyway: the client's last-seen time rides along, whatever the minute."""
    rep = phone("rep1")
    rep.send()
    clock.advance(seconds=10)
    rep.queue_mutation("customer", "create", fields={"name": "推送的客户"})
    rep.send()
    assert _last_seen(engine, rep.client_id) == clock.now


def test_limit_0_pushes_without_a_page(org, phone, engine):
    rep = phone("rep1")
    created = rep.queue_mutation("customer", "create", fields={"name": "只推不拉"})
    answer = rep.send(limit=0)
    assert [r["status"] for r in answer["results"]] == ["applied"]
    assert answer["changes"] == [] and answer["cursor"] is None and answer["has_more"] is False
    rep.sync()
    assert created["id"] in rep.of("customer")
    cursor = rep.cursor
    assert rep.send(limit=0)["cursor"] == cursor


def test_a_client_of_another_user_is_refused_on_a_pull_too(org, phone, engine):
    rep, other = phone("rep1"), phone("rep2")
    rep.send()
    other.client_id = rep.client_id
    response = other.api.post("/api/v1/sync", json=other.envelope())
    assert response.status_code == 403
    assert response.json()["code"] == "client_taken"
