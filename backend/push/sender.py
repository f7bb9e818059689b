"""Deliver one encrypted Web Push message: the only module that imports pywebpush.

`send` encrypts the payload for one subscription (RFC 8291, aes128gcm), signs a VAPID token for the push
service's origin (RFC 8292) and POSTs it (RFC 8030), then reports what the push service answered as a
`SendResult`; deciding what to do about it (delete a gone subscription, wait out a 429, retry) is the
caller's business. The errors, as a tree:

    ValueError
    ├── PayloadTooLarge        the plaintext would not fit one 4096-byte push message; nothing was sent
    └── InvalidSubscription    the subscription's keys or endpoint cannot be used; nothing was sent
    PushUnavailable            the push service could not be reached (DNS, refused, timeout, TLS)

Invalid arguments (empty payload, bad TTL, urgency or topic, a subject that is not mailto:/https:) raise
plain ValueError before anything is sent.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import functools
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02, VapidException
from pywebpush import WebPushException, webpush

from backend.push.keys import VapidKey

# RFC 8291 §4: a push message body is at most 4096 bytes; aes128gcm spends 86 on its header (16 salt, 4 record
# size, 1 key id length, 65 sender key) and 17 on the padding delimiter and the AEAD tag.
MAX_PAYLOAD_BYTES = 4096 - 86 - 17  # 3993

URGENCIES = ("very-low", "low", "normal", "high")  # RFC 8030 §5.3

# RFC 8030 §5.4: a Topic is at most 32 characters of the URL-safe base64 alphabet.
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

# How long a VAPID token stays valid: push services refuse more than 24 hours (RFC 8292 §2); 12 leaves room
# for clock skew, and a token is signed afresh for every message anyway.
TOKEN_LIFETIME_SECONDS = 12 * 60 * 60

_DEFAULT_PORTS = {"http": 80, "https": 443}


class PayloadTooLarge(ValueError):
    """The plaintext is over `MAX_PAYLOAD_BYTES`; push services refuse bodies over 4 KB with 413."""


class InvalidSubscription(ValueError):
    """The subscription's endpoint or keys are malformed: it can never be delivered to."""


class PushUnavailable(Exception):
    """The push service could not be reached; the message may be retried later."""


@dataclass(frozen=True)
class Subscription:
    """What the browser's `PushSubscription.toJSON()` gives: the endpoint URL and its two base64url keys."""

    endpoint: str
    p256dh: str  # the browser's P-256 public key, uncompressed point
    auth: str  # the 16-byte authentication secret


