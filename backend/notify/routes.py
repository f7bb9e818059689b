"""Notifications API: the inbox, and the browser's push subscription (with the key it subscribes to)."""

from __future__ import annotations

from typing import Any

from litestar import delete, get, post
from litestar.params import FromQuery, JSONBody

from backend.errors import InvalidInput
from backend.http import DB, Config, CurrentActor, Now
from backend.notify import service, subscriptions
from backend.push.keys import cached_vapid_key

# The most notifications one GET answers; the phone has the whole inbox through sync.
MAX_LIMIT = 500


@get("/notifications", sync_to_thread=True)
def list_notifications(
    db: DB, actor: CurrentActor, unread: FromQuery[str | None] = None, limit: FromQuery[int] = 100
) -> list[dict[str, Any]]:
    """The caller's inbox, newest first (`?unread=1`: only the unread; `limit`: at most 500, default 100)."""
    if unread not in (None, "", "0", "1", "true", "false"):
        raise InvalidInput.one("unread", "invalid_choice", choices="0, 1")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.one("limit", "out_of_range", min=1, max=MAX_LIMIT)
    rows = service.inbox(db, actor.id, unread_only=unread in ("1", "true"), limit=limit)
    return [service.notification_public(n) for n in rows]


@get("/push/vapid-public-key", sync_to_thread=True)
def vapid_public_key(settings: Config) -> dict[str, str]:
    """The applicationServerKey browsers subscribe with (base64url); anyone may read it."""
    return {"key": cached_vapid_key(settings.data_dir, settings.vapid_private_key).application_server_key}


@post("/push/subscriptions", sync_to_thread=True)
def subscribe(
    db: DB, actor: CurrentActor, settings: Config, now: Now, data: JSONBody[dict[str, Any]]
) -> dict[str, Any]:
    """{endpoint, keys: {p256dh, auth}} from `PushSubscription.toJSON()`; 422 `endpoint_not_allowed` for a
    push service outside FIELDGOAL_PUSH_ALLOWED_HOSTS."""
    found = subscriptions.subscribe(db, actor, data, settings.push_allowed_hosts, now)
    return subscriptions.subscription_public(found)


@delete("/push/subscriptions", sync_to_thread=True)
def unsubscribe(db: DB, actor: CurrentActor, settings: Config, data: JSONBody[dict[str, Any]]) -> None:
    """{endpoint}: no more pushes to this browser (204, also when it was not subscribed)."""
    subscriptions.unsubscribe(db, actor, data, settings.push_allowed_hosts)


ROUTES = [list_notifications, vapid_public_key, subscribe, unsubscribe]
