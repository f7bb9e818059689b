"""Push subscriptions (CONTRACT.md): the allow list and the https rule, keys checked at once, one browser
per endpoint, unsubscribing; and the inbox endpoint."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEntry
from backend.notify.service import notify
from backend.org.models import User
from backend.push.keys import load_or_create_vapid_key
from tests.conftest import both_databases
from tests.notify.conftest import deliveries, inbox_of
from tests.notify.test_delivery import rejected, subscriptions

P256DH = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
AUTH = "BTBZMqHH6r4Tts7J_aSIgg"


def test_an_endpoint_outside_the_allow_list_is_refused_and_nothing_is_stored(org, engine, sign_in):
    rep = sign_in(org.email("rep1"))

    response = rep.post(
        "/api/v1/push/subscriptions",
        json={"endpoint": "https://evil.example.com/push/1", "keys": {"p256dh": P256DH, "auth": AUTH}},
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("endpoint", "endpoint_not_allowed")
    assert error["message"] == "is not at a push service this server may send to"
    assert subscriptions(engine) == []


def test_plain_http_is_refused_except_for_a_loopback_host_on_the_list(org, sign_in, push_service):
    rep = sign_in(org.email("rep2"))  # speaks Chinese

    response = rep.post(
        "/api/v1/push/subscriptions",
        json={"endpoint": "http://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": P256DH, "auth": AUTH}},
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["code"], error["message"]) == (
        "endpoint",
        "endpoint_not_https",
        "必须是 https:// 地址",
    )
    ok = rep.post(
        "/api/v1/push/subscriptions",
        json={"endpoint": f"{push_service.origin}/push/abc", "keys": {"p256dh": P256DH, "auth": AUTH}},
    )
    assert ok.status_code == 201


def test_keys_that_no_browser_makes_are_refused(org, sign_in, push_service):
    rep = sign_in(org.email("rep1"))
    endpoint = f"{push_service.origin}/push/abc"

    bad_point = rep.post(
        "/api/v1/push/subscriptions", json={"endpoint": endpoint, "keys": {"p256dh": "AAAA", "auth": AUTH}}
    )
    short_auth = rep.post(
        "/api/v1/push/subscriptions", json={"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": "AAAA"}}
    )
    no_keys = rep.post("/api/v1/push/subscriptions", json={"endpoint": endpoint})

    assert [r.json()["errors"][0]["field"] for r in (bad_point, short_auth, no_keys)] == [
        "keys.p256dh",
        "keys.auth",
        "keys",
    ]
    assert {r.status_code for r in (bad_point, short_auth, no_keys)} == {422}


@both_databases
def test_a_second_user_on_the_same_browser_takes_the_subscription_over(
    org, engine, clock, sign_in, subscribe, push_service, worker
):
    rep1, rep2 = sign_in(org.email("rep1")), sign_in(org.email("rep2"))
    shared = subscribe(rep1)  # the team's shared phone, rep1 signed in first
    own = subscribe(rep1)  # rep1's own phone
    before = rejected(engine, org, clock, who="rep1", key="before")  # queued for both of rep1's phones
    same_keys = {"p256dh": shared.p256dh, "auth": shared.auth}

    # rep2 signs in on the shared phone: the browser's one subscription, with the keys only it knows.
    response = rep2.post("/api/v1/push/subscriptions", json={"endpoint": shared.endpoint, "keys": same_keys})
    after = rejected(engine, org, clock, who="rep1", key="after")
    for_rep2 = rejected(engine, org, clock, who="rep2", key="rep2")
    worker.deliver()

    assert response.status_code == 201
    received = {(m.endpoint_id, json.loads(m.payload)["id"]) for m in push_service.messages}
    # The shared phone shows only rep2's news; rep1's, queued before or made after, reach rep1's own phone.
    assert received == {(_id(shared), for_rep2), (_id(own), before), (_id(own), after)}
    assert sorted(d.status for d in deliveries(engine) if d.notification_id == before) == ["gone", "sent"]
    assert {s.endpoint: s.user_id for s in subscriptions(engine)} == {
        shared.endpoint: org.user("rep2"),
        own.endpoint: org.user("rep1"),
    }
    with Session(engine) as session:
        [moved] = session.scalars(select(AuditEntry)).all()
    assert (moved.actor_id, moved.action, moved.before, moved.after) == (
        org.user("rep2"),
        "push_subscription.move",
        {"user_id": org.user("rep1")},
        {"user_id": org.user("rep2")},
    )


@both_databases
def test_another_user_cannot_take_an_endpoint_with_keys_of_their_own(
    org, engine, clock, sign_in, subscribe, push_service, worker, settings
):
    rep1, rep2 = sign_in(org.email("rep1")), sign_in(org.email("rep2"))
    victim = subscribe(rep1)
    vapid = load_or_create_vapid_key(settings.data_dir, settings.vapid_private_key)
    theirs, _ = push_service.new_subscription(application_server_key=vapid.application_server_key)

    # rep2 learned rep1's endpoint and offers it with keys rep2 can decrypt for.
    response = rep2.post(
        "/api/v1/push/subscriptions",
        json={"endpoint": victim.endpoint, "keys": {"p256dh": theirs.p256dh, "auth": theirs.auth}},
    )
    for_rep1 = rejected(engine, org, clock, who="rep1", key="1")
    rejected(engine, org, clock, who="rep2", key="2")
    worker.deliver()

    assert response.status_code == 409
    assert response.json()["code"] == "endpoint_taken"
    [stored] = subscriptions(engine)
    assert (stored.user_id, stored.p256dh, stored.auth) == (org.user("rep1"), victim.p256dh, victim.auth)
    # rep1's phone still receives (and decrypts) rep1's news; nothing of rep2's goes there.
    assert [(m.endpoint_id, json.loads(m.payload)["id"]) for m in push_service.messages] == [
        (_id(victim), for_rep1)
    ]


def _id(subscription) -> str:
    """The endpoint's id at the local push service, as its received messages name it."""
    return subscription.endpoint.rsplit("/", 1)[1]