@dataclass(frozen=True)
class SendResult:
    """What the push service answered."""

    status: int
    # Seconds to wait before sending to this push service again (from a 429's or 503's Retry-After).
    retry_after: float | None = None
    # The start of the push service's explanation, for the logs.
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Accepted for delivery (201, or another 2xx)."""
        return 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """The subscription has expired or been unsubscribed; delete it (RFC 8030 §7.3)."""
        return self.status in (404, 410)


def send(
    subscription: Subscription,
    payload: bytes,
    *,
    vapid: VapidKey,
    subject: str,
    ttl: int,
    urgency: str = "normal",
    topic: str | None = None,
    timeout: float = 10.0,
    clock: Callable[[], float] = time.time,
) -> SendResult:
    """Encrypt `payload` for `subscription` and hand it to its push service.

    `ttl` is how many seconds the push service keeps the message for an offline device; `topic` (see
    `topic_for`) makes a newer message replace an undelivered older one with the same topic. `clock` dates
    the token's `exp` and reads a Retry-After date (though pywebpush swaps an `exp` already past for one
    from the real clock).
    """
    if not payload:
        # pywebpush would send an empty body without encryption headers; our service worker expects JSON.
        raise ValueError("payload is empty")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(
            f"payload is {len(payload)} bytes; a push message carries at most {MAX_PAYLOAD_BYTES}"
        )
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
        raise ValueError(f"ttl must be a whole number of seconds >= 0, got {ttl!r}")
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}, got {urgency!r}")
    if topic is not None and not _TOPIC.match(topic):
        raise ValueError("topic must be 1 to 32 URL-safe base64 characters (A-Z a-z 0-9 - _); see topic_for")
    if not (subject.startswith("mailto:") or subject.startswith("https://")):
        raise ValueError(f"FIELDGOAL_VAPID_SUBJECT must be a mailto: or https:// URL, got {subject!r}")
    audience = _origin(subscription.endpoint)
    check_keys(subscription)

    # A new dict on every call: pywebpush writes `aud` and `exp` into the claims it is given and keeps them
    # while they look valid, so a reused dict would sign the first endpoint's audience for every other one.
    claims: dict[str, str | int] = {
        "sub": subject,
        "aud": audience,
        "exp": int(clock()) + TOKEN_LIFETIME_SECONDS,
    }
    headers: dict[str, str | int | float] = {"Urgency": urgency}
    if topic is not None:
        headers["Topic"] = topic
    try:
        with requests.Session() as session:
            # requests follows redirects, turning the POST into a GET to wherever the Location points: a push
            # service never redirects, and following one would step outside the endpoint allow list.
            session.max_redirects = 0
            response = webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=payload,
                vapid_private_key=_signer(vapid.private_pem),
                vapid_claims=claims,
                content_encoding="aes128gcm",
                ttl=ttl,
                headers=headers,
                timeout=timeout,
                requests_session=session,
            )
    except requests.TooManyRedirects as exc:
        if exc.response is None:
            raise PushUnavailable(f"push service at {audience} answered with a redirect") from exc
        response = exc.response
    except WebPushException as exc:
        # pywebpush raises for every status above 202, with the response attached; that is an answer,
        # not a failure, so it becomes a result like any other.
        if exc.response is None:
            raise InvalidSubscription(exc.message) from exc
        response = exc.response
    except VapidException as exc:
        raise ValueError(f"cannot sign a VAPID token for {audience} as {subject!r}: {exc}") from exc
    except requests.RequestException as exc:
        raise PushUnavailable(f"push service at {audience} unreachable: {type(exc).__name__}") from exc

    retry_after = None
    if response.status_code in (429, 503):
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=clock())
    return SendResult(status=response.status_code, retry_after=retry_after, detail=response.text[:200])


def topic_for(key: str) -> str:
    """A valid Topic (32 URL-safe base64 characters) standing for any string, e.g. a notification's dedupe
    key: the same key always gives the same topic."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()[:24]  # 24 bytes are exactly 32 base64 characters
    return base64.urlsafe_b64encode(digest).decode("ascii")


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait, from a Retry-After of delay-seconds or an HTTP date (RFC 9110 §10.2.3); None if
    absent or unreadable. A date in the past means "now": 0."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None  # HTTP dates are always GMT; a date without a zone is not one
    return max(0.0, when.timestamp() - now)


def _origin(endpoint: str) -> str:
    """The push service's origin, the token's `aud` (RFC 8292 §2): scheme, host and a non-default port."""
    try:
        url = urlsplit(endpoint)
        port = url.port
    except ValueError as exc:
        raise InvalidSubscription(f"endpoint is not a valid URL: {exc}") from exc
    if url.scheme not in _DEFAULT_PORTS or not url.hostname:
        raise InvalidSubscription("endpoint must be an absolute http(s) URL")
    host = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
    if port is not None and port != _DEFAULT_PORTS[url.scheme]:
        host = f"{host}:{port}"
    return f"{url.scheme}://{host}"


def check_keys(subscription: Subscription) -> None:
    """Refuse keys the browser cannot have made (InvalidSubscription, naming the key); pywebpush would check
    only the p256dh length. Also used when a browser subscribes, so a bad key is refused at once."""
    try:
        p256dh = _b64url(subscription.p256dh)
        auth = _b64url(subscription.auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSubscription("p256dh is not a base64url uncompressed P-256 public key") from exc
    if len(p256dh) != 65:
        raise InvalidSubscription("p256dh must be an uncompressed P-256 point (65 bytes)")
    if len(auth) != 16:
        raise InvalidSubscription(f"auth must be a 16-byte secret, got {len(auth)} bytes")


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@functools.lru_cache(maxsize=4)
def _signer(private_pem: str) -> Vapid02:
    # Handing pywebpush a Vapid object rather than the key string keeps it from probing the file system
    # for a file named like the key (it calls os.path.isfile on a string key) and parsing it per message.
    return Vapid02(private_key=VapidKey(private_pem, "").private_key())
