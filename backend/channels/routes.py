"""Team channels API: a unit's robots (admins, and managers of the unit's subtree)."""

from __future__ import annotations

from typing import Any

from litestar import Response, delete, get, post
from litestar.params import FromPath, JSONBody

from backend.channels import service
from backend.channels.schemas import ChannelPublic, ChannelReach, QueuedMessage
from backend.http import DB, Config, CurrentActor, Now


@get("/units/{unit_id:str}/channels", sync_to_thread=True)
def list_channels(db: DB, actor: CurrentActor, unit_id: FromPath[str]) -> list[ChannelPublic]:
    """The unit's robots, each webhook masked; secrets are never shown."""
    return [service.channel_public(c) for c in service.channels_of(db, actor, unit_id)]


@post("/units/{unit_id:str}/channels", sync_to_thread=True)
def add_channel(
    db: DB, actor: CurrentActor, settings: Config, now: Now, unit_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> Response[ChannelPublic]:
    """{kind: wecom|dingtalk|feishu, url, secret?, keyword?, include_descendants?, for_leads?, locale?} → 201;
    422 naming `url` for a host outside FIELDGOAL_CHANNEL_ALLOWED_HOSTS, plain http, or a URL without its key."""
    channel = service.add_channel(db, actor, settings, unit_id, data, now)
    return Response(service.channel_public(channel), status_code=201)


@delete("/units/{unit_id:str}/channels/{channel_id:str}", sync_to_thread=True)
def remove_channel(db: DB, actor: CurrentActor, unit_id: FromPath[str], channel_id: FromPath[str]) -> None:
    service.remove_channel(db, actor, unit_id, channel_id)


@post("/units/{unit_id:str}/channels/{channel_id:str}/test", sync_to_thread=True, status_code=202)
def test_channel(
    db: DB, actor: CurrentActor, now: Now, unit_id: FromPath[str], channel_id: FromPath[str]
) -> QueuedMessage:
    """Queue a test message ("发送测试消息"); 202 with the queued message (the worker sends it)."""
    return service.message_public(service.queue_test(db, actor, unit_id, channel_id, now))


@get("/me/channels", sync_to_thread=True)
def my_channels(db: DB, actor: CurrentActor) -> list[ChannelReach]:
    """The group robots the caller's team news reaches: {id, kind, unit_id, unit_name, for_leads}."""
    return service.channels_reaching(db, actor)


ROUTES = [list_channels, add_channel, remove_channel, test_channel, my_channels]
