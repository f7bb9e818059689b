"""The server's VAPID identity (RFC 8292): the P-256 key that signs every push request.

The key comes from `FIELDGOAL_VAPID_PRIVATE_KEY` when that is set (a base64url raw 32-byte private scalar, as
`web-push generate-vapid-keys` prints it, or a PEM); otherwise it lives in `data_dir/vapid_private.pem`,
created with mode 0600 on first use. Its public half, `application_server_key`, is what the browser passes to
`pushManager.subscribe({applicationServerKey})`; changing the key orphans every existing subscription, which
is why it is generated once and kept.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_FILE_NAME = "vapid_private.pem"

_SETTING = "FIELDGOAL_VAPID_PRIVATE_KEY"


@dataclass(frozen=True)
class VapidKey:
    """A VAPID private key, its browser-facing public key, and where it is kept (None: in the settings)."""

    private_pem: str = field(repr=False)
    application_server_key: str
    path: Path | None = None

    def private_key(self) -> ec.EllipticCurvePrivateKey:
        """The key as a `cryptography` object, for signing."""
        return parse_private_key(self.private_pem)


def load_or_create_vapid_key(data_dir: Path, configured: str | None) -> VapidKey:
    """The configured key if there is one, else the one in `data_dir`, generating it on first use.

    Raises ValueError, naming the setting or the file, when the key cannot be read as a P-256 private key.
    """
    if configured is not None and configured.strip():
        return _from_private_key(parse_private_key(configured, source=_SETTING), path=None)
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    return _from_private_key(
        parse_private_key(path.read_text("ascii", errors="replace"), source=str(path)), path=path
    )


@functools.lru_cache(maxsize=8)
def cached_vapid_key(data_dir: Path, configured: str | None) -> VapidKey:
    """`load_or_create_vapid_key`, read once per process: the web server answers the public key often."""
    return load_or_create_vapid_key(data_dir, configured)


def parse_private_key(text: str, *, source: str = "the VAPID key") -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from a base64url raw scalar or a PEM (PKCS#8 or SEC 1 "EC PRIVATE KEY").

    The error message names `source` and the rule, never the key itself, because it is a secret.
    """
    text = text.strip()
    if text.startswith("-----BEGIN"):
        # A PEM in an environment variable or a one-line .env entry often arrives with literal "\n"s.
        if "\n" not in text:
            text = text.replace("\\n", "\n")
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise ValueError(f"{source} is not a readable unencrypted PEM private key") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"{source} must be an EC key on the P-256 curve (prime256v1)")
        return key
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{source} must be a base64url raw P-256 private key or a PEM private key") from exc
    if len(raw) != 32:
        raise ValueError(
            f"{source} must be a base64url raw P-256 private key (32 bytes, got {len(raw)}) or a PEM private key"
        )
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError as exc:
        # Zero, or a scalar not below the curve order: not a private key at all.
        raise ValueError(f"{source} is not a valid P-256 private key (scalar out of range)") from exc


def application_server_key(public_key: ec.EllipticCurvePublicKey) -> str:
    """The uncompressed 65-byte public point, base64url without padding, as browsers take it."""
    point = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode("ascii")


def _from_private_key(key: ec.EllipticCurvePrivateKey, *, path: Path | None) -> VapidKey:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return VapidKey(pem, application_server_key(key.public_key()), path)


def _create_key_file(path: Path) -> None:
    """Write a new key to `path`, readable by the owner only, unless another process got there first.

    The key is written to a 0600 temporary file and hard-linked into place: the link fails if the file
    exists, so two processes starting together agree on one key, and nobody ever reads a half-written file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".vapid-", suffix=".tmp")  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        # If another process created the file meanwhile, keep theirs, so both sign with the same key.
        with contextlib.suppress(FileExistsError):
            os.link(tmp_name, path)
    finally:
        os.unlink(tmp_name)
