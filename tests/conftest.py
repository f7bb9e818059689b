"""Test wiring: a fresh database per test (SQLite, and PostgreSQL where the test asks for it), the app
built per test with a clock the test can move, and signed-in clients.

PostgreSQL comes from FIELDGOAL_TEST_DATABASE_URL. Tests that need it (or Chromium) skip with the reason
when it is absent, and fail instead when FIELDGOAL_TEST_STRICT=1 (as CI sets).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.db import make_engine
from backend.models import metadata
from backend.settings import Settings
from backend.sync.changelog import ensure_state
from tests.factories import Org, build_org

STRICT = os.environ.get("FIELDGOAL_TEST_STRICT") == "1"
PG_URL = os.environ.get("FIELDGOAL_TEST_DATABASE_URL")


def need(condition: bool, reason: str) -> None:
    """Skip without the part a test needs, or fail under strict mode (CI must run every test)."""
    if condition:
        return
    if STRICT:
        pytest.fail(f"FIELDGOAL_TEST_STRICT=1 but {reason}")
    pytest.skip(reason)


class Clock:
    """A clock the test moves: `clock.now` is what the server believes the time is."""

    # Where the `clock` fixture starts.
    START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock(Clock.START)


def _pg_schema_engine() -> Iterator[Engine]:
    need(PG_URL is not None, "PostgreSQL is not configured (set FIELDGOAL_TEST_DATABASE_URL)")
    assert PG_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # an unreachable server is a configuration problem, not a test result
        admin.dispose()
        need(False, f"PostgreSQL at FIELDGOAL_TEST_DATABASE_URL is unreachable: {exc}")
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """An empty PostgreSQL schema of its own, dropped afterwards."""
    yield from _pg_schema_engine()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fieldgoal.db'}"


def _prepared(engine: Engine) -> Engine:
    metadata.create_all(engine)
    with Session(engine) as session:
        ensure_state(session)
        session.commit()
    return engine


def database(kind: str, tmp_path: Path) -> Iterator[Engine]:
    """A prepared, empty database of this kind ("sqlite" or "postgres") for one test."""
    if kind == "postgres":
        for pg in _pg_schema_engine():
            yield _prepared(pg)
        return
    sqlite = make_engine(f"sqlite:///{tmp_path / 'fieldgoal.db'}")
    yield _prepared(sqlite)
    sqlite.dispose()


@pytest.fixture(params=["sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The test's database; parametrize `engine` indirectly with "postgres" to run on both."""
    yield from database(request.param, tmp_path)


both_databases = pytest.mark.parametrize("engine", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url="sqlite://", data_dir=tmp_path / "data", secret_key="s" * 32)


@pytest.fixture
def org(engine: Engine) -> Org:
    with Session(engine, expire_on_commit=False) as session:
        built = build_org(session)
        session.commit()
    return built


class Api:
    """A test client that signs in as someone and speaks JSON."""

    def __init__(self, client: TestClient[Any], token: str | None = None):
        self.client = client
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return headers | (extra or {})

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.patch(path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs)


@pytest.fixture
def app_client(engine: Engine, settings: Settings, clock: Clock) -> Iterator[TestClient[Any]]:
    app = create_app(settings, engine=engine, clock=clock)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def sign_in(app_client: TestClient[Any]) -> Any:
    """`sign_in(email)` → an Api signed in as that user (every factory user has the same password)."""
    from tests.factories import PASSWORD

    def _sign_in(email: str, password: str = PASSWORD) -> Api:
        response = app_client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return Api(app_client, response.json()["token"])

    return _sign_in


@pytest.fixture
def anonymous(app_client: TestClient[Any]) -> Api:
    return Api(app_client)
