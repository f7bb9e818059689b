"""The address sign-in limits count: X-Forwarded-For is believed only from the proxies the settings name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import transport
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.models import LoginFailure
from backend.proxies import forwarded_client
from backend.settings import Settings, SettingsError

PROXY = "10.0.0.2"  # the company's reverse proxy


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url="sqlite://",
        data_dir=tmp_path / "data",
        secret_key="s" * 32,
        trusted_proxies=("10.0.0.0/24",),
        login_max_failures_per_address=3,
    )


@pytest.fixture
def peer(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """`peer["host"] = …` sets the address the next requests arrive from (the TCP peer, not a header)."""
    current = {"host": "203.0.113.50"}
    parse = transport.TestClientTransport.parse_request

    def parse_from_peer(self: transport.TestClientTransport, request: Any) -> dict[str, Any]:
        return parse(self, request) | {"client": (current["host"], 50000)}

    monkeypatch.setattr(transport.TestClientTransport, "parse_request", parse_from_peer)
    return current


def _fail(anonymous, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {"email": "rep1@example.com", "password": "wrong-password"}
    return anonymous.post("/api/v1/auth/login", json=body, headers=headers).status_code


def _counted(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(LoginFailure.address).order_by(LoginFailure.id)))


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(org, anonymous, peer, engine):
    peer["host"] = "203.0.113.50"
    assert _fail(anonymous, "198.51.100.1") == 401
    assert _fail(anonymous, "198.51.100.2") == 401
    assert _counted(engine) == ["203.0.113.50", "203.0.113.50"]
    # Rotating the header does not escape the per-address limit.
    assert _fail(anonymous, "198.51.100.3") == 401
    assert _fail(anonymous, "198.51.100.4") == 429


def test_behind_the_trusted_proxy_each_client_is_counted_by_its_own_address(org, anonymous, peer, engine):
    peer["host"] = PROXY
    for _ in range(3):
        assert _fail(anonymous, "198.51.100.7") == 401
    assert _fail(anonymous, "198.51.100.7") == 429
    # A colleague behind the same proxy is not locked out by those failures.
    assert _fail(anonymous, "198.51.100.8") == 401
    assert set(_counted(engine)) == {"198.51.100.7", "198.51.100.8"}


def test_only_the_address_the_proxy_saw_counts_not_what_the_client_prepended(org, anonymous, peer, engine):
    peer["host"] = PROXY
    # The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
    assert _fail(anonymous, "6.6.6.6, 198.51.100.7") == 401
    assert _counted(engine) == ["198.51.100.7"]


def test_a_trusted_proxy_that_sets_no_header_is_counted_itself(org, anonymous, peer, engine):
    peer["host"] = PROXY
    assert _fail(anonymous) == 401
    assert _counted(engine) == [PROXY]


def test_the_right_most_untrusted_hop_counts_through_a_chain_of_proxies() -> None:
    trusted = ("10.0.0.0/24", "::1")
    assert forwarded_client("10.0.0.2", ["6.6.6.6, 198.51.100.7", "10.0.0.9"], trusted) == "198.51.100.7"
    assert forwarded_client("::1", ["[2001:db8::5]:4711"], trusted) == "2001:db8::5"
    assert forwarded_client("::ffff:10.0.0.2", ["198.51.100.7:5000"], trusted) == "198.51.100.7"
    # Every hop trusted: the left-most is the best evidence there is.
    assert forwarded_client("10.0.0.2", ["10.0.0.3"], trusted) == "10.0.0.3"
    # A hop that is not an address is never counted by; the proxy that passed it on is.
    assert forwarded_client("10.0.0.2", ["unknown"], trusted) == "10.0.0.2"
    # No trusted proxies (the default): the peer, whatever the header says.
    assert forwarded_client("127.0.0.1", ["198.51.100.7"], ()) == "127.0.0.1"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    env = {"FIELDGOAL_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"}
    assert Settings.from_env(env, env_file=None).trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    assert Settings.from_env({}, env_file=None).trusted_proxies == ()
    with pytest.raises(SettingsError, match="FIELDGOAL_TRUSTED_PROXIES"):
        Settings.from_env({"FIELDGOAL_TRUSTED_PROXIES": "proxy.local"}, env_file=None)
