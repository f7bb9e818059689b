"""The channel queue: one `ChannelMessage` per event and channel, sent by the worker, in the three steps of
the Web Push queue (backend/notify/delivery.py), so that no transaction is open while a robot answers:

1. **claim** (one short transaction): up to `push_batch_size` due rows, `FOR UPDATE SKIP LOCKED` on
   PostgreSQL (several workers take different rows). Per channel: rows of a disabled or deleted channel end
   `gone`; rows in the quiet hours of the unit's time zone wait until they end (a test message does not);
   then the platform's rate limit (messages sent in the last minute, and those in flight): within it, each
   row is claimed; over it, everything waiting for the channel is merged into one message; at it, the rows
   wait until the minute has passed. A per-second limit (Feishu's 5) holds the rest for a second.
2. **send** (no transaction): sign and POST through `backend.channels.sender`.
3. **settle** (one short transaction): the verdict of each answer (backend/channels/wire.py): `sent`; over
   the rate limit, wait a minute (not a failure); refused or revoked, `failed`; busy or unreachable, retry
   with a doubling wait. Every failure adds one to the channel's failures in a row (a success resets them);
   at `channel_max_failures` the channel is disabled and its managers told (backend/channels/service.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.channels import crypto, dingtalk, feishu, messages, sender, wecom
from backend.channels.models import ChannelMessage, TeamChannel
from backend.channels.service import disable
from backend.channels.wire import Verdict
from backend.db import due_rows, session_scope
from backend.notify.delivery import quiet_until
from backend.org.models import DEFAULT_TIMEZONE, Unit
from backend.settings import Settings

log = logging.getLogger("fieldgoal.channels")

PLATFORMS: dict[str, ModuleType] = {"wecom": wecom, "dingtalk": dingtalk, "feishu": feishu}

# A message not out within this long is dropped: its news is stale.
MAX_AGE = timedelta(days=2)
MAX_BACKOFF = timedelta(hours=1)
RATE_WINDOW = timedelta(minutes=1)
BURST_WINDOW = timedelta(seconds=1)
# The most messages folded into one (a WeCom message is cut at 4 KB anyway); the rest wait their turn.
MAX_MERGED = 200


@dataclass(frozen=True)
class Claimed:
    """A message this worker holds, with what the send needs (the webhook decrypted in memory only)."""

    message_id: str
    channel_id: str
    kind: str
    url: str
    secret: str | None
    keyword: str | None
    title: str
    text: str


Outcome = tuple[Verdict, str]


def deliver_due(
    engine: Engine,
    settings: Settings,
    clock: Callable[[], datetime],
    worker_id: str,
    executor: Executor | None = None,
) -> int:
    """One pass: claim, send, settle. Returns how many rows the claim took (sent, merged or postponed
    ones alike), so a caller loops again while a batch was full."""
    with session_scope(engine, clock) as session:
        taken, claimed = claim(session, settings, clock(), worker_id)
    if claimed:
        outcomes = send_all(claimed, settings, clock(), executor)
        with session_scope(engine, clock) as session:
            settle(session, settings, list(zip(claimed, outcomes, strict=True)), clock(), worker_id)
    return taken


def claim(session: Session, settings: Settings, now: datetime, worker_id: str) -> tuple[int, list[Claimed]]:
    rows = due_rows(session, ChannelMessage, now, settings.push_batch_size, col(ChannelMessage.created_at))
    if not rows:
        return 0, []
    by_channel: dict[str, list[ChannelMessage]] = defaultdict(list)
    for row in rows:
        by_channel[row.channel_id].append(row)
    channels = {
        c.id: c for c in session.scalars(select(TeamChannel).where(col(TeamChannel.id).in_(list(by_channel))))
    }
    zones = dict(
        session.execute(
            select(Unit.id, Unit.timezone).where(col(Unit.id).in_({c.unit_id for c in channels.values()}))
        ).all()
    )
    lease = timedelta(seconds=settings.channel_timeout_seconds * 3 + 30)
    claimed: list[Claimed] = []
    for channel_id, waiting in by_channel.items():
        channel = channels.get(channel_id)
        if channel is None or channel.disabled_at is not None:
            for row in waiting:
                row.status, row.claimed_by, row.lease_until = "gone", None, None
            continue
        fresh = []
        for row in waiting:
            if now - row.created_at > MAX_AGE:
                row.status, row.claimed_by, row.lease_until, row.last_error = "expired", None, None, "stale"
            else:
                fresh.append(row)
        held = quiet_until(
            now, _zone(zones.get(channel.unit_id)), settings.quiet_hours_start, settings.quiet_hours_end
        )
        if held is not None:
            # Quiet hours in the unit's zone: the group hears it in the morning (a test is asked for now).
            for row in [r for r in fresh if r.kind != "test"]:
                row.status, row.due_at, row.claimed_by, row.lease_until = "pending", held, None, None
            fresh = [r for r in fresh if r.kind == "test"]
        if not fresh:
            continue
        room, free_at = _room(session, channel, now, {r.id for r in fresh})
        if room <= 0:
            for row in fresh:
                row.status, row.due_at, row.claimed_by, row.lease_until = "pending", free_at, None, None
            continue
        if len(fresh) > room or len(fresh) + _more_waiting(session, channel, now, fresh) > room:
            # More wait for this robot than it takes this minute: everything due for it goes as one message.
            fresh = [_merge(channel, fresh + _take_waiting(session, channel, now, fresh))]
        burst = _burst_room(session, channel, now, {r.id for r in fresh})
        if burst < len(fresh):
            # A per-second limit too (Feishu's 5 a second): the rest go in the next second, unmerged.
            for row in fresh[max(burst, 0) :]:
                row.status, row.due_at, row.claimed_by, row.lease_until = "pending", now + BURST_WINDOW, None, None
            fresh = fresh[: max(burst, 0)]
        try:
            url = crypto.decrypt(settings, channel.url_encrypted)
            secret = crypto.decrypt(settings, channel.secret_encrypted) if channel.secret_encrypted else None
        except crypto.UnreadableSecret:
            disable(
                session, channel, "secret unreadable: the server's secret key changed; add the robot again", now
            )
            continue
        for row in fresh:
            row.status, row.claimed_by, row.lease_until = "sending", worker_id, now + lease
            row.attempts += 1
            claimed.append(
                Claimed(row.id, channel.id, channel.kind, url, secret, channel.keyword, row.title, row.text)
            )
    return len(rows), claimed


def _room(session: Session, channel: TeamChannel, now: datetime, claiming: set[str]) -> tuple[int, datetime]:
    """How many more messages the robot takes this minute, and when the oldest of the minute's leaves it."""
    since = now - RATE_WINDOW
    recent = or_(
        and_(col(ChannelMessage.status) == "sent", col(ChannelMessage.sent_at) > since),
        and_(col(ChannelMessage.status) == "sending", col(ChannelMessage.lease_until) >= now),
    )
    count, oldest = session.execute(
        select(func.count(col(ChannelMessage.id)), func.min(col(ChannelMessage.sent_at))).where(
            col(ChannelMessage.channel_id) == channel.id, recent, col(ChannelMessage.id).not_in(claiming)
        )
    ).one()
    limit: int = PLATFORMS[channel.kind].RATE_PER_MINUTE
    free_at = (oldest + RATE_WINDOW) if oldest is not None else now + RATE_WINDOW
    return limit - int(count or 0), max(free_at, now + timedelta(seconds=1))


