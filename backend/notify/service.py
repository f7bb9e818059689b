"""Putting a message in a user's inbox, once, in their language, and marking it read.

Every notification has a dedupe key: a rule evaluated many times still notifies once (the unique key
makes a second insert a no-op, even when two workers evaluate the same rule at once). The inbox syncs to the
phone as the `notification` entity; each new notification also queues one push per subscription of its user
(backend/notify/delivery.py sends them).

Titles and bodies are rendered once, at creation, in the recipient's locale. A param may be a mapping of
locale to text (a metric's name), and is then rendered in the recipient's language too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.notify.delivery import enqueue_pushes
from backend.notify.models import Notification
from backend.notify.schemas import NotificationPublic
from backend.org.models import User
from backend.paging import Ordering, Page, PageRequest, SortKey, fetch_page
from backend.sync.registry import declare, owned_by

# kind -> locale -> (title, body); bodies take the notification's params by name.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "visit_approved": {
        "en": ("Visit approved", "Your visit to {customer} was approved."),
        "zh-CN": ("拜访已通过", "您对{customer}的拜访记录已通过审核。"),
    },
    "visit_rejected": {
        "en": ("Visit rejected", "Your visit to {customer} was rejected: {comment}"),
        "zh-CN": ("拜访被驳回", "您对{customer}的拜访记录被驳回：{comment}"),
    },
    "amendment_requested": {
        "en": ("Amendment to decide", "{rep} asks to change an approved visit to {customer}."),
        "zh-CN": ("待处理的修改申请", "{rep}申请修改已通过的{customer}拜访记录。"),
    },
    "amendment_accepted": {
        "en": ("Amendment accepted", "Your change to the visit to {customer} was accepted."),
        "zh-CN": ("修改申请已通过", "您对{customer}拜访记录的修改已被接受。"),
    },
    "amendment_refused": {
        "en": ("Amendment refused", "Your change to the visit to {customer} was refused."),
        "zh-CN": ("修改申请被拒绝", "您对{customer}拜访记录的修改未被接受。"),
    },
    # the rules of backend/notify/rules.py
    "milestone": {
        "en": (
            "{percent} % of the {metric} goal",
            "{subject}: {metric} for {period} has reached {percent} % of its target.",
        ),
        "zh-CN": ("目标达成 {percent}%", "{subject}{period}的{metric}目标已完成 {percent}%。"),
    },
    "behind_pace": {
        "en": (
            "Behind pace: {metric}",
            "{metric} for {period}: {actual} of {target}, {pace} % of the expected pace. "
            "{needed} a working day for the {days_left} working days left reaches the target.",
        ),
        "zh-CN": (
            "进度落后：{metric}",
            "{period}{metric}已完成 {actual}/{target}，为应有进度的 {pace}%。剩余 {days_left} 个工作日，每天需完成 {needed}。",
        ),
    },
    "approvals_waiting": {
        "en": ("{count} visits to approve", "{count} visits from your team are waiting for your approval."),
        "zh-CN": ("{count} 条拜访待审批", "团队有 {count} 条拜访记录等待您审批。"),
    },
    # backend/rewards/badges.py
    "badge_earned": {
        "en": ("Badge earned: {badge}", "You earned the {badge} badge."),
        "zh-CN": ("获得徽章：{badge}", "恭喜您获得「{badge}」徽章。"),
    },
    # backend/coaching/service.py
    "review_shared": {
        "en": ("Your review for {period}", "{reviewer} shared your review for {period}. Read and acknowledge it."),
        "zh-CN": ("{period} 考评已发布", "{reviewer}已发布您 {period} 的考评，请查看并确认。"),
    },
    "plan_suggested": {
        "en": (
            "Improvement plan suggested",
            "{rep} has been under {percent} % of target for two months running (to {periods}).",
        ),
        "zh-CN": ("建议制定改进计划", "{rep}已连续两个月低于目标的 {percent}%（截至 {periods}）。"),
    },
    # backend/channels/service.py: a robot that kept failing was stopped
    "channel_disabled": {
        "en": (
            "Team channel stopped: {unit}",
            "The robot {channel} of {unit} failed {failures} times in a row and was stopped. Add it again.",
        ),
        "zh-CN": (
            "团队群机器人已停用：{unit}",
            "{unit}的机器人 {channel} 连续 {failures} 次发送失败，已停用，请重新添加。",
        ),
    },
    "follow_ups_due": {
        "en": ("{count} follow-ups today", "Follow up today with: {customers}."),
        "zh-CN": ("今日 {count} 个跟进", "今天需要跟进：{customers}。"),
    },
}


def notification_public(notification: Notification) -> NotificationPublic:
    return NotificationPublic(
        id=notification.id,
        kind=notification.kind,
        title=notification.title,
        body=notification.body,
        data=notification.data,
        created_at=notification.created_at.isoformat(),
        read_at=notification.read_at.isoformat() if notification.read_at else None,
        version=notification.version,
        updated_at=notification.updated_at.isoformat(),
    )


def notify(
    session: Session,
    user: User,
    kind: str,
    dedupe_key: str,
    params: dict[str, Any],
    now: datetime,
    data: dict[str, Any] | None = None,
) -> Notification | None:
    """Put a notification in `user`'s inbox unless one with this dedupe key exists; None if it did."""
    key = f"{user.id}:{dedupe_key}"[:200]
    if session.scalars(select(Notification.id).where(Notification.dedupe_key == key)).first():
        return None
    templates = TEMPLATES[kind]
    locale = user.locale if user.locale in templates else "zh-CN"
    title, body = templates[locale]
    texts = {name: _in_locale(value, locale) for name, value in params.items()}
    notification = Notification(
        user_id=user.id,
        kind=kind,
        dedupe_key=key,
        title=title.format(**texts),
        body=body.format(**texts),
        data=data or {},
        created_at=now,
        updated_at=now,
    )
    try:
        # A savepoint: when another transaction (a second worker) inserted the same key meanwhile, only this
        # insert is undone, and the caller's transaction goes on.
        with session.begin_nested():
            session.add(notification)
            session.flush()
    except IntegrityError:
        return None
    enqueue_pushes(session, notification, now)
    return notification


def _in_locale(value: Any, locale: str) -> Any:
    if isinstance(value, dict):
        return value.get(locale) or value.get("zh-CN") or next(iter(value.values()), "")
    return value


INBOX_ORDER = Ordering.of(
    "notifications",
    SortKey(Notification.created_at, descending=True),
    SortKey(Notification.id, descending=True),
)


def inbox(session: Session, user_id: str, *, unread_only: bool, page: PageRequest) -> Page[Notification]:
    """The user's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    return fetch_page(session, query, INBOX_ORDER, page)


def mark_read(session: Session, notification: Notification, now: datetime) -> bool:
    """Mark read; False when it already was (reading twice changes nothing)."""
    if notification.read_at is not None:
        return False
    notification.read_at = now
    notification.version += 1
    notification.updated_at = now
    return True


# Private: only the recipient pulls a notification, never their lead.
declare(
    "notification",
    Notification,
    notification_public,
    owned_by("user_id"),
    private=True,
    ages=lambda notification: notification.created_at,
)
