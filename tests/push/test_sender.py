"""Sending a push message, end to end against a local push service that verifies and decrypts it.

Nothing is mocked: `send` goes through pywebpush and requests over real HTTP to `LocalPushService`, which
checks the VAPID token with its own JWT code and decrypts the body with its own RFC 8291 code.
"""

import base64
import email.utils
import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from backend.push.keys import VapidKey, load_or_create_vapid_key
from backend.push.sender import (
    MAX_PAYLOAD_BYTES,
    InvalidSubscription,
    PayloadTooLarge,
    PushUnavailable,
    Subscription,
    parse_retry_after,
    send,
    topic_for,
)
from tests.support.push_service import LocalPushService

SUBJECT = "mailto:admin@localhost"
NOTIFICATION = json.dumps(
    {"title": "目标达成 80%", "body": "本月销售额已达成 80%，还差 ¥12,000", "url": "/goals/12"},
    ensure_ascii=False,
).encode("utf-8")


@pytest.fixture
def push_service() -> Iterator[LocalPushService]:
    with LocalPushService() as service:
        yield service


@pytest.fixture
def vapid(tmp_path: Path) -> VapidKey:
    return load_or_create_vapid_key(tmp_path, None)


def test_a_message_reaches_the_push_service_verified_and_decrypted(
    push_service: LocalPushService, vapid: VapidKey
) -> None:
    subscription, _ = push_service.new_subscription(application_server_key=vapid.application_server_key)

    result = send(subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=3600)

    assert (result.status, result.ok, result.gone, result.retry_after) == (201, True, False, None)
    [message] = push_service.messages
    assert message.endpoint_id == subscription.endpoint.rsplit("/", 1)[1]
    assert message.payload == NOTIFICATION
    assert message.headers["ttl"] == "3600"
    assert message.headers["urgency"] == "normal"
    assert message.headers["content-encoding"] == "aes128gcm"
    assert "topic" not in message.headers
    assert message.claims["aud"] == push_service.origin
    assert message.claims["sub"] == SUBJECT
    assert time.time() + 11.9 * 3600 < message.claims["exp"] <= time.time() + 12 * 3600


def test_urgency_and_topic_are_passed_to_the_push_service(push_service: LocalPushService, vapid: VapidKey) -> None:
    subscription, _ = push_service.new_subscription()
    topic = topic_for("milestone:goal:12:80%")  # a dedupe key, which is not a valid topic itself

    send(subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=0, urgency="high", topic=topic)

    [message] = push_service.messages
    assert (message.headers["urgency"], message.headers["topic"], message.headers["ttl"]) == ("high", topic, "0")
    assert len(topic) == 32 and topic == topic_for("milestone:goal:12:80%")


@pytest.mark.parametrize(
    ("arguments", "rule"),
    [
        ({"topic": "milestone:goal:12"}, "topic"),
        ({"topic": "a" * 33}, "topic"),
        ({"topic": ""}, "topic"),
        ({"urgency": "urgent"}, "urgency"),
        ({"ttl": -1}, "ttl"),
        ({"subject": "admin@example.com"}, "FIELDGOAL_VAPID_SUBJECT"),
    ],
)
def test_invalid_options_are_refused_before_any_request(
    push_service: LocalPushService, vapid: VapidKey, arguments: dict[str, object], rule: str
) -> None:
    subscription, _ = push_service.new_subscription()
    options: dict[str, object] = {"vapid": vapid, "subject": SUBJECT, "ttl": 60, **arguments}

    with pytest.raises(ValueError, match=rule):
        send(subscription, NOTIFICATION, **options)  # type: ignore[arg-type]

    assert push_service.request_count == 0


def test_the_largest_payload_fits_one_push_message(push_service: LocalPushService, vapid: VapidKey) -> None:
    subscription, _ = push_service.new_subscription()
    payload = os.urandom(MAX_PAYLOAD_BYTES)

    result = send(subscription, payload, vapid=vapid, subject=SUBJECT, ttl=60)

    # The service refuses bodies over 4096 bytes with 413, so this also proves the limit is the right one.
    assert result.status == 201
    assert push_service.messages[0].payload == payload


def test_a_payload_over_the_limit_is_refused_before_any_request(
    push_service: LocalPushService, vapid: VapidKey
) -> None:
    subscription, _ = push_service.new_subscription()

    with pytest.raises(PayloadTooLarge, match="3994 bytes"):
        send(subscription, b"x" * (MAX_PAYLOAD_BYTES + 1), vapid=vapid, subject=SUBJECT, ttl=60)

    assert issubclass(PayloadTooLarge, ValueError)
    assert push_service.request_count == 0


def test_an_empty_payload_is_refused(push_service: LocalPushService, vapid: VapidKey) -> None:
    subscription, _ = push_service.new_subscription()

    with pytest.raises(ValueError, match="empty"):
        send(subscription, b"", vapid=vapid, subject=SUBJECT, ttl=60)

    assert push_service.request_count == 0


