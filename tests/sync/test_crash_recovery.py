"""A server killed (SIGKILL) while it settles a rep's big push loses nothing and doubles nothing
(SYNC.md rules 1 and 2), on SQLite and on PostgreSQL, with a real server process.

The rep's phone sends several 500-mutation requests back to back (500 visit creates each, for a customer
created first); the server is killed a random moment into the second request. Whatever committed before the
kill must be whole (each settled mid has its receipt and its visit, nothing else exists); after a restart
the phone resends the very same batches (same client_id, same mids) and the server answers `duplicate`
(with the stored receipt) for what it had settled and `applied` for the rest. In the end every mid has one
receipt, every visit exists once at version 1 with one change-log row, and a full pull gives the phone
exactly the server's rows.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.customers.models import Customer
from backend.customers.service import customer_public
from backend.sync.models import ChangeLog, SyncClient, SyncReceipt
from backend.visits.models import Visit
from backend.visits.service import visit_public
from tests.conftest import PG_URL, need
from tests.support.server import REQUEST_SECONDS, ServerPool, ServerProcess, TestDatabase, server_database
from tests.sync.helpers import Phone

pytestmark = pytest.mark.slow
BATCH = 500  # the server's mutation limit per request
BATCHES = 3
SHANGHAI = timezone(timedelta(hours=8))

databases = pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], ids=["sqlite", "postgres"]
)


def _need_database(kind: str) -> None:
    if kind == "postgres":
        need(PG_URL is not None, "PostgreSQL is not configured (set FIELDGOAL_TEST_DATABASE_URL)")


def _visit_fields(customer_id: str, index: int) -> dict[str, Any]:
    check_in = datetime.now(SHANGHAI) - timedelta(days=1, seconds=index)
    return {
        "customer_id": customer_id,
        "check_in_at": check_in.isoformat(timespec="seconds"),
        "lat": 31.23 + index / 100_000,
        "lon": 121.47,
        "accuracy_m": 12,
        "outcome": "follow_up",
        "satisfaction": 1 + index % 5,
        "notes": f"visit {index}: 客户要求下周再来",
    }


class Pusher(threading.Thread):
    """Sends the request bodies one after another, as fast as it can, until one gets no response."""

    def __init__(self, api: Any, bodies: list[dict[str, Any]]):
        super().__init__(name="pusher", daemon=True)
        self.api = api
        self.bodies = bodies
        self.responses: list[dict[str, Any]] = []
        self.durations: list[float] = []
        self.failed_at: int | None = None
        self.failure: BaseException | None = None
        self.first_done = threading.Event()

    def run(self) -> None:
        try:
            for index, body in enumerate(self.bodies):
                started = time.monotonic()
                try:
                    response = self.api.post("/api/v1/sync", json=body)
                except httpx.TransportError as exc:  # the server died under this request
                    self.failed_at, self.failure = index, exc
                    return
                self.durations.append(time.monotonic() - started)
                if response.status_code != 200:
                    self.failed_at, self.failure = index, AssertionError(response.text)
                    return
                self.responses.append(response.json())
                self.first_done.set()
        except BaseException as exc:  # never let a thread die with an unhandled exception
            self.failure = exc
        finally:
            self.first_done.set()


def _post_with_retries(api: Any, body: dict[str, Any], attempts: int = 5) -> dict[str, Any]:
    """What a phone does after a crash: resend the same body until the server answers."""
    for attempt in range(attempts):
        try:
            response = api.post("/api/v1/sync", json=body)
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
            continue
        assert response.status_code == 200, response.text
        body_out: dict[str, Any] = response.json()
        return body_out
    raise AssertionError("unreachable")


def _stored(db: TestDatabase, client_id: str, rep_id: str) -> dict[str, Any]:
    """What the database holds for the phone: its last_mid, receipts, visits and their change-log rows."""
    with Session(db.engine) as session:
        client = session.get(SyncClient, client_id)
        receipts = session.scalars(select(SyncReceipt).where(SyncReceipt.client_id == client_id)).all()
        visits = session.scalars(select(Visit).where(Visit.rep_id == rep_id)).all()
        log_rows = session.scalars(select(ChangeLog).where(ChangeLog.entity == "visit")).all()
        customers = session.scalars(select(Customer).where(Customer.owner_id == rep_id)).all()
        return {
            "last_mid": client.last_mid if client else 0,
            "receipt_mids": sorted(r.mid for r in receipts),
            "receipts": {r.mid: r.result for r in receipts},
            "visit_ids": [v.id for v in visits],
            "visit_versions": {v.id: v.version for v in visits},
            "visits": {v.id: msgspec.to_builtins(visit_public(v)) for v in visits},
            "log_ids": [row.record_id for row in log_rows],
            "log_versions": {row.record_id: row.version for row in log_rows},
            "customers": {c.id: msgspec.to_builtins(customer_public(c)) for c in customers},
        }


@databases
def test_a_server_killed_mid_push_settles_every_mutation_exactly_once(kind: str, tmp_path: Path) -> None:
    _need_database(kind)
    rng = random.Random()
    with server_database(kind, tmp_path, PG_URL) as db, ServerPool(tmp_path) as pool:
        server = pool.start(db)
        assert {"alembic_version", "visit", "change_log", "sync_receipt", "sync_state"} <= db.tables()
        org = db.seed_org()
        rep_id = org.user("rep1")
        phone = Phone(server.sign_in(org.email("rep1")))

        customer_id = str(uuid.uuid4())
        phone.queue_mutation(
            "customer", "create", customer_id, fields={"name": "华东五金", "lat": 31.2, "lon": 121.4}
        )
        phone.sync()
        assert phone.result(1)["status"] == "applied", phone.result(1)

        batches = [
            [
                phone.queue_mutation("visit", "create", fields=_visit_fields(customer_id, b * BATCH + i))
                for i in range(BATCH)
            ]
            for b in range(BATCHES)
        ]
        last = phone.next_mid - 1
        assert last == 1 + BATCH * BATCHES
        visit_ids = {m["id"] for batch in batches for m in batch}
        # A small page keeps the responses about the push; the full pull comes at the end.
        bodies = [
            {"protocol": 1, "client_id": phone.client_id, "cursor": phone.cursor, "limit": 1, "mutations": batch}
            for batch in batches
        ]

        # --- push, and kill the server a random moment into the second request ---------------------------
        pusher = Pusher(phone.api, bodies)
        pusher.start()
        try:
            assert pusher.first_done.wait(REQUEST_SECONDS), "the first batch never finished"
            assert pusher.responses, f"the first batch failed before the kill: {pusher.failure!r}"
            delay = rng.uniform(0.1, 0.7) * pusher.durations[0]
            time.sleep(delay)  # deliberate: a random point inside the second request, checked below
            server.kill()
        finally:
            pusher.join(REQUEST_SECONDS)
        assert not pusher.is_alive()
        answered = len(pusher.responses)
        assert pusher.failure is not None and isinstance(pusher.failure, httpx.TransportError), (
            f"the kill {delay:.2f} s after batch 1 (which took {pusher.durations[0]:.2f} s) did not interrupt a "
            f"request: {answered} batches answered, failure {pusher.failure!r}"
        )
        assert pusher.failed_at == answered
        # A refused connection would mean the kill fell between two requests, not inside one.
        assert not isinstance(pusher.failure, httpx.ConnectError), pusher.failure

        # --- what survived the crash is whole: each settled mid has its receipt and its visit, nothing else
        crashed = _stored(db, phone.client_id, rep_id)
        settled = crashed["last_mid"]
        assert settled < last, "the kill came after everything had settled"
        assert settled >= 1 + BATCH * answered, "a batch the server answered was lost"
        assert crashed["receipt_mids"] == list(range(1, settled + 1))
        settled_visits = {m["id"] for batch in batches for m in batch if m["mid"] <= settled}
        assert set(crashed["visit_ids"]) == settled_visits
        assert len(crashed["visit_ids"]) == settled - 1
        assert sorted(crashed["log_ids"]) == sorted(settled_visits)
        answered_results = {r["mid"]: r for body in pusher.responses for r in body["results"]}
        for mid, result in answered_results.items():
            assert result["status"] == "applied", result
            assert crashed["receipts"][mid] == result

        # --- restart; the phone resends the very same batches until the server answers each -------------
        server.restart()
        retried = [_post_with_retries(phone.api, body) for body in bodies]
        assert retried[-1]["last_mid"] == last
        results = {r["mid"]: r for body in retried for r in body["results"]}
        assert sorted(results) == list(range(2, last + 1))
        wrong = []
        for mid, result in results.items():
            if mid <= settled:
                # Settled before the crash: not applied again, and the stored receipt comes back unchanged.
                if result["status"] != "duplicate" or result["original"] != crashed["receipts"][mid]:
                    wrong.append(result)
            elif result["status"] != "applied" or result["version"] != 1:
                wrong.append(result)
        assert not wrong, f"{len(wrong)} wrong results after the restart, e.g. {wrong[:3]}"

        # --- stored: one receipt per mid, each visit once at version 1, one change-log row per visit ------
        final = _stored(db, phone.client_id, rep_id)
        assert final["last_mid"] == last
        assert final["receipt_mids"] == list(range(1, last + 1))
        assert all(r["status"] == "applied" for r in final["receipts"].values())
        assert len(final["visit_ids"]) == len(set(final["visit_ids"])) == last - 1 == len(visit_ids)
        assert set(final["visit_ids"]) == visit_ids
        assert set(final["visit_versions"].values()) == {1}
        assert sorted(final["log_ids"]) == sorted(visit_ids)
        assert set(final["log_versions"].values()) == {1}

        # --- a full pull gives the phone exactly the server's rows ----------------------------------------
        phone.queue, phone.cursor = [], None
        phone.replica.clear()
        phone.versions.clear()
        phone.sync()
        assert phone.of("visit") == final["visits"]
        assert phone.of("customer") == final["customers"]
        assert set(final["customers"]) == {customer_id}

        print(
            f"[{kind}] batch 1 took {pusher.durations[0]:.2f} s; killed {delay:.2f} s later while request "
            f"{answered + 1} was in flight; {settled - 1} of {last - 1} visits had settled before the kill"
        )


def test_fieldgoal_serve_starts_on_postgresql(tmp_path: Path) -> None:
    """`fieldgoal serve` migrates, then serves: on PostgreSQL too, into the schema of the URL's search_path."""
    need(PG_URL is not None, "PostgreSQL is not configured (set FIELDGOAL_TEST_DATABASE_URL)")
    assert PG_URL is not None
    with TestDatabase.postgres(PG_URL) as db, ServerPool(tmp_path) as pool:
        server: ServerProcess = pool.start(db)
        assert server.running
        assert {"alembic_version", "visit", "change_log", "sync_state"} <= db.tables()
        with Session(db.engine) as session:
            assert session.scalars(select(col(SyncClient.client_id))).all() == []
