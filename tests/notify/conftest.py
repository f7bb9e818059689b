"""Notification tests: a real local push service, the app's settings allowing it, and a worker whose clock
is the test's clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from backend.notify.models import Delivery, Notification
from backend.push.keys import load_or_create_vapid_key
from backend.push.sender import Subscription
from backend.settings import Settings
from backend.worker import Worker
from tests.conftest import Api, Clock
from tests.support.push_service import LocalPushService, ReceivedMessage


@pytest.fixture
def push_service() -> Iterator[LocalPushService]:
    with LocalPushService() as service:
        yield service


@pytest.fixture
def settings(settings: Settings, push_service: LocalPushService) -> Settings:
    """The suite's settings, with the local push service as the one allowed push host."""
    return replace(settings, push_allowed_hosts=(push_service.host,), push_retry_seconds=30)


@pytest.fixture
def worker(engine: Engine, settings: Settings, clock: Clock) -> Iterator[Worker]:
    """The notification worker on the test's database and clock."""
    made = Worker(settings, engine=engine, clock=clock)
    yield made
    made.close()


@pytest.fixture
def subscribe(push_service: LocalPushService, settings: Settings) -> Any:
    """`subscribe(api)` → a browser subscription at the local push service, registered for that user."""
    vapid = load_or_create_vapid_key(settings.data_dir, settings.vapid_private_key)

    def _subscribe(api: Api) -> Subscription:
        subscription, _ = push_service.new_subscription(application_server_key=vapid.application_server_key)
        body = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        response = api.post("/api/v1/push/subscriptions", json=body)
        assert response.status_code == 201, response.text
        return subscription

    return _subscribe


def payloads(push_service: LocalPushService) -> list[dict[str, Any]]:
    """What the phones received, decrypted, oldest first."""
    return [json.loads(m.payload) for m in push_service.messages]


def only_message(push_service: LocalPushService) -> ReceivedMessage:
    [message] = push_service.messages
    return message


def deliveries(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.created_at)))


def inbox_of(engine: Engine, user_id: str) -> list[Notification]:
    with Session(engine) as session:
        return list(session.scalars(select(Notification).where(Notification.user_id == user_id)))


@pytest.fixture
def phone_for() -> Any:
    """`phone_for(api)` → a sync client (tests/sync/helpers.py) for that signed-in user."""
    from tests.sync.helpers import Phone

    return lambda api: Phone(api)