def _burst_room(session: Session, channel: TeamChannel, now: datetime, claiming: set[str]) -> int:
    """How many more the robot takes this second, for a platform with a per-second limit (else: any)."""
    limit: int | None = getattr(PLATFORMS[channel.kind], "RATE_PER_SECOND", None)
    if limit is None:
        return len(claiming)
    recent = or_(
        and_(col(ChannelMessage.status) == "sent", col(ChannelMessage.sent_at) > now - BURST_WINDOW),
        and_(col(ChannelMessage.status) == "sending", col(ChannelMessage.lease_until) >= now),
    )
    found = session.execute(
        select(func.count(col(ChannelMessage.id))).where(
            col(ChannelMessage.channel_id) == channel.id, recent, col(ChannelMessage.id).not_in(claiming)
        )
    )
    return limit - int(found.scalar_one())


def _due_for(channel: TeamChannel, now: datetime, taken: list[ChannelMessage]) -> Any:
    return (
        col(ChannelMessage.channel_id) == channel.id,
        col(ChannelMessage.status) == "pending",
        col(ChannelMessage.due_at) <= now,
        col(ChannelMessage.kind) != "test",
        col(ChannelMessage.id).not_in([r.id for r in taken]),
    )


def _more_waiting(session: Session, channel: TeamChannel, now: datetime, taken: list[ChannelMessage]) -> int:
    """How many more messages are due for the channel beyond this batch's."""
    found = session.execute(select(func.count(col(ChannelMessage.id))).where(*_due_for(channel, now, taken)))
    return int(found.scalar_one())