def test_claims_are_made_afresh_for_every_message(vapid: VapidKey) -> None:
    # Two push services on two origins: a claims dict carried over from the first send would keep the first
    # audience (pywebpush only fills in `aud` when it is missing) and the second service would refuse it.
    start = time.time()
    with LocalPushService() as first, LocalPushService() as second:
        to_first, _ = first.new_subscription(application_server_key=vapid.application_server_key)
        to_second, _ = second.new_subscription(application_server_key=vapid.application_server_key)

        one = send(to_first, b"one", vapid=vapid, subject=SUBJECT, ttl=60, clock=lambda: start)
        two = send(to_second, b"two", vapid=vapid, subject=SUBJECT, ttl=60, clock=lambda: start + 600)
        three = send(to_first, b"three", vapid=vapid, subject="mailto:ops@example.com", ttl=60)

        assert (one.status, two.status, three.status) == (201, 201, 201)
        first_claims = [m.claims for m in first.messages]
        [second_claims] = [m.claims for m in second.messages]
    assert [c["aud"] for c in first_claims] == [first.origin, first.origin]
    assert second_claims["aud"] == second.origin
    assert first_claims[0]["exp"] == int(start) + 12 * 3600
    assert second_claims["exp"] == int(start + 600) + 12 * 3600  # not the first message's expiry
    assert [c["sub"] for c in first_claims] == [SUBJECT, "mailto:ops@example.com"]


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_subscription_is_reported_gone(
    push_service: LocalPushService, vapid: VapidKey, status: int
) -> None:
    subscription, _ = push_service.new_subscription()
    push_service.respond_next(subscription, status)

    result = send(subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60)

    assert (result.status, result.gone, result.ok, result.retry_after) == (status, True, False, None)
    assert push_service.messages == []


def test_an_unknown_endpoint_is_reported_gone(push_service: LocalPushService, vapid: VapidKey) -> None:
    subscription, _ = push_service.new_subscription()
    unknown = Subscription(push_service.origin + "/push/never-issued", subscription.p256dh, subscription.auth)

    assert send(unknown, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60).gone


def test_too_many_requests_reports_how_long_to_wait_in_seconds(
    push_service: LocalPushService, vapid: VapidKey
) -> None:
    subscription, _ = push_service.new_subscription()
    push_service.respond_next(subscription, 429, retry_after="120")

    throttled = send(subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60)
    later = send(subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60)

    assert (throttled.status, throttled.retry_after, throttled.ok, throttled.gone) == (429, 120.0, False, False)
    assert (later.status, later.retry_after) == (201, None)  # only the next request was throttled
    assert len(push_service.messages) == 1


def test_too_many_requests_reports_how_long_to_wait_from_an_http_date(
    push_service: LocalPushService, vapid: VapidKey
) -> None:
    now = float(int(time.time()))
    subscription, _ = push_service.new_subscription()
    push_service.respond_next(subscription, 429, retry_after=email.utils.formatdate(now + 90, usegmt=True))

    result = send(subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60, clock=lambda: now)

    assert (result.status, result.retry_after) == (429, 90.0)


def test_too_large_is_reported_as_neither_ok_nor_gone(push_service: LocalPushService, vapid: VapidKey) -> None:
    subscription, _ = push_service.new_subscription()
    push_service.respond_next(subscription, 413, times=2)

    results = [send(subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60) for _ in range(3)]

    assert [(r.status, r.ok, r.gone) for r in results] == [(413, False, False)] * 2 + [(201, True, False)]


def test_a_redirect_is_reported_not_followed(push_service: LocalPushService, vapid: VapidKey) -> None:
    subscription, _ = push_service.new_subscription()
    with LocalPushService() as elsewhere:
        decoy, _ = elsewhere.new_subscription()
        push_service.respond_next(subscription, 307, headers={"Location": decoy.endpoint})

        result = send(subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60)

        assert (result.status, result.ok, result.gone) == (307, False, False)
        assert elsewhere.request_count == 0  # the allow list was checked for the endpoint, not for the redirect


def test_a_subscription_made_for_another_server_key_is_refused(
    push_service: LocalPushService, vapid: VapidKey, tmp_path: Path
) -> None:
    other_server = load_or_create_vapid_key(tmp_path / "other", None)
    subscription, _ = push_service.new_subscription(application_server_key=other_server.application_server_key)

    result = send(subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60)

    assert (result.status, result.ok, result.gone) == (403, False, False)
    assert "applicationServerKey" in result.detail


def test_a_token_more_than_a_day_ahead_is_refused(push_service: LocalPushService, vapid: VapidKey) -> None:
    # A server clock 13 hours fast signs tokens expiring 25 hours from (real) now: the verifier checks exp.
    subscription, _ = push_service.new_subscription()

    result = send(
        subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60, clock=lambda: time.time() + 13 * 3600
    )

    assert result.status == 401
    assert "more than 24 hours ahead" in result.detail


# --- the verifier can fail: hand-built requests that differ from a good one in one respect -----------------


