"""The background worker: pushes, morning nudges and housekeeping, beside or apart from the web server.

`fieldgoal serve` runs it in a thread (unless `--no-worker`); `fieldgoal worker` runs it alone, and several
may run against one PostgreSQL database. Each loop:

- every `worker_poll_seconds`: send the due pushes (backend/notify/delivery.py; rows are claimed with
  `FOR UPDATE SKIP LOCKED`, so two workers never send one delivery), at once again while a batch was full,
  then the team channels' messages the same way (backend/channels/delivery.py);
- every minute: the morning nudges of the users whose morning it is (backend/notify/rules.py), and the email
  digests of those who chose one (backend/digest/service.py);
- every five minutes: purge expired sync tombstones, rewrite the progress figures that move with the
  calendar alone (SYNC.md rule 12) before the nudges read them, award badges and suggest improvement plans,
  and remove the visit photos no visit has listed for `attachment_retention_days` (backend/visits/photos.py).

Every task is idempotent (dedupe keys, leases, recounts), so overlapping workers are safe.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import backend.models  # noqa: F401  (the tables and every synced entity's declaration)
from backend.channels import delivery as channel_delivery
from backend.coaching.service import notify_plan_suggestions
from backend.db import make_engine, session_scope, utcnow
from backend.digest import delivery as digest_delivery
from backend.digest import service as digest
from backend.kpi import service as kpi
from backend.notify import rules
from backend.notify.delivery import deliver_due
from backend.push.keys import load_or_create_vapid_key
from backend.rewards.badges import evaluate_badges
from backend.settings import SESSION_KEY, Settings
from backend.storage import open_storage
from backend.sync.changelog import purge_tombstones
from backend.visits import photos

log = logging.getLogger("fieldgoal.worker")

HOUSEKEEPING_SECONDS = 300
NUDGE_SECONDS = 60
# Kept for callers that read it: the longest a housekeeping task waits.
INTERVAL_SECONDS = HOUSEKEEPING_SECONDS


class Worker:
    """One worker: its database engine, VAPID key, name (for the delivery leases) and send threads."""

    def __init__(
        self, settings: Settings, *, engine: Engine | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.settings = settings
        self._own_engine = engine is None
        self.engine = engine or make_engine(settings.database_url)
        self.clock = clock
        self.vapid = load_or_create_vapid_key(settings.data_dir, settings.vapid_private_key)
        self.storage = open_storage(settings)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.executor = ThreadPoolExecutor(settings.push_concurrency, thread_name_prefix="fieldgoal-push")
        # Users whose morning this worker already evaluated, by local day (dedupe keys make it safe to forget).
        self._mornings: set[tuple[str, date]] = set()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with session_scope(self.engine, self.clock) as session:
            session.info[SESSION_KEY] = self.settings
            yield session

    def housekeeping(self) -> None:
        with self._session() as session:
            purged = purge_tombstones(session, self.settings.tombstone_days)
        with self._session() as session:
            kpi.refresh_daily(session, self.clock())
        with self._session() as session:
            evaluate_badges(session, self.clock())
            notify_plan_suggestions(session, self.clock())
        with self._session() as session:
            swept = photos.sweep(session, self.storage, self.settings.attachment_retention_days, self.clock())
        if purged:
            log.info("purged %d tombstones older than %d days", purged, self.settings.tombstone_days)
        if swept:
            log.info(
                "removed %d photos no visit listed for %d days", swept, self.settings.attachment_retention_days
            )

    def nudges(self) -> int:
        today = self.clock().date()
        # Forget days long past, so the memory stays one or two days deep.
        self._mornings = {(user, day) for user, day in self._mornings if (today - day).days < 2}
        with self._session() as session:
            made = rules.evaluate_mornings(session, self.settings, self.clock(), self._mornings)
        with self._session() as session:
            digest.queue_mornings(session, self.settings, self.clock())
        return made

    def deliver(self) -> int:
        """Send the due pushes, batch after batch, until none is due; returns how many were attempted."""
        total = 0
        while True:
            done = deliver_due(self.engine, self.settings, self.vapid, self.clock, self.name, self.executor)
            total += done
            if done < self.settings.push_batch_size:
                break
        self.deliver_to_channels()
        while digest_delivery.deliver_due(self.engine, self.settings, self.clock, self.name, self.executor):
            pass  # the email digests, batch after batch (backend/digest/delivery.py)
        return total

    def deliver_to_channels(self) -> int:
        """Send the due team channel messages (backend/channels/delivery.py); returns how many rows were taken."""
        total = 0
        while True:
            done = channel_delivery.deliver_due(self.engine, self.settings, self.clock, self.name, self.executor)
            total += done
            if done < self.settings.push_batch_size:
                return total

    def run_once(self) -> None:
        """Everything once, in order: figures, then the nudges that read them, then the pushes."""
        self.housekeeping()
        self.nudges()
        self.deliver()

    def run_forever(self, stop: threading.Event) -> None:
        log.info("worker %s started", self.name)
        last_housekeeping = last_nudges = float("-inf")
        monotonic = time.monotonic
        while not stop.is_set():
            try:
                if monotonic() - last_housekeeping >= HOUSEKEEPING_SECONDS:
                    last_housekeeping = monotonic()
                    self.housekeeping()
                if monotonic() - last_nudges >= NUDGE_SECONDS:
                    last_nudges = monotonic()
                    self.nudges()
                self.deliver()
            except Exception:  # the worker must outlive a passing database outage
                log.exception("worker pass failed; retrying in %ss", self.settings.worker_poll_seconds)
            stop.wait(self.settings.worker_poll_seconds)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        if self._own_engine:
            self.engine.dispose()


def run_once(settings: Settings, *, engine: Engine | None = None, clock: Callable[[], datetime] = utcnow) -> None:
    worker = Worker(settings, engine=engine, clock=clock)
    try:
        worker.run_once()
    finally:
        worker.close()


def run_forever(settings: Settings, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # `fieldgoal worker` under a process manager: SIGTERM finishes the pass in hand, then stops.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker = Worker(settings)
    try:
        worker.run_forever(stop)
    finally:
        worker.close()


def start_in_thread(settings: Settings) -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(settings, stop), name="fieldgoal-worker", daemon=True).start()
    return stop
