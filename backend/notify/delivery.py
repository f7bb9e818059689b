"""The push queue: one `Delivery` per new notification and subscription, sent by the worker.

A pass of `deliver_due` works in three steps, so that no transaction is open while a push service answers:

1. **claim** (one short transaction): take up to `push_batch_size` due rows, `FOR UPDATE SKIP LOCKED` on
   PostgreSQL so that several worker processes each take different rows (SQLite runs one writer at a time
   anyway: `BEGIN IMMEDIATE`); mark them `sending` with a lease and this worker's name. Rows whose user is in
   quiet hours go back to `pending` until the quiet hours end; rows older than `MAX_AGE` expire.
2. **send** (no transaction): encrypt and POST each message through `backend.push.sender`, a few at a time.
3. **settle** (one short transaction): record each answer on rows this worker still holds. 2xx is `sent`;
   404/410 (and keys that can never work) delete the subscription; 429/503 wait for Retry-After; other 5xx
   and an unreachable service retry with a doubling wait; any other answer, or too many attempts, `failed`.

A worker that dies between 1 and 3 leaves `sending` rows whose lease expires; they are claimed again, so a
message is sent at least once and, short of such a crash, exactly once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.db import due_rows, rows_by_id, session_scope
from backend.notify.models import Delivery, Notification, PushSubscription
from backend.org.models import DEFAULT_TIMEZONE, User
from backend.push import sender
from backend.push.keys import VapidKey
from backend.settings import Settings

log = logging.getLogger("fieldgoal.push")

# A message not out within this long of its notification is dropped: its news is stale, and the inbox has it.
MAX_AGE = timedelta(days=2)
# The longest wait between two attempts.
MAX_BACKOFF = timedelta(hours=1)
# Digests and nudges are not worth waking a phone for; the rest is ordinary news (RFC 8030 §5.3).
URGENCY = {"behind_pace": "low", "approvals_waiting": "low", "follow_ups_due": "low"}
# Kinds of which only the newest matters: a push service replaces an undelivered one with the same Topic.
TOPIC_KINDS = ("behind_pace", "approvals_waiting", "follow_ups_due", "milestone")


def enqueue_pushes(session: Session, notification: Notification, now: datetime) -> int:
    """Queue the notification for every subscription of its user (in the notification's transaction)."""
    ids = list(
        session.scalars(select(PushSubscription.id).where(PushSubscription.user_id == notification.user_id))
    )
    session.add_all(
        Delivery(notification_id=notification.id, subscription_id=sid, due_at=now, created_at=now) for sid in ids
    )
    return len(ids)


# --- what a push carries --------------------------------------------------------------------------------------


def topic_key(notification: Notification) -> str | None:
    """What a newer push replaces: the same kind for the same user (and the same goal, for milestones)."""
    if notification.kind not in TOPIC_KINDS:
        return None
    goal = notification.data.get("goal_id", "") if notification.kind == "milestone" else ""
    return f"{notification.user_id}:{notification.kind}:{goal}"


def push_payload(notification: Notification) -> bytes:
    """The JSON the service worker shows (pwa/sw.js): title, body, tag, url; the body is shortened to fit
    one push message (4 KB less encryption overhead), since a long rejection comment in Chinese would not."""
    message = {
        "id": notification.id,
        "kind": notification.kind,
        "title": notification.title[:200],
        "body": notification.body,
        "tag": topic_key(notification) or notification.id,
        "url": str(notification.data.get("url") or "/")[:500],
    }

    def encoded(body: str) -> bytes:
        return json.dumps(message | {"body": body}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    full = encoded(notification.body)
    if len(full) <= sender.MAX_PAYLOAD_BYTES:
        return full
    low, high = 0, len(notification.body)  # the longest prefix that fits, found by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if len(encoded(notification.body[:middle] + "…")) <= sender.MAX_PAYLOAD_BYTES:
            low = middle
        else:
            high = middle - 1
    return encoded(notification.body[:low] + "…")


# --- quiet hours -------------------------------------------------------------------------------------------


def quiet_until(now: datetime, zone: ZoneInfo, start_hour: int, end_hour: int) -> datetime | None:
    """The end of the quiet hours `now` falls in, in `zone`; None outside them (or with none configured)."""
    if start_hour == end_hour:
        return None
    local = now.astimezone(zone)
    hour = local.hour
    quiet = (hour >= start_hour or hour < end_hour) if start_hour > end_hour else start_hour <= hour < end_hour
    if not quiet:
        return None
    day = local.date() if hour < end_hour else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end_hour), tzinfo=zone).astimezone(UTC)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


# --- one pass ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds, with everything the send needs (read inside the claim transaction)."""

    delivery_id: str
    subscription_id: str
    subscription: sender.Subscription
    payload: bytes
    urgency: str
    topic: str | None
    attempts: int


Outcome = sender.SendResult | Exception


def deliver_due(
    engine: Engine,
    settings: Settings,
    vapid: VapidKey,
    clock: Callable[[], datetime],
    worker_id: str,
    executor: Executor | None = None,
) -> int:
    """One pass: claim what is due, send it, record the answers. Returns how many deliveries were sent
    or retried (0 when nothing was due), so a caller can loop again at once while there is work."""
    with session_scope(engine, clock) as session:
        claimed = claim(session, settings, clock(), worker_id)
    if not claimed:
        return 0
    outcomes = send_all(claimed, settings, vapid, executor)
    with session_scope(engine, clock) as session:
        settle(session, settings, list(zip(claimed, outcomes, strict=True)), clock(), worker_id)
    return len(claimed)