def _raw_push(
    service: LocalPushService,
    subscription: Subscription,
    *,
    signing_key: ec.EllipticCurvePrivateKey,
    claimed_key: str,
    audience: str,
    expires: float | None = None,
) -> tuple[int, str]:
    """POST a push message built without pywebpush: http_ece encrypts, py_vapid signs with `signing_key`,
    and the Authorization header claims `claimed_key`. Returns the status and the service's reason."""
    body = http_ece.encrypt(
        b"hand-built",
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=base64.urlsafe_b64decode(subscription.p256dh + "="),
        auth_secret=base64.urlsafe_b64decode(subscription.auth + "=="),
        version="aes128gcm",
    )
    signed = Vapid02(private_key=signing_key).sign(
        {"sub": SUBJECT, "aud": audience, "exp": int(time.time() + 3600 if expires is None else expires)}
    )
    token = signed["Authorization"].split("t=", 1)[1].split(",", 1)[0]
    request = urllib.request.Request(
        subscription.endpoint,
        data=body,
        method="POST",
        headers={
            "Authorization": f"vapid t={token}, k={claimed_key}",
            "Content-Encoding": "aes128gcm",
            "TTL": "60",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def test_a_correctly_built_request_is_accepted(push_service: LocalPushService, vapid: VapidKey) -> None:
    # The control for the forgeries below: built the same way, signed by the right key.
    subscription, _ = push_service.new_subscription(application_server_key=vapid.application_server_key)

    status, _ = _raw_push(
        push_service,
        subscription,
        signing_key=vapid.private_key(),
        claimed_key=vapid.application_server_key,
        audience=push_service.origin,
    )

    assert status == 201
    assert push_service.messages[0].payload == b"hand-built"


def test_a_token_signed_by_another_key_is_refused(push_service: LocalPushService, vapid: VapidKey) -> None:
    subscription, _ = push_service.new_subscription(application_server_key=vapid.application_server_key)

    status, reason = _raw_push(
        push_service,
        subscription,
        signing_key=ec.generate_private_key(ec.SECP256R1()),  # the forger's key
        claimed_key=vapid.application_server_key,  # posing as the server
        audience=push_service.origin,
    )

    assert (status, reason) == (401, "invalid JWT signature")
    assert push_service.messages == []


def test_a_token_for_another_push_service_is_refused(push_service: LocalPushService, vapid: VapidKey) -> None:
    subscription, _ = push_service.new_subscription()

    status, reason = _raw_push(
        push_service,
        subscription,
        signing_key=vapid.private_key(),
        claimed_key=vapid.application_server_key,
        audience="https://fcm.googleapis.com",
    )

    assert status == 401
    assert "aud" in reason


def test_an_expired_token_is_refused(push_service: LocalPushService, vapid: VapidKey) -> None:
    # Built by hand because pywebpush replaces an expired `exp` with one from the real clock.
    subscription, _ = push_service.new_subscription()

    status, reason = _raw_push(
        push_service,
        subscription,
        signing_key=vapid.private_key(),
        claimed_key=vapid.application_server_key,
        audience=push_service.origin,
        expires=time.time() - 60,
    )

    assert (status, reason) == (401, "exp is missing or in the past")


# --- what never reaches a push service -------------------------------------------------------------------


def test_an_unreachable_push_service_raises_push_unavailable(vapid: VapidKey) -> None:
    with LocalPushService() as service:
        subscription, _ = service.new_subscription()
    # The service has stopped: its port now refuses connections.

    with pytest.raises(PushUnavailable, match="unreachable"):
        send(subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60)


def test_a_push_service_that_never_answers_raises_push_unavailable_after_the_timeout(vapid: VapidKey) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        port = silent.getsockname()[1]
        with LocalPushService() as service:
            subscription, _ = service.new_subscription()
        silent_subscription = Subscription(
            f"http://127.0.0.1:{port}/push/x", subscription.p256dh, subscription.auth
        )
        started = time.monotonic()

        with pytest.raises(PushUnavailable):
            send(silent_subscription, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60, timeout=0.3)

    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("p256dh", "auth"),
    [
        ("not-a-key", None),
        (base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).decode().rstrip("="), None),  # not on the curve
        (None, "c2hvcnQ"),  # 5 bytes
    ],
)
def test_a_subscription_with_bad_keys_is_refused_before_any_request(
    push_service: LocalPushService, vapid: VapidKey, p256dh: str | None, auth: str | None
) -> None:
    good, _ = push_service.new_subscription()
    bad = Subscription(good.endpoint, p256dh or good.p256dh, auth or good.auth)

    with pytest.raises(InvalidSubscription):
        send(bad, NOTIFICATION, vapid=vapid, subject=SUBJECT, ttl=60)

    assert push_service.request_count == 0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
        ("Wed, 21 Oct 2015 07:26:00 GMT", 0.0),  # already past
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(value: str | None, seconds: float | None) -> None:
    now = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:27:00 GMT").timestamp()

    assert parse_retry_after(value, now=now) == seconds
