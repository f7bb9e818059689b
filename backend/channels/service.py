"""Team channels: a unit's robots (add, list, remove, test) and the events that reach them.

Who: admins, and managers for the units of their subtree (leads and reps: 403; a unit outside the caller's
subtree: 404, like one that does not exist). What reaches a channel, each message once per event and channel
(a unique key: announcing an event again is a no-op):

- a rep's milestones and badges: the channels of the rep's unit, and of every unit above whose channel is
  marked `include_descendants`;
- the leads' morning digest (visits waiting, who is behind pace): only channels marked `for_leads`, never
  naming a rep on an open improvement plan while FIELDGOAL_HIDE_REPS_ON_PLAN_FROM_RANKS hides them.

Reps' personal nudges (behind pace, follow-ups) stay personal: they never come here. The worker sends the
queue (backend/channels/delivery.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.audit.service import record_audit
from backend.channels import crypto, messages
from backend.channels.models import ChannelMessage, TeamChannel
from backend.channels.schemas import ChannelPublic, ChannelReach, QueuedMessage
from backend.channels.webhooks import KINDS, masked, webhook_problem
from backend.coaching.models import ImprovementPlan
from backend.errors import InvalidInput, NotFound
from backend.i18n import LOCALES
from backend.notify.service import notify
from backend.org.models import Unit, User
from backend.policy import Actor, get_unit, require_unit_manager
from backend.settings import Settings, session_settings
from backend.validation import Choice, Flag, Text, validate

CHANNEL_FIELDS = {
    "kind": Choice(required=True, nullable=False, choices=KINDS),
    "url": Text(required=True, nullable=False, max_len=2048, min_len=1),
    "secret": Text(max_len=200),
    "keyword": Text(max_len=100),
    "include_descendants": Flag(nullable=False),
    "for_leads": Flag(nullable=False),
    "locale": Choice(nullable=False, choices=LOCALES),
}


def channel_public(channel: TeamChannel) -> ChannelPublic:
    """The channel as the API shows it: the webhook masked, whether a secret is set (never the secret)."""
    return ChannelPublic(
        id=channel.id,
        unit_id=channel.unit_id,
        kind=channel.kind,
        url=channel.masked_url,
        has_secret=channel.secret_encrypted is not None,
        keyword=channel.keyword,
        include_descendants=channel.include_descendants,
        for_leads=channel.for_leads,
        locale=channel.locale,
        active=channel.disabled_at is None,
        failures=channel.failures,
        disabled_at=channel.disabled_at.isoformat() if channel.disabled_at else None,
        disabled_reason=channel.disabled_reason,
        created_at=channel.created_at.isoformat(),
    )


# --- managing a unit's channels -------------------------------------------------------------------------------


def _managed_unit(session: Session, actor: Actor, unit_id: str) -> Unit:
    require_unit_manager(actor)
    return get_unit(session, actor, unit_id)


def add_channel(
    session: Session, actor: Actor, settings: Settings, unit_id: str, data: Any, now: datetime
) -> TeamChannel:
    unit = _managed_unit(session, actor, unit_id)
    values = validate(data, CHANNEL_FIELDS, max_text=settings.max_text_chars)
    kind, url = values["kind"], values["url"]
    problem = webhook_problem(kind, url, settings.channel_allowed_hosts)
    if problem is not None:
        raise InvalidInput.one("url", problem)
    secret = values.get("secret") or None
    if secret is not None and kind == "wecom":
        raise InvalidInput.one("secret", "invalid")  # WeCom robots are not signed
    channel = TeamChannel(
        unit_id=unit.id,
        kind=kind,
        url_encrypted=crypto.encrypt(settings, url),
        masked_url=masked(kind, url),
        secret_encrypted=crypto.encrypt(settings, secret) if secret else None,
        keyword=values.get("keyword") or None,
        include_descendants=values.get("include_descendants", False),
        for_leads=values.get("for_leads", False),
        locale=values.get("locale", "zh-CN"),
        created_by=actor.id,
        created_at=now,
    )
    session.add(channel)
    session.flush()
    after = msgspec.to_builtins(channel_public(channel))
    record_audit(session, actor.id, "channel.create", "team_channel", channel.id, {}, after)
    return channel


def channels_of(session: Session, actor: Actor, unit_id: str) -> list[TeamChannel]:
    unit = _managed_unit(session, actor, unit_id)
    query = select(TeamChannel).where(TeamChannel.unit_id == unit.id)
    return list(session.scalars(query.order_by(col(TeamChannel.created_at), col(TeamChannel.id))))


def channels_reaching(session: Session, actor: Actor) -> list[ChannelReach]:
    """The active channels the caller's team news reaches (theirs, and those above that include
    descendants), for everyone's "which groups hear about us"; reps do not see the leads' channels. Neither
    webhook nor secret: only the platform and the unit."""
    unit = session.get(Unit, actor.unit_id)
    if unit is None:
        return []
    above = [part for part in unit.path.split("/") if part and part != unit.id]
    query = (
        select(TeamChannel, Unit.name)
        .join(Unit, col(Unit.id) == TeamChannel.unit_id)
        .where(
            col(TeamChannel.disabled_at).is_(None),
            (col(TeamChannel.unit_id) == unit.id)
            | (col(TeamChannel.unit_id).in_(above) & col(TeamChannel.include_descendants).is_(True)),
        )
        .order_by(col(TeamChannel.created_at), col(TeamChannel.id))
    )
    if not actor.manages_people:
        query = query.where(col(TeamChannel.for_leads).is_(False))
    return [
        ChannelReach(id=c.id, kind=c.kind, unit_id=c.unit_id, unit_name=name, for_leads=c.for_leads)
        for c, name in session.execute(query).all()
    ]


def _channel(session: Session, actor: Actor, unit_id: str, channel_id: str) -> tuple[Unit, TeamChannel]:
    unit = _managed_unit(session, actor, unit_id)
    channel = session.get(TeamChannel, channel_id)
    if channel is None or channel.unit_id != unit.id:
        raise NotFound()
    return unit, channel


def remove_channel(session: Session, actor: Actor, unit_id: str, channel_id: str) -> None:
    """Delete the channel with its queue (what was not sent yet will not be)."""
    _, channel = _channel(session, actor, unit_id, channel_id)
    before = msgspec.to_builtins(channel_public(channel))
    session.execute(delete(ChannelMessage).where(col(ChannelMessage.channel_id) == channel.id))
    session.delete(channel)
    session.flush()
    record_audit(session, actor.id, "channel.delete", "team_channel", channel_id, before, {})


def queue_test(session: Session, actor: Actor, unit_id: str, channel_id: str, now: datetime) -> ChannelMessage:
    """A test message ("发送测试消息"), sent by the worker like any other (also in quiet hours)."""
    unit, channel = _channel(session, actor, unit_id, channel_id)
    made = _queue(session, channel, "test", f"test:{uuid.uuid4()}", {"unit": unit.name}, now)
    assert made is not None  # a fresh key
    return made


def message_public(message: ChannelMessage) -> QueuedMessage:
    return QueuedMessage(id=message.id, channel_id=message.channel_id, kind=message.kind, status=message.status)


# --- events ---------------------------------------------------------------------------------------------------


def milestone_reached(
    session: Session, rep: User, goal_id: str, percent: int, params: dict[str, Any], now: datetime
) -> int:
    """A rep's goal crossed a milestone (backend/notify/milestones.py): tell the team's channels.
    `params` carry `metric` (by locale), `period` and `target`."""
    event = {"name": rep.name, "percent": percent, **params}
    return _announce(session, rep.unit_id, "milestone", f"milestone:{goal_id}:{percent}", event, now)


def badge_earned(session: Session, rep: User, badge_key: str, badge_name: dict[str, str], now: datetime) -> int:
    """A rep earned a badge (backend/rewards/badges.py)."""
    event = {"name": rep.name, "badge": badge_name}
    return _announce(session, rep.unit_id, "badge", f"badge:{rep.id}:{badge_key}", event, now)


def team_morning(
    session: Session,
    unit_id: str,
    day: date,
    waiting: int,
    behind: Sequence[tuple[User, dict[str, Any]]],
    now: datetime,
) -> int:
    """The leads' morning digest of one team (backend/notify/rules.py): visits waiting for approval and who
    is behind pace (`behind`: each rep with `metric`, `pace`, `needed`), to the channels marked for leads."""
    if session_settings(session).hide_reps_on_plan_from_ranks and behind:
        on_plan = set(
            session.scalars(
                select(ImprovementPlan.rep_id).where(
                    col(ImprovementPlan.rep_id).in_([user.id for user, _ in behind]),
                    col(ImprovementPlan.status) == "open",
                )
            )
        )
        behind = [(user, params) for user, params in behind if user.id not in on_plan]
    if not waiting and not behind:
        return 0
    unit = session.get(Unit, unit_id)
    if unit is None:
        return 0

    def lines(locale: str) -> str:
        found = [messages.line("approvals", locale, {"count": waiting})] if waiting else []
        if behind:
            found.append(messages.line("behind_head", locale, {}))
            found += [messages.line("behind", locale, {"name": user.name, **params}) for user, params in behind]
        return "\n".join(found)

    event = {"unit": unit.name, "day": day.isoformat(), "lines": lines}
    return _announce(session, unit_id, "team_morning", f"team_morning:{day.isoformat()}", event, now, leads=True)


def _announce(
    session: Session,
    unit_id: str,
    kind: str,
    dedupe_key: str,
    params: dict[str, Any],
    now: datetime,
    *,
    leads: bool = False,
) -> int:
    """Queue one message per channel this unit's news reaches; returns how many were new."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        return 0
    above = [part for part in unit.path.split("/") if part and part != unit.id]
    query = select(TeamChannel).where(
        col(TeamChannel.disabled_at).is_(None),
        (col(TeamChannel.unit_id) == unit.id)
        | (col(TeamChannel.unit_id).in_(above) & col(TeamChannel.include_descendants).is_(True)),
    )
    if leads:
        query = query.where(col(TeamChannel.for_leads).is_(True))
    made = 0
    for channel in session.scalars(query.order_by(col(TeamChannel.id))):
        made += _queue(session, channel, kind, dedupe_key, params, now) is not None
    return made


