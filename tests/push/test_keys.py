"""The server's VAPID identity: generated once into the data folder and kept, or taken from the settings."""

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from backend.push.keys import KEY_FILE_NAME, load_or_create_vapid_key


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_point(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(
        key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def raw_scalar(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def test_first_start_generates_a_key_readable_by_the_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"  # not there yet: a fresh install

    vapid = load_or_create_vapid_key(data_dir, None)

    assert vapid.path == data_dir / KEY_FILE_NAME
    assert stat.S_IMODE(vapid.path.stat().st_mode) == 0o600
    assert vapid.path.read_text() == vapid.private_pem
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE_NAME]  # no temporary file left behind
    point = base64.urlsafe_b64decode(vapid.application_server_key + "=")
    assert len(point) == 65 and point[0] == 4  # what pushManager.subscribe({applicationServerKey}) takes
    assert "=" not in vapid.application_server_key
    assert vapid.application_server_key == public_point(vapid.private_key())


def test_restart_reads_the_same_key_back(tmp_path: Path) -> None:
    first = load_or_create_vapid_key(tmp_path, None)
    second = load_or_create_vapid_key(tmp_path, None)

    assert second == first  # existing browser subscriptions stay valid across restarts


def test_blank_setting_counts_as_unset(tmp_path: Path) -> None:
    assert load_or_create_vapid_key(tmp_path, "  ").path == tmp_path / KEY_FILE_NAME


def test_configured_raw_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())

    vapid = load_or_create_vapid_key(tmp_path, raw_scalar(key))

    assert vapid.application_server_key == public_point(key)
    assert vapid.path is None
    assert list(tmp_path.iterdir()) == []


def test_configured_raw_key_may_carry_base64_padding(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    padded = raw_scalar(key) + "="

    assert load_or_create_vapid_key(tmp_path, padded).application_server_key == public_point(key)


@pytest.mark.parametrize(
    "private_format", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL]
)
def test_configured_pem_key_is_used(tmp_path: Path, private_format: serialization.PrivateFormat) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, private_format, serialization.NoEncryption()).decode()

    vapid = load_or_create_vapid_key(tmp_path, pem)

    assert vapid.application_server_key == public_point(key)
    assert vapid.path is None


def test_configured_pem_on_one_line_with_escaped_newlines_is_used(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

    vapid = load_or_create_vapid_key(tmp_path, pem.strip().replace("\n", "\\n"))  # as a .env line holds it

    assert vapid.application_server_key == public_point(key)


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize(
    ("configured", "rule"),
    [
        ("not a key at all!", "base64url raw P-256 private key"),
        (b64url(b"\x01" * 31), "32 bytes, got 31"),
        (b64url(b"\x00" * 32), "out of range"),
        (b64url(b"\xff" * 32), "out of range"),  # above the curve order
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "readable unencrypted PEM"),
        (_pem(ec.generate_private_key(ec.SECP384R1())), "P-256"),
        (_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)), "P-256"),
    ],
    ids=["garbage", "short", "zero", "over-order", "bad-pem", "p384", "rsa"],
)
def test_invalid_configured_key_is_refused_with_a_clear_message(
    tmp_path: Path, configured: str, rule: str
) -> None:
    with pytest.raises(ValueError, match="FIELDGOAL_VAPID_PRIVATE_KEY") as caught:
        load_or_create_vapid_key(tmp_path, configured)

    assert rule in str(caught.value)
    assert configured.strip() not in str(caught.value)  # a secret never lands in a log
    assert list(tmp_path.iterdir()) == []  # and no key was generated in its place


def test_damaged_key_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE_NAME).write_text("-----BEGIN PRIVATE KEY-----\ntruncated")

    with pytest.raises(ValueError, match=KEY_FILE_NAME):
        load_or_create_vapid_key(tmp_path, None)
