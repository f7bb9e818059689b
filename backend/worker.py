"""The background worker: housekeeping that runs on a schedule, beside or apart from the web server.

It purges expired sync tombstones and rewrites the progress figures that move with the calendar alone
(SYNC.md rule 12: expected_by_today, pace, working days left). Safe to run in several processes at once:
each task is idempotent.
"""

from __future__ import annotations

import logging
import threading

from backend.db import make_engine, session_scope, utcnow
from backend.kpi import service as kpi
from backend.settings import Settings
from backend.sync.changelog import purge_tombstones

log = logging.getLogger("fieldgoal.worker")

INTERVAL_SECONDS = 300


def run_once(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            purged = purge_tombstones(session, settings.tombstone_days)
        with session_scope(engine) as session:
            kpi.refresh_daily(session, utcnow())
        if purged:
            log.info("purged %d tombstones older than %d days", purged, settings.tombstone_days)
    finally:
        engine.dispose()


def run_forever(settings: Settings, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    log.info("worker started")
    while not stop.is_set():
        try:
            run_once(settings)
        except Exception:  # the worker must outlive a passing database outage
            log.exception("worker pass failed; retrying in %ss", INTERVAL_SECONDS)
        stop.wait(INTERVAL_SECONDS)


def start_in_thread(settings: Settings) -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(settings, stop), name="fieldgoal-worker", daemon=True).start()
    return stop
