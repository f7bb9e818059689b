"""The delivery worker against a real local push service: what each answer leads to, retries, quiet hours,
payloads over the 4 KB limit, and subscriptions that are gone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from backend.notify.models import Notification, PushSubscription
from backend.notify.service import notify
from backend.org.models import User
from backend.push.sender import MAX_PAYLOAD_BYTES
from backend.worker import Worker
from tests.notify.conftest import deliveries, payloads


def rejected(engine, org, clock, who: str = "rep1", comment: str = "no photo", key: str = "1") -> str:
    """A visit_rejected notification for `who`, made as the lead's decision makes it."""
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(User, org.user(who))
        made = notify(
            session,
            user,
            "visit_rejected",
            f"review:{key}",
            {"customer": "华东五金", "comment": comment},
            clock.now,
        )
        session.commit()
    assert made is not None
    return made.id


def subscriptions(engine) -> list[PushSubscription]:
    with Session(engine) as session:
        return list(session.query(PushSubscription))


def test_an_accepted_push_is_sent_once_with_the_comment(
    org, engine, clock, sign_in, subscribe, push_service, worker
):
    subscribe(sign_in(org.email("rep1")))
    rejected(engine, org, clock, comment="拍照不清楚")

    worker.deliver()
    worker.deliver()

    [payload] = payloads(push_service)
    assert (payload["title"], payload["body"]) == (
        "Visit rejected",
        "Your visit to 华东五金 was rejected: 拍照不清楚",
    )
    [delivery] = deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("sent", 1, 201)


def test_every_subscription_of_the_user_gets_it_and_nobody_elses(
    org, engine, clock, sign_in, subscribe, push_service, worker
):
    rep = sign_in(org.email("rep1"))
    phone, laptop = subscribe(rep), subscribe(rep)
    subscribe(sign_in(org.email("rep2")))
    rejected(engine, org, clock)

    worker.deliver()

    received = sorted(m.endpoint_id for m in push_service.messages)
    assert received == sorted(s.endpoint.rsplit("/", 1)[1] for s in (phone, laptop))


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_deleted_and_never_tried_again(
    status, org, engine, clock, sign_in, subscribe, push_service, worker
):
    subscription = subscribe(sign_in(org.email("rep1")))
    push_service.respond_next(subscription, status)
    rejected(engine, org, clock)

    worker.deliver()
    rejected(engine, org, clock, key="2")  # a later notification has nowhere to go
    clock.advance(hours=1)
    worker.deliver()

    assert subscriptions(engine) == []
    assert [d.status for d in deliveries(engine)] == ["gone"]
    assert push_service.request_count == 1


def test_429_waits_for_retry_after_then_sends(org, engine, clock, sign_in, subscribe, push_service, worker):
    subscription = subscribe(sign_in(org.email("rep1")))
    push_service.respond_next(subscription, 429, retry_after="120")
    rejected(engine, org, clock)

    worker.deliver()
    [delivery] = deliveries(engine)
    assert (delivery.status, delivery.last_status, delivery.due_at) == (
        "pending",
        429,
        clock.now + timedelta(seconds=120),
    )
    clock.advance(seconds=119)
    worker.deliver()
    assert push_service.request_count == 1  # not a moment early
    clock.advance(seconds=1)
    worker.deliver()

    assert len(push_service.messages) == 1
    assert [(d.status, d.attempts) for d in deliveries(engine)] == [("sent", 2)]


def test_a_server_error_is_retried_with_a_doubling_wait_until_it_gives_up(
    org, engine, clock, sign_in, subscribe, push_service, worker, settings
):
    subscription = subscribe(sign_in(org.email("rep1")))
    push_service.respond_next(subscription, 500, times=settings.push_max_attempts)
    rejected(engine, org, clock)

    waits = []
    for _ in range(settings.push_max_attempts):
        worker.deliver()
        [delivery] = deliveries(engine)
        waits.append((delivery.due_at - clock.now).total_seconds() if delivery.status == "pending" else None)
        clock.now = delivery.due_at if delivery.status == "pending" else clock.now

    assert waits[:4] == [30, 60, 120, 240]
    assert waits[-1] is None
    [delivery] = deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status) == (
        "failed",
        settings.push_max_attempts,
        500,
    )
    assert push_service.messages == []


