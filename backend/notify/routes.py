"""Notifications API: the inbox, and the browser's push subscription (with the key it subscribes to)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.params import FromQuery, JSONBody

from backend import paging
from backend.errors import InvalidInput
from backend.http import DB, Config, CurrentActor, Now, also_answers
from backend.notify import service, subscriptions
from backend.notify.schemas import NotificationPublic, SubscriptionPublic, VapidPublicKey
from backend.push.keys import cached_vapid_key


@get("/notifications", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_notifications(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    unread: FromQuery[str | None] = None,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[NotificationPublic]]:
    """The caller's inbox, newest first (`?unread=1`: only the unread), a page at a time; the phone has the
    whole inbox through sync."""
    if unread not in (None, "", "0", "1", "true", "false"):
        raise InvalidInput.one("unread", "invalid_choice", choices="0, 1")
    page = paging.page_request(limit, cursor)
    rows = service.inbox(db, actor.id, unread_only=unread in ("1", "true"), page=page)
    return paging.respond(request, rows.map(service.notification_public))


@get("/push/vapid-public-key", sync_to_thread=True)
def vapid_public_key(settings: Config) -> VapidPublicKey:
    """The applicationServerKey browsers subscribe with (base64url); anyone may read it."""
    return VapidPublicKey(cached_vapid_key(settings.data_dir, settings.vapid_private_key).application_server_key)


@post("/push/subscriptions", sync_to_thread=True, opt=also_answers(409))
def subscribe(
    db: DB, actor: CurrentActor, settings: Config, now: Now, data: JSONBody[dict[str, Any]]
) -> SubscriptionPublic:
    """{endpoint, keys: {p256dh, auth}} from `PushSubscription.toJSON()`; 422 `endpoint_not_allowed` for a
    push service outside FIELDGOAL_PUSH_ALLOWED_HOSTS."""
    found = subscriptions.subscribe(db, actor, data, settings.push_allowed_hosts, now)
    return subscriptions.subscription_public(found)


@delete("/push/subscriptions", sync_to_thread=True)
def unsubscribe(db: DB, actor: CurrentActor, settings: Config, data: JSONBody[dict[str, Any]]) -> None:
    """{endpoint}: no more pushes to this browser (204, also when it was not subscribed)."""
    subscriptions.unsubscribe(db, actor, data, settings.push_allowed_hosts)


ROUTES = [list_notifications, vapid_public_key, subscribe, unsubscribe]
