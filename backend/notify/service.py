"""Putting a message in a user's inbox, once, in their language, and marking it read.

Every notification has a dedupe key: a rule evaluated many times still notifies once (the unique key
makes a second insert a no-op). The inbox syncs to the phone as the `notification` entity.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from backend.notify.models import Notification
from backend.org.models import User
from backend.sync.changelog import record_change

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
}


def notification_public(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "created_at": notification.created_at.isoformat(),
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
        "version": notification.version,
        "updated_at": notification.updated_at.isoformat(),
    }


def log_notification(session: Session, notification: Notification) -> None:
    # Notifications are private: the key is the recipient, and pulls match it exactly (see sync.pull).
    record_change(session, "notification", notification.id, notification.version, owner_id=notification.user_id)


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
    title, body = templates.get(user.locale) or templates["zh-CN"]
    notification = Notification(
        user_id=user.id,
        kind=kind,
        dedupe_key=key,
        title=title.format(**params),
        body=body.format(**params),
        data=data or {},
        created_at=now,
        updated_at=now,
    )
    session.add(notification)
    session.flush()
    log_notification(session, notification)
    return notification


def mark_read(session: Session, notification: Notification, now: datetime) -> bool:
    """Mark read; False when it already was (reading twice changes nothing)."""
    if notification.read_at is not None:
        return False
    notification.read_at = now
    notification.version += 1
    notification.updated_at = now
    log_notification(session, notification)
    return True