def _queue(
    session: Session, channel: TeamChannel, kind: str, dedupe_key: str, params: dict[str, Any], now: datetime
) -> ChannelMessage | None:
    exists = session.scalars(
        select(ChannelMessage.id).where(
            ChannelMessage.channel_id == channel.id, ChannelMessage.dedupe_key == dedupe_key[:200]
        )
    ).first()
    if exists:
        return None
    values = {name: value(channel.locale) if callable(value) else value for name, value in params.items()}
    title, text = messages.render(kind, channel.locale, values)
    message = ChannelMessage(
        channel_id=channel.id,
        dedupe_key=dedupe_key[:200],
        kind=kind,
        title=title[:300],
        text=text[:20000],
        due_at=now,
        created_at=now,
    )
    try:
        # A savepoint: another worker queued the same event meanwhile; only this insert is undone.
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        return None
    return message


# --- a channel that keeps failing -----------------------------------------------------------------------------


def disable(session: Session, channel: TeamChannel, reason: str, now: datetime) -> None:
    """Stop a channel (failing, or its secret unreadable): what waits for it is dropped, and the unit's
    managers (of it or any unit above) and the admins find a notice in their inbox."""
    channel.disabled_at, channel.disabled_reason = now, reason[:300]
    session.execute(
        ChannelMessage.__table__.update()  # type: ignore[attr-defined]
        .where(
            col(ChannelMessage.channel_id) == channel.id,
            col(ChannelMessage.status).in_(("pending", "sending")),
        )
        .values(status="gone", claimed_by=None, lease_until=None)
    )
    unit = session.get(Unit, channel.unit_id)
    above = [part for part in unit.path.split("/") if part] if unit is not None else []
    people = session.scalars(
        select(User).where(
            col(User.active).is_(True),
            (col(User.role) == "admin") | ((col(User.role) == "manager") & col(User.unit_id).in_(above)),
        )
    )
    for user in people:
        notify(
            session,
            user,
            "channel_disabled",
            f"channel_disabled:{channel.id}:{now.isoformat()}",
            {"unit": unit.name if unit else "", "channel": channel.masked_url, "failures": channel.failures},
            now,
            {"url": "/#/me/channels", "unit_id": channel.unit_id, "channel_id": channel.id},
        )
