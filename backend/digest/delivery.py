"""The digest queue, in the three steps of the other queues (backend/notify/delivery.py): claim due rows
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, with a lease), send through SMTP with no transaction open, settle:
`sent`; a 5xx refusal `failed`; an unreachable server or a 4xx retried with a doubling wait, up to
`push_max_attempts`. A digest not out within a day is dropped: tomorrow's replaces it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from backend.db import due_rows, session_scope
from backend.digest import mailer
from backend.digest.models import EmailDigest
from backend.settings import Settings

log = logging.getLogger("fieldgoal.digest")

MAX_AGE = timedelta(days=1)
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Claimed:
    digest_id: str
    to: str
    subject: str
    text: str
    html: str


def deliver_due(
    engine: Engine,
    settings: Settings,
    clock: Callable[[], datetime],
    worker_id: str,
    executor: Executor | None = None,
) -> int:
    """One pass; returns how many digests were claimed."""
    if not settings.smtp_host:
        return 0
    with session_scope(engine, clock) as session:
        claimed = claim(session, settings, clock(), worker_id)
    if not claimed:
        return 0

    def one(item: Claimed) -> Exception | None:
        try:
            mailer.send(settings, item.to, item.subject, item.text, item.html)
        except Exception as exc:  # recorded on the digest, never raised past the worker
            return exc
        return None

    outcomes = list(executor.map(one, claimed)) if executor is not None else [one(item) for item in claimed]
    with session_scope(engine, clock) as session:
        settle(session, settings, list(zip(claimed, outcomes, strict=True)), clock(), worker_id)
    return len(claimed)


def claim(session: Session, settings: Settings, now: datetime, worker_id: str) -> list[Claimed]:
    rows = due_rows(session, EmailDigest, now, settings.push_batch_size)
    claimed = []
    lease = timedelta(seconds=settings.channel_timeout_seconds * 3 + 30)
    for row in rows:
        if now - row.created_at > MAX_AGE:
            row.status, row.claimed_by, row.lease_until, row.last_error = "failed", None, None, "stale"
            continue
        row.status, row.claimed_by, row.lease_until = "sending", worker_id, now + lease
        row.attempts += 1
        claimed.append(Claimed(row.id, row.to_address, row.subject, row.text_body, row.html_body))
    return claimed


def settle(
    session: Session,
    settings: Settings,
    results: list[tuple[Claimed, Exception | None]],
    now: datetime,
    worker_id: str,
) -> None:
    for item, outcome in results:
        row = session.get(EmailDigest, item.digest_id)
        if row is None or row.status != "sending" or row.claimed_by != worker_id:
            continue
        row.claimed_by, row.lease_until = None, None
        if outcome is None:
            row.status, row.sent_at, row.last_error = "sent", now, None
            continue
        row.last_error = f"{type(outcome).__name__}: {outcome}"[:300]
        if isinstance(outcome, mailer.MailRefused) or row.attempts >= settings.push_max_attempts:
            row.status = "failed"
            log.warning("digest %s not sent: %s", row.id, row.last_error)
            continue
        backoff = min(timedelta(seconds=settings.push_retry_seconds * 2 ** (row.attempts - 1)), MAX_BACKOFF)
        row.status, row.due_at = "pending", now + backoff
    session.flush()
