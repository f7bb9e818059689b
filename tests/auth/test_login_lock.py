"""A sign-in checks the password (argon2, ~150 ms) without holding SQLite's write lock: thirty wrong
passwords at once must not make every other request queue behind them (backend/db.py says why)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from backend.auth import service
from tests.factories import PASSWORD


@pytest.mark.parametrize("password", [PASSWORD, "not-the-password"])
def test_the_password_is_checked_while_others_may_write(org, anonymous, engine, monkeypatch, password):
    database = engine.url.database
    writable_meanwhile: list[bool] = []
    verify = service._verify

    def verify_while_probing(password_hash: str, attempt: str) -> bool:
        # Another process tries to write at the moment the hash is being checked; it must not wait.
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            writable_meanwhile.append(True)
        except sqlite3.OperationalError:
            writable_meanwhile.append(False)
        finally:
            other.close()
        return verify(password_hash, attempt)

    monkeypatch.setattr(service, "_verify", verify_while_probing)
    answer: Any = anonymous.post("/api/v1/auth/login", json={"email": "rep1@example.com", "password": password})
    assert answer.status_code == (200 if password == PASSWORD else 401)
    assert writable_meanwhile == [True]
