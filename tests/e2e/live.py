"""The parts of the end-to-end setup that tests and bench/pwa_bench.py share: how Chromium is launched as a
phone, and `Live`, the running server with its database and the factories' org.

The server is `fieldgoal serve` in a process of its own (tests/support/server.py), on a SQLite file that the
test reads through its own engine to check what the server stored. It runs in real time, like the browser,
so the phone's clock and the server's agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from tests.conftest import Api
from tests.factories import Org
from tests.support.server import ServerProcess, TestDatabase

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# A phone: the 360 px wide screen PRODUCT.md promises one-thumb use on.
PHONE_VIEWPORT = {"width": 360, "height": 740}
# Generous but bounded: two shared cores, and other people's tests on them too.
STEP_MS = 20_000
ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "test-artifacts" / "screens"
# Who creates customers for whom: the lead of the owner's team (CONTRACT.md: leads manage their own team).
LEAD_OF = {"rep1": "lead1", "rep2": "lead1", "rep3": "lead2"}


@dataclass
class Live:
    """The running server, its database and the factories' org, plus the lead's API for seeding."""

    server: ServerProcess
    database: TestDatabase
    org: Org
    _apis: dict[str, Api] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def api(self, who: str) -> Api:
        """An API client signed in as this factory user (one per user, reused)."""
        if who not in self._apis:
            self._apis[who] = self.server.sign_in(self.org.email(who))
        return self._apis[who]

    def add_customer(self, owner: str, name: str, **extra: Any) -> str:
        """A customer owned by `owner`, created by their lead through `POST /api/v1/customers`."""
        response = self.api(LEAD_OF[owner]).post(
            "/api/v1/customers", json={"name": name, "owner_id": self.org.user(owner), **extra}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def rows(self, sql: str, **params: Any) -> list[Any]:
        """Rows of a query on the server's database, read through the test's own connection."""
        with self.database.engine.connect() as connection:
            return list(connection.execute(text(sql), params))

    def execute(self, sql: str, **params: Any) -> None:
        with self.database.engine.begin() as connection:
            connection.execute(text(sql), params)


def today_in(tz: str = "Asia/Shanghai") -> datetime:
    return datetime.now(ZoneInfo(tz))
