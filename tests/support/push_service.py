"""A local Web Push service: a real HTTP server on 127.0.0.1 that checks and decrypts what the server sends.

It plays the part of FCM or Mozilla's autopush for tests. It issues subscriptions the way a browser gets
them (a fresh P-256 key pair and a 16-byte auth secret per subscription), and for every POST to one of its
endpoints it checks what a real push service checks, independently of pywebpush (its own JWT and RFC 8291
code on `cryptography`): the VAPID token (RFC 8292: ES256 signature by the key in `k=`, `aud` equal to this
service's origin, `exp` in the future and at most 24 hours ahead, a mailto:/https: `sub`, and `k` equal to
the subscription's applicationServerKey when one was given), `Content-Encoding: aes128gcm`, a TTL header, a
body of at most 4096 bytes; then it decrypts the body with the subscription's private key and auth secret
and records the message. It answers 201 when all is well; 400, 401, 403, 404 or 413 with a one-line reason
otherwise; and it can be told to answer a given status to a subscription's next requests.

Use it as a context manager, or through a fixture:

    @pytest.fixture
    def push_service() -> Iterator[LocalPushService]:
        with LocalPushService() as service:
            yield service

    def test_something(push_service):
        subscription, _ = push_service.new_subscription(application_server_key=vapid.application_server_key)
        ...  # send to subscription.endpoint; allow push_service.host (http is allowed for loopback)
        assert push_service.messages[0].payload == b"..."
        push_service.respond_next(subscription, 429, retry_after="30")  # the next request gets a 429
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.push.sender import Subscription

MAX_BODY_BYTES = 4096  # RFC 8291 §4: push services need not accept more
MAX_TOKEN_LIFETIME = 24 * 60 * 60  # RFC 8292 §2


@dataclass(frozen=True)
class ReceivedMessage:
    """One push message the service accepted, decrypted."""

    endpoint_id: str
    payload: bytes
    headers: dict[str, str]  # names lower-cased
    claims: dict[str, Any]  # the verified VAPID token's claims


@dataclass
class _Registration:
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    application_server_key: bytes | None
    # Scripted answers for the next requests: (status, headers), first one first.
    scripted: list[tuple[int, dict[str, str]]] = field(default_factory=list)


class Rejected(Exception):
    """The request breaks a rule; answered with `status` and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class LocalPushService:
    """A push service on 127.0.0.1, an ephemeral port, answering from a background thread."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._registrations: dict[str, _Registration] = {}
        self._messages: list[ReceivedMessage] = []
        self._request_count = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> LocalPushService:
        # A short poll interval: `shutdown` waits for the loop to look, which would add 0.5 s to every test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="push-service", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LocalPushService:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- what tests use ----------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`, the entry to put in the push allow list."""
        return f"127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        """What a VAPID token's `aud` must say."""
        return f"http://{self.host}"

    def new_subscription(
        self, application_server_key: str | None = None
    ) -> tuple[Subscription, ec.EllipticCurvePrivateKey]:
        """Subscribe like a browser: a new endpoint, P-256 key pair and auth secret. With an
        `application_server_key` (base64url), requests signed by any other key are refused with 403."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth_secret = secrets.token_bytes(16)
        endpoint_id = secrets.token_urlsafe(16)
        restricted = _b64decode(application_server_key) if application_server_key else None
        with self._lock:
            self._registrations[endpoint_id] = _Registration(private_key, auth_secret, restricted)
        subscription = Subscription(
            endpoint=f"{self.origin}/push/{endpoint_id}",
            p256dh=_b64encode(_public_bytes(private_key.public_key())),
            auth=_b64encode(auth_secret),
        )
        return subscription, private_key

    def respond_next(
        self,
        subscription: Subscription,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer `status` (e.g. 404, 410, 413, 429) to the subscription's next `times` requests, with a
        `Retry-After: retry_after` header and any other `headers` given. The requests are still checked,
        but not recorded."""
        answer_headers = dict(headers or {})
        if retry_after is not None:
            answer_headers["Retry-After"] = retry_after
        with self._lock:
            self._registrations[_endpoint_id(subscription.endpoint)].scripted.extend(
                [(status, answer_headers)] * times
            )

    @property
    def messages(self) -> list[ReceivedMessage]:
        """The accepted messages so far, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    @property
    def request_count(self) -> int:
        """How many requests arrived, accepted or not."""
        with self._lock:
            return self._request_count

    # --- the push service's rules ------------------------------------------------------------------------

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], str]:
        with self._lock:
            self._request_count += 1
        try:
            endpoint_id = path.removeprefix("/push/")
            with self._lock:
                registration = self._registrations.get(endpoint_id) if path.startswith("/push/") else None
            if registration is None:
                raise Rejected(404, "no such subscription")
            claims = self._verify_authorization(headers.get("authorization", ""), registration)
            _check_headers(headers)
            if len(body) > MAX_BODY_BYTES:
                raise Rejected(413, f"body is {len(body)} bytes; at most {MAX_BODY_BYTES}")
            payload = decrypt_aes128gcm(body, registration.private_key, registration.auth_secret)
        except Rejected as rejected:
            return rejected.status, {}, rejected.reason
        with self._lock:
            if registration.scripted:
                status, answer_headers = registration.scripted.pop(0)
                return status, answer_headers, "scripted answer"
            self._messages.append(ReceivedMessage(endpoint_id, payload, headers, claims))
        return 201, {"Location": f"/message/{secrets.token_urlsafe(8)}"}, ""

    def _verify_authorization(self, authorization: str, registration: _Registration) -> dict[str, Any]:
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise Rejected(401, "Authorization must use the vapid scheme (RFC 8292)")
        parts = dict(p.strip().partition("=")[::2] for p in params.split(","))
        token, key = parts.get("t", ""), parts.get("k", "")
        try:
            public_bytes = _b64decode(key)
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_bytes)
        except (ValueError, binascii.Error) as exc:
            raise Rejected(401, "k is not a base64url P-256 public key") from exc
        claims = verify_jwt(token, public_key)
        now = self._clock()
        if claims.get("aud") != self.origin:
            raise Rejected(401, f"aud {claims.get('aud')!r} is not this push service ({self.origin})")
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= now:
            raise Rejected(401, "exp is missing or in the past")
        if exp > now + MAX_TOKEN_LIFETIME:
            raise Rejected(401, "exp is more than 24 hours ahead")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not (sub.startswith("mailto:") or sub.startswith("https:")):
            raise Rejected(401, "sub must be a mailto: or https: URI")
        if registration.application_server_key not in (None, public_bytes):
            raise Rejected(403, "k is not the applicationServerKey this subscription was made for")
        return claims


def verify_jwt(token: str, public_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """The claims of an ES256 JWT signed by `public_key`; Rejected(401) if it is not one."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(_b64decode(header_b64))
        signature = _b64decode(signature_b64)
        claims = json.loads(_b64decode(claims_b64))
    except (ValueError, binascii.Error) as exc:
        raise Rejected(401, "t is not a JWT") from exc
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        raise Rejected(401, "the JWT must be signed with ES256")
    if len(signature) != 64 or not isinstance(claims, dict):
        raise Rejected(401, "the JWT signature must be 64 bytes (r || s)")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, f"{header_b64}.{claims_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise Rejected(401, "invalid JWT signature") from exc
    return claims


