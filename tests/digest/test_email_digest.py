"""The morning email digest, opt-in, through a real SMTP server started in the test (aiosmtpd)."""

from __future__ import annotations

import email
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from backend.settings import Settings
from backend.visits.models import Visit
from backend.worker import Worker
from tests.conftest import Clock
from tests.kpi.helpers import actor, customer, goal, visit

# rep1's zone: the digest names the rep's local day.
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Inbox:
    """An SMTP server's handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def settings(settings: Settings, smtp: tuple[Inbox, int]) -> Settings:
    return replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_security="none",
        smtp_from="Fieldgoal <fieldgoal@example.com>",
    )


@pytest.fixture
def worker(engine: Engine, settings: Settings, clock: Clock) -> Iterator[Worker]:
    made = Worker(settings, engine=engine, clock=clock)
    yield made
    made.close()


def _parts(message: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True)  # type: ignore[union-attr]
        .decode(part.get_content_charset() or "utf-8")
        .replace("\r\n", "\n")
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }


def test_an_opted_in_rep_gets_one_digest_with_yesterdays_figures_and_what_is_needed(
    org, engine, clock: Clock, sign_in, smtp, worker: Worker
):
    inbox, _ = smtp
    rep = sign_in(org.email("rep1"))
    assert rep.get("/api/v1/me/email-digest").json() == {
        "enabled": False,
        "email": org.email("rep1"),
        "available": True,
    }
    assert rep.client.put("/api/v1/me/email-digest", json={"enabled": True}, headers=rep.headers()).json()[
        "enabled"
    ]
    bad = rep.client.put("/api/v1/me/email-digest", json={"enabled": "yes"}, headers=rep.headers())
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "enabled"
    with Session(engine, expire_on_commit=False) as session:
        rep_actor, lead_actor = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        goal(
            session,
            actor(session, org.user("eastmgr")),
            ("user", org.user("rep1")),
            "visits",
            "2026-11",
            "20",
            clock.now,
        )
        customer_id = customer(session, rep_actor, clock.now, name="华东五金")
        visit(session, rep_actor, lead_actor, customer_id, "2026-11-19T10:00:00+08:00", None, clock.now)
        later = visit(session, rep_actor, lead_actor, customer_id, "2026-11-19T15:00:00+08:00", None, clock.now)
        found = session.get(Visit, later)
        assert found is not None
        found.next_follow_up_on = date(2026, 11, 20)
        session.commit()

    worker.run_once()  # 10:00 in Shanghai: rep1's morning
    worker.run_once()

    [(to, message)] = inbox.messages
    assert to == [org.email("rep1")]
    today = clock.now.astimezone(SHANGHAI).date()
    assert message["Subject"] == f"Fieldgoal daily digest, {today}"
    parts = _parts(message)
    text = parts["text/plain"]
    assert (
        f"Yesterday ({today - timedelta(days=1)})\n- 2 visits, 0 deals won, ¥0.00 revenue, 0 new customers" in text
    )
    assert "- visits 2026-11: 2 of 20, " in text and "a day for the" in text
    assert "Follow-ups due today\n- 华东五金" in text
    assert "<li>华东五金</li>" in parts["text/html"]


def test_a_lead_reads_the_approvals_waiting_and_nobody_else_is_mailed(
    org, engine, clock: Clock, sign_in, smtp, worker: Worker
):
    inbox, _ = smtp
    lead = sign_in(org.email("lead1"))
    lead.client.put("/api/v1/me/email-digest", json={"enabled": True}, headers=lead.headers())
    with Session(engine, expire_on_commit=False) as session:
        rep_actor, lead_actor = actor(session, org.user("rep2")), actor(session, org.user("lead1"))
        customer_id = customer(session, rep_actor, clock.now)
        visit(
            session, rep_actor, lead_actor, customer_id, "2026-11-20T09:00:00+08:00", None, clock.now, approve=None
        )
        session.commit()

    worker.run_once()

    [(to, message)] = inbox.messages
    assert to == [org.email("lead1")]
    assert "Visits waiting for your approval: 1" in _parts(message)["text/plain"]


def test_without_smtp_settings_nothing_is_queued(org, engine, clock: Clock, sign_in, settings: Settings):
    rep = sign_in(org.email("rep1"))
    rep.client.put("/api/v1/me/email-digest", json={"enabled": True}, headers=rep.headers())
    worker = Worker(replace(settings, smtp_host=""), engine=engine, clock=clock)
    try:
        worker.run_once()
    finally:
        worker.close()
    from backend.digest.models import EmailDigest

    with Session(engine) as session:
        assert session.query(EmailDigest).count() == 0


def _certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the test trusts it through SSL_CERT_FILE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_the_digest_goes_over_starttls_or_implicit_tls_with_a_login(
    org,
    engine,
    clock: Clock,
    sign_in,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    security,
):
    cert_path, key_path = _certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    logins: list[tuple[bytes, bytes]] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"smtp-pass")

    inbox, port = Inbox(), _free_port()
    options: dict[str, Any] = (
        {"tls_context": server_context, "require_starttls": True}
        if security == "starttls"
        # aiosmtpd knows a connection is encrypted only after STARTTLS: over implicit TLS it would hide AUTH.
        else {"ssl_context": server_context, "auth_require_tls": False}
    )
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        **({"auth_require_tls": True} | options),
    )
    controller.start()
    try:
        rep = sign_in(org.email("rep1"))
        rep.client.put("/api/v1/me/email-digest", json={"enabled": True}, headers=rep.headers())
        tls = replace(
            settings, smtp_port=port, smtp_security=security, smtp_user="fieldgoal", smtp_password="smtp-pass"
        )
        worker = Worker(tls, engine=engine, clock=clock)
        try:
            worker.run_once()
        finally:
            worker.close()
    finally:
        controller.stop()
    assert logins == [(b"fieldgoal", b"smtp-pass")]
    [(to, message)] = inbox.messages
    today = clock.now.astimezone(SHANGHAI).date()
    assert to == [org.email("rep1")] and message["Subject"] == f"Fieldgoal daily digest, {today}"