@pytest.mark.parametrize("status", [400, 403, 413])
def test_a_refusal_is_not_retried(status, org, engine, clock, sign_in, subscribe, push_service, worker):
    subscription = subscribe(sign_in(org.email("rep1")))
    push_service.respond_next(subscription, status)
    rejected(engine, org, clock)

    worker.deliver()
    clock.advance(hours=2)
    worker.deliver()

    assert [(d.status, d.last_status) for d in deliveries(engine)] == [("failed", status)]
    assert push_service.request_count == 1
    assert len(subscriptions(engine)) == 1  # the subscription itself is fine


def test_an_unreachable_push_service_is_retried_later(
    org, engine, clock, sign_in, subscribe, push_service, worker
):
    subscribe(sign_in(org.email("rep1")))
    rejected(engine, org, clock)
    push_service.stop()

    worker.deliver()

    [delivery] = deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.due_at) == (
        "pending",
        1,
        clock.now + timedelta(seconds=30),
    )
    assert delivery.last_error is not None and "unreachable" in delivery.last_error


def test_a_long_comment_is_shortened_to_fit_one_push(org, engine, clock, sign_in, subscribe, push_service, worker):
    subscribe(sign_in(org.email("rep1")))
    notification_id = rejected(engine, org, clock, comment="照片" * 2000)  # 12,000 bytes of UTF-8

    worker.deliver()

    [message] = push_service.messages
    assert len(message.payload) <= MAX_PAYLOAD_BYTES
    payload = json.loads(message.payload)
    assert payload["id"] == notification_id
    assert payload["body"].startswith("Your visit to 华东五金 was rejected: 照片照片") and payload[
        "body"
    ].endswith("…")
    assert len(rejected_body(engine, notification_id)) > 4000  # the inbox keeps every word


def rejected_body(engine, notification_id: str) -> str:
    with Session(engine) as session:
        found = session.get(Notification, notification_id)
        assert found is not None
        return found.body


def test_quiet_hours_hold_the_push_until_morning_but_not_the_inbox(
    org, engine, clock, sign_in, subscribe, push_service, worker: Worker
):
    rep = sign_in(org.email("rep1"))
    subscribe(rep)
    clock.now = clock.now.replace(hour=14, minute=30)  # 22:30 in Shanghai, the rep's zone
    rejected(engine, org, clock)

    worker.deliver()
    assert [n["title"] for n in rep.get("/api/v1/notifications").json()] == ["Visit rejected"]
    assert push_service.request_count == 0
    [delivery] = deliveries(engine)
    assert delivery.due_at == clock.now.replace(hour=0, minute=0) + timedelta(days=1)  # 08:00 Shanghai
    clock.now = delivery.due_at - timedelta(minutes=1)
    worker.deliver()
    assert push_service.request_count == 0
    clock.advance(minutes=1)
    worker.deliver()

    assert [p["title"] for p in payloads(push_service)] == ["Visit rejected"]


def test_quiet_hours_follow_the_users_own_time_zone(org, engine, clock, sign_in, subscribe, push_service, worker):
    with Session(engine) as session:
        session.get(User, org.user("rep1")).timezone = "Europe/Berlin"  # type: ignore[union-attr]
        session.commit()
    subscribe(sign_in(org.email("rep1")))
    clock.now = clock.now.replace(hour=14, minute=30)  # 22:30 in Shanghai, but 15:30 in Berlin

    rejected(engine, org, clock)
    worker.deliver()

    assert len(push_service.messages) == 1


def test_a_delivery_older_than_two_days_expires_unsent(
    org, engine, clock, sign_in, subscribe, push_service, worker
):
    subscription = subscribe(sign_in(org.email("rep1")))
    push_service.respond_next(subscription, 429, retry_after=str(3 * 24 * 3600))
    rejected(engine, org, clock)

    worker.deliver()
    clock.advance(days=3, seconds=1)
    worker.deliver()

    assert [d.status for d in deliveries(engine)] == ["expired"]
    assert push_service.request_count == 1
