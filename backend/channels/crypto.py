"""Channel secrets at rest: the webhook URL (its key) and the signing secret, encrypted with Fernet.

The Fernet key is derived from the server's `secret_key` with HKDF (SHA-256, an info label of its own, so the
key is used for nothing else). Keys listed in `FIELDGOAL_PREVIOUS_SECRET_KEYS` still decrypt, so that
rotating the secret key keeps the stored channels readable: new and re-entered channels are encrypted with
the current key. A secret that no key can read (the old key dropped) raises `UnreadableSecret`; the worker
then disables the channel and tells its managers to enter it again.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.settings import Settings

_INFO = b"fieldgoal team channel secrets v1"


class UnreadableSecret(Exception):
    """Encrypted under a secret key the server no longer has."""


@functools.lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys(settings: Settings) -> MultiFernet:
    current = settings.secret_key or settings.with_generated_secrets().secret_key
    return MultiFernet([_fernet(current), *(_fernet(old) for old in settings.previous_secret_keys)])


def encrypt(settings: Settings, plaintext: str) -> str:
    return _keys(settings).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(settings: Settings, token: str) -> str:
    try:
        return _keys(settings).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise UnreadableSecret("encrypted under a secret key this server no longer has") from None