def claim(session: Session, settings: Settings, now: datetime, worker_id: str) -> list[Claimed]:
    """Take this worker's share of the due deliveries (see the module's docstring, step 1)."""
    rows = due_rows(session, Delivery, now, settings.push_batch_size)
    if not rows:
        return []
    notifications = rows_by_id(session, Notification, {r.notification_id for r in rows})
    subscriptions = rows_by_id(session, PushSubscription, {r.subscription_id for r in rows if r.subscription_id})
    zones = dict(
        session.execute(
            select(User.id, User.timezone).where(col(User.id).in_({n.user_id for n in notifications.values()}))
        ).all()
    )
    lease = timedelta(seconds=settings.push_timeout_seconds * 3 + 30)
    claimed: list[Claimed] = []
    for row in rows:
        notification = notifications[row.notification_id]
        subscription = subscriptions.get(row.subscription_id or "")
        if subscription is None:
            row.status, row.subscription_id, row.lease_until = "gone", None, None
            continue
        if now - notification.created_at > MAX_AGE:
            row.status, row.lease_until, row.last_error = "expired", None, "not delivered in time"
            continue
        held = quiet_until(
            now, _zone(zones.get(notification.user_id)), settings.quiet_hours_start, settings.quiet_hours_end
        )
        if held is not None:
            # Quiet hours: the push waits for the morning (the inbox already has the notification).
            row.status, row.due_at, row.claimed_by, row.lease_until = "pending", held, None, None
            continue
        row.status, row.claimed_by, row.lease_until = "sending", worker_id, now + lease
        # Counted at the claim, so that a message that crashes its worker every time is still given up.
        row.attempts += 1
        topic = topic_key(notification)
        claimed.append(
            Claimed(
                delivery_id=row.id,
                subscription_id=subscription.id,
                subscription=sender.Subscription(subscription.endpoint, subscription.p256dh, subscription.auth),
                payload=push_payload(notification),
                urgency=URGENCY.get(notification.kind, "normal"),
                topic=sender.topic_for(topic) if topic else None,
                attempts=row.attempts,
            )
        )
    return claimed


def send_all(
    claimed: Sequence[Claimed], settings: Settings, vapid: VapidKey, executor: Executor | None = None
) -> list[Outcome]:
    """Send each claimed message; an exception is an outcome too (step 2: no transaction is open)."""

    def one(item: Claimed) -> Outcome:
        try:
            return sender.send(
                item.subscription,
                item.payload,
                vapid=vapid,
                subject=settings.vapid_subject,
                ttl=settings.push_ttl_seconds,
                urgency=item.urgency,
                topic=item.topic,
                timeout=float(settings.push_timeout_seconds),
            )
        except Exception as exc:  # every failure is recorded on its delivery, never raised past the worker
            return exc

    if executor is None:
        return [one(item) for item in claimed]
    return list(executor.map(one, claimed))


def settle(
    session: Session, settings: Settings, results: Iterable[tuple[Claimed, Outcome]], now: datetime, worker_id: str
) -> None:
    """Record what each push service answered (step 3)."""
    results = list(results)
    rows = rows_by_id(session, Delivery, {item.delivery_id for item, _ in results})
    gone: set[str] = set()
    for item, outcome in results:
        row = rows.get(item.delivery_id)
        # Another worker took the row over (our lease ran out) or its subscription went meanwhile: theirs now.
        if row is None or row.status != "sending" or row.claimed_by != worker_id:
            continue
        row.claimed_by, row.lease_until = None, None
        if isinstance(outcome, sender.SendResult):
            row.last_status, row.last_error = outcome.status, outcome.detail[:300] or None
            if outcome.ok:
                row.status, row.sent_at, row.last_error = "sent", now, None
            elif outcome.gone:
                gone.add(item.subscription_id)
            elif outcome.status in (429, 503) and outcome.retry_after is not None:
                _retry(row, settings, now, wait=timedelta(seconds=outcome.retry_after))
            elif outcome.status == 429 or outcome.status >= 500:
                _retry(row, settings, now)
            else:  # 400, 401, 403, 413: this message will never be accepted as it is
                row.status = "failed"
                log.warning("push %s refused with %s: %s", row.id, outcome.status, outcome.detail)
        elif isinstance(outcome, sender.InvalidSubscription):
            row.last_error = str(outcome)[:300]
            gone.add(item.subscription_id)
        elif isinstance(outcome, sender.PayloadTooLarge):
            row.status, row.last_error = "failed", str(outcome)[:300]
        else:  # unreachable push service (or a bug): try again later
            row.last_error = f"{type(outcome).__name__}: {outcome}"[:300]
            _retry(row, settings, now)
    session.flush()
    for subscription_id in gone:
        forget_subscription(session, subscription_id)


def _retry(row: Delivery, settings: Settings, now: datetime, wait: timedelta | None = None) -> None:
    if row.attempts >= settings.push_max_attempts:
        row.status = "failed"
        return
    backoff = min(timedelta(seconds=settings.push_retry_seconds * 2 ** (row.attempts - 1)), MAX_BACKOFF)
    # A Retry-After is the push service's word: never earlier, even when our own backoff would be shorter.
    row.status, row.due_at = "pending", now + (wait if wait is not None else backoff)


def forget_subscription(session: Session, subscription_id: str) -> None:
    """Delete a subscription (gone at the push service, or unsubscribed); its unsent deliveries end `gone`."""
    session.execute(
        update(Delivery)
        .where(col(Delivery.subscription_id) == subscription_id, col(Delivery.status).in_(("pending", "sending")))
        .values(status="gone", lease_until=None, claimed_by=None)
    )
    session.execute(
        update(Delivery).where(col(Delivery.subscription_id) == subscription_id).values(subscription_id=None)
    )
    subscription = session.get(PushSubscription, subscription_id)
    if subscription is not None:
        session.delete(subscription)
    session.flush()