def test_unsubscribing_stops_the_pushes(org, engine, clock, sign_in, subscribe, push_service, worker):
    rep = sign_in(org.email("rep1"))
    subscription = subscribe(rep)

    response = rep.client.request(
        "DELETE", "/api/v1/push/subscriptions", json={"endpoint": subscription.endpoint}, headers=rep.headers()
    )
    rejected(engine, org, clock)
    worker.deliver()

    assert response.status_code == 204
    assert subscriptions(engine) == []
    assert push_service.request_count == 0


def test_the_vapid_key_is_public_and_stable(anonymous, settings):
    first = anonymous.get("/api/v1/push/vapid-public-key")
    second = anonymous.get("/api/v1/push/vapid-public-key")

    assert first.status_code == 200
    assert first.json() == second.json()
    assert len(first.json()["key"]) == 87  # 65 bytes, base64url without padding


def test_subscribing_needs_a_signed_in_user(anonymous, push_service):
    response = anonymous.post(
        "/api/v1/push/subscriptions",
        json={"endpoint": f"{push_service.origin}/push/abc", "keys": {"p256dh": P256DH, "auth": AUTH}},
    )

    assert response.status_code == 401


def test_the_inbox_is_newest_first_and_unread_filters_what_was_read(org, engine, clock, sign_in, phone_for):
    first = rejected(engine, org, clock, key="1")
    clock.advance(minutes=5)
    second = rejected(engine, org, clock, key="2")
    rejected(engine, org, clock, who="rep2", key="3")  # someone else's
    rep = sign_in(org.email("rep1"))

    everything = rep.get("/api/v1/notifications").json()
    phone = phone_for(rep)
    phone.sync()
    phone.queue_mutation("notification", "action", first, name="read")
    phone.sync()
    unread = rep.get("/api/v1/notifications?unread=1").json()

    assert [n["id"] for n in everything] == [second, first]
    assert [n["id"] for n in unread] == [second]
    assert rep.get("/api/v1/notifications?limit=0").status_code == 422


def test_a_notification_is_stored_once_however_often_it_is_made(org, engine, clock):
    rejected(engine, org, clock, key="same")
    with Session(engine) as session:
        rep = session.get(User, org.user("rep1"))
        assert rep is not None
        again = notify(session, rep, "visit_rejected", "review:same", {"customer": "x", "comment": ""}, clock.now)
        session.commit()

    assert again is None
    assert [n.body for n in inbox_of(engine, org.user("rep1"))] == [
        "Your visit to 华东五金 was rejected: no photo"
    ]