def _take_waiting(
    session: Session, channel: TeamChannel, now: datetime, taken: list[ChannelMessage]
) -> list[ChannelMessage]:
    """The channel's other due messages, locked for this worker (another worker's are skipped)."""
    query = select(ChannelMessage).where(*_due_for(channel, now, taken)).order_by(col(ChannelMessage.created_at))
    return list(session.scalars(query.limit(MAX_MERGED).with_for_update(skip_locked=True)))


def _merge(channel: TeamChannel, rows: list[ChannelMessage]) -> ChannelMessage:
    """Fold the rows into the first: it carries them all; the others end `merged`, pointing to it."""
    first, rest = rows[0], rows[1:]
    first.title, first.text = messages.merge(channel.locale, [(r.title, r.text) for r in rows])
    first.text = first.text[:20000]
    for row in rest:
        row.status, row.merged_into, row.claimed_by, row.lease_until = "merged", first.id, None, None
    return first


def send_all(
    claimed: Sequence[Claimed], settings: Settings, now: datetime, executor: Executor | None = None
) -> list[Outcome]:
    def one(item: Claimed) -> Outcome:
        platform = PLATFORMS[item.kind]
        try:
            url, body = platform.request(item.url, item.secret, item.keyword, item.title, item.text, now)
            verdict: Outcome = platform.verdict(
                sender.post(url, body, timeout=float(settings.channel_timeout_seconds))
            )
            return verdict
        except sender.RobotUnreachable as exc:
            return "retry", f"unreachable: {exc}"
        except Exception as exc:  # a bug must not stop the queue; the message text holds no secret
            return "retry", type(exc).__name__

    if executor is None:
        return [one(item) for item in claimed]
    return list(executor.map(one, claimed))


def settle(
    session: Session,
    settings: Settings,
    results: Sequence[tuple[Claimed, Outcome]],
    now: datetime,
    worker_id: str,
) -> None:
    rows = {
        r.id: r
        for r in session.scalars(
            select(ChannelMessage).where(col(ChannelMessage.id).in_([item.message_id for item, _ in results]))
        )
    }
    channels = {
        c.id: c
        for c in session.scalars(
            select(TeamChannel).where(col(TeamChannel.id).in_({item.channel_id for item, _ in results}))
        )
    }
    for item, (verdict, detail) in results:
        row, channel = rows.get(item.message_id), channels.get(item.channel_id)
        if row is None or channel is None or row.status != "sending" or row.claimed_by != worker_id:
            continue  # taken over by another worker, or the channel went meanwhile
        row.claimed_by, row.lease_until, row.last_error = None, None, detail[:300] or None
        if verdict == "sent":
            row.status, row.sent_at, row.last_error = "sent", now, None
            channel.failures = 0
            continue
        if verdict == "rate_limited":
            # The platform's word: wait for the minute to pass; not the channel's fault, not an attempt.
            row.status, row.due_at, row.attempts = "pending", now + RATE_WINDOW, max(row.attempts - 1, 0)
            continue
        channel.failures += 1
        if verdict in ("refused", "revoked"):
            row.status = "failed"
            log.warning("channel %s refused message %s: %s", channel.id, row.id, detail)
        else:
            _retry(row, settings, now)
        if channel.disabled_at is None and channel.failures >= settings.channel_max_failures:
            disable(session, channel, f"{channel.failures} failures in a row; last: {detail}", now)
    session.flush()


def _retry(row: ChannelMessage, settings: Settings, now: datetime) -> None:
    if row.attempts >= settings.push_max_attempts:
        row.status = "failed"
        return
    backoff = min(timedelta(seconds=settings.push_retry_seconds * 2 ** (row.attempts - 1)), MAX_BACKOFF)
    row.status, row.due_at = "pending", now + backoff


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)