def decrypt_aes128gcm(body: bytes, private_key: ec.EllipticCurvePrivateKey, auth_secret: bytes) -> bytes:
    """The plaintext of an RFC 8291 (Web Push) aes128gcm body; Rejected(400) if it does not decrypt."""
    if len(body) < 21:
        raise Rejected(400, "body too short for an aes128gcm header")
    salt, record_size, id_length = body[:16], struct.unpack("!I", body[16:20])[0], body[20]
    sender_key_bytes, ciphertext = body[21 : 21 + id_length], body[21 + id_length :]
    if id_length != 65 or record_size < 18:
        raise Rejected(400, "aes128gcm header must carry the sender's 65-byte public key")
    try:
        sender_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_key_bytes)
    except ValueError as exc:
        raise Rejected(400, "the key id is not a P-256 point") from exc
    shared_secret = private_key.exchange(ec.ECDH(), sender_key)
    key_info = b"WebPush: info\x00" + _public_bytes(private_key.public_key()) + sender_key_bytes
    ikm = _hkdf(salt=auth_secret, ikm=shared_secret, info=key_info, length=32)
    cek = _hkdf(salt=salt, ikm=ikm, info=b"Content-Encoding: aes128gcm\x00", length=16)
    nonce = _hkdf(salt=salt, ikm=ikm, info=b"Content-Encoding: nonce\x00", length=12)
    records = [ciphertext[i : i + record_size] for i in range(0, len(ciphertext), record_size)]
    if not records:
        raise Rejected(400, "no records")
    plaintext = b""
    for seq, record in enumerate(records):
        record_nonce = (int.from_bytes(nonce, "big") ^ seq).to_bytes(12, "big")
        try:
            padded = AESGCM(cek).decrypt(record_nonce, record, None)
        except InvalidTag as exc:
            raise Rejected(400, "the body does not decrypt with this subscription's keys") from exc
        data = padded.rstrip(b"\x00")
        last = seq == len(records) - 1
        # RFC 8188 §2: the last record's padding starts with 0x02, every other record's with 0x01.
        if not data or data[-1] != (2 if last else 1):
            raise Rejected(400, "bad record padding delimiter")
        plaintext += data[:-1]
    return plaintext


def _check_headers(headers: dict[str, str]) -> None:
    if headers.get("content-encoding") != "aes128gcm":
        raise Rejected(400, "Content-Encoding must be aes128gcm")
    if not headers.get("ttl", "").isdigit():
        raise Rejected(400, "TTL header missing or not a number of seconds")
    if headers.get("urgency", "normal") not in ("very-low", "low", "normal", "high"):
        raise Rejected(400, "Urgency must be very-low, low, normal or high")
    topic = headers.get("topic")
    if topic is not None and not (
        0 < len(topic) <= 32 and all(c.isascii() and (c.isalnum() or c in "-_") for c in topic)
    ):
        raise Rejected(400, "Topic must be at most 32 URL-safe base64 characters")


def _make_handler(service: LocalPushService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, extra_headers, reason = service._receive(self.path, headers, body)
            content = reason.encode("utf-8")
            self.send_response(status)
            for name, value in extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean; the recorded messages and reasons are what tests look at

    return Handler


def _endpoint_id(endpoint: str) -> str:
    return endpoint.rsplit("/push/", 1)[1]


def _hkdf(*, salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def _public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
