"""Push subscriptions: a browser asks to receive pushes for the signed-in user, or stops.

The endpoint is a URL the server will POST to, so it is checked against the allow list of push services
(`backend.endpoints`, FIELDGOAL_PUSH_ALLOWED_HOSTS) and the https rule before it is stored; the keys
are checked to be a real P-256 point and a 16-byte secret, so a bad subscription is refused at once rather
than failing at every send.

An endpoint names one browser install and belongs to one user. When another user registers it, it moves only
with the keys the browser made with it (`_end_previous_holder`): the same keys are the same browser, now
signed in as someone else (a shared phone); other keys are refused (409 `endpoint_taken`).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.audit.service import record_audit
from backend.endpoints import endpoint_allowed
from backend.errors import Conflict, InvalidInput
from backend.notify.delivery import forget_subscription
from backend.notify.models import PushSubscription
from backend.notify.schemas import SubscriptionPublic
from backend.policy import Actor
from backend.push import sender

# A user signs in on a few devices; more subscriptions than this are old browsers: the oldest go.
MAX_PER_USER = 10


def subscription_public(subscription: PushSubscription) -> SubscriptionPublic:
    return SubscriptionPublic(
        id=subscription.id,
        endpoint=subscription.endpoint,
        created_at=subscription.created_at.isoformat(),
        updated_at=subscription.updated_at.isoformat(),
    )


def _endpoint(data: Any, allowed_hosts: tuple[str, ...]) -> str:
    if not isinstance(data, dict):
        raise InvalidInput.one("body", "wrong_type", expected="object")
    endpoint = data.get("endpoint")
    if endpoint is None:
        raise InvalidInput.one("endpoint", "required")
    if not isinstance(endpoint, str):
        raise InvalidInput.one("endpoint", "wrong_type", expected="string")
    broken = endpoint_allowed(endpoint, allowed_hosts)
    if broken is not None:
        raise InvalidInput.one("endpoint", broken)
    return endpoint


def subscribe(
    session: Session, actor: Actor, data: Any, allowed_hosts: tuple[str, ...], now: datetime
) -> PushSubscription:
    """Store (or refresh the keys of, or move to the caller) the browser's subscription for the caller."""
    endpoint = _endpoint(data, allowed_hosts)
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise InvalidInput.one("keys", "required" if keys is None else "wrong_type", expected="object")
    for name in ("p256dh", "auth"):
        if not isinstance(keys.get(name), str) or not keys[name]:
            raise InvalidInput.one(
                f"keys.{name}", "required" if keys.get(name) is None else "wrong_type", expected="string"
            )
    try:
        sender.check_keys(sender.Subscription(endpoint, keys["p256dh"], keys["auth"]))
    except sender.InvalidSubscription as exc:
        field = "keys.auth" if str(exc).startswith("auth") else "keys.p256dh"
        raise InvalidInput.one(field, "invalid_format", format="push key") from exc
    found = session.scalars(select(PushSubscription).where(PushSubscription.endpoint == endpoint)).first()
    if found is not None and found.user_id != actor.id:
        _end_previous_holder(session, actor, found, keys)
        found = None
    if found is None:
        found = PushSubscription(
            user_id=actor.id, endpoint=endpoint, p256dh="", auth="", created_at=now, updated_at=now
        )
        session.add(found)
    found.p256dh, found.auth, found.updated_at = keys["p256dh"], keys["auth"], now
    session.flush()
    _keep_newest(session, actor.id)
    return found


def _end_previous_holder(session: Session, actor: Actor, held: PushSubscription, keys: dict[str, Any]) -> None:
    """Another user's subscription has this endpoint: a shared phone where the caller signed in after them,
    or someone who learned the endpoint. Only the browser (and this server) knows the auth secret it made
    with the endpoint, so the same keys prove the caller holds the subscription now: the previous user's
    subscription ends, with its unsent pushes (they must never show on the new user's screen), and the move
    is audited. Other keys are refused: storing them would silence the holder's phone and send the caller's
    pushes to it."""
    same_browser = all(
        hmac.compare_digest(getattr(held, name).rstrip("=").encode(), keys[name].rstrip("=").encode())
        for name in ("p256dh", "auth")
    )
    if not same_browser:
        raise Conflict("endpoint_taken")
    record_audit(
        session,
        actor.id,
        "push_subscription.move",
        "push_subscription",
        held.id,
        {"user_id": held.user_id},
        {"user_id": actor.id},
    )
    forget_subscription(session, held.id)


def unsubscribe(session: Session, actor: Actor, data: Any, allowed_hosts: tuple[str, ...]) -> None:
    """Forget the caller's subscription with this endpoint; nothing happens when there is none (idempotent)."""
    if not isinstance(data, dict) or not isinstance(data.get("endpoint"), str):
        _endpoint(data, allowed_hosts)  # raises the precise error
    found = session.scalars(
        select(PushSubscription).where(
            PushSubscription.endpoint == data["endpoint"], PushSubscription.user_id == actor.id
        )
    ).first()
    if found is not None:
        forget_subscription(session, found.id)


def _keep_newest(session: Session, user_id: str) -> None:
    stale = session.scalars(
        select(PushSubscription.id)
        .where(PushSubscription.user_id == user_id)
        .order_by(col(PushSubscription.updated_at).desc(), col(PushSubscription.id))
        .offset(MAX_PER_USER)
    ).all()
    for subscription_id in stale:
        forget_subscription(session, subscription_id)
