"""Real Fieldgoal server processes for tests that need what the in-process TestClient cannot give: a crash
(SIGKILL in the middle of a request), or several server processes writing to one database.

`ServerProcess` runs `python -m backend.cli serve --port <port> --no-worker` with its own data folder and
the given database URL, waits for `/healthz` (bounded; the error quotes the process's stderr if it died),
and can be `kill()`ed with SIGKILL and `restart()`ed on the same port and database. Its output goes to a
log file in its data folder, never to a pipe that could fill up and stall it.

`TestDatabase` is the database the servers share: a SQLite file, or a PostgreSQL schema of its own (the URL's
`options` set `search_path`, so Alembic's migration and every query land in that schema; `application_name`
names each server's connections so a test can see them in `pg_stat_activity`).

`ServerPool` starts servers and always reaps them: use it as a context manager or through a fixture, so a
failing test never leaves a process (or a ResourceWarning) behind.

    with TestDatabase.sqlite(tmp_path) as db, ServerPool(tmp_path) as pool:
        server = pool.start(db)
        org = db.seed_org()                       # after the server migrated the database
        api = server.sign_in(org.email("rep1"))   # an Api over an httpx.Client of its own
        server.kill(); server.restart()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, make_url, pool, text
from sqlalchemy.orm import Session

from backend.db import make_engine
from tests.conftest import Api, need
from tests.factories import PASSWORD, Org, build_org

ROOT = Path(__file__).resolve().parents[2]
# Generous: the machine has two cores and other people run tests on it too.
STARTUP_SECONDS = 60.0
REQUEST_SECONDS = 60.0


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's choice for a bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll `condition()` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def happens_within(condition: Any, seconds: float, interval: float = 0.05) -> bool:
    """Whether `condition()` turns true within `seconds`, polled with sleeps. Tests wait this way rather than
    with a timed `Event.wait` or `Thread.join`: under libfaketime (the README's runs on moved dates) a timed
    wait on a lock never times out, while a sleep still does."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


class TestDatabase:
    """The database real servers share: a SQLite file, or a PostgreSQL schema created and dropped here."""

    __test__ = False  # not a pytest test class

    def __init__(self, url: str, kind: str, schema: str | None = None, admin_url: str | None = None):
        self.url = url
        self.kind = kind
        self.schema = schema
        self._admin_url = admin_url
        self._engine: Engine | None = None

    @classmethod
    def sqlite(cls, folder: Path) -> TestDatabase:
        return cls(f"sqlite:///{folder / 'fieldgoal.db'}", "sqlite")

    @classmethod
    def postgres(cls, base_url: str) -> TestDatabase:
        """A fresh schema on the server of `base_url` (created on `__enter__`, dropped on `__exit__`)."""
        schema = f"t_srv_{uuid.uuid4().hex[:12]}"
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        return cls(url.render_as_string(hide_password=False), "postgres", schema, base_url)

    def url_for(self, application_name: str) -> str:
        """The URL a server uses: on PostgreSQL its connections carry `application_name`."""
        if self.kind != "postgres":
            return self.url
        url = make_url(self.url).update_query_dict({"application_name": application_name})
        return url.render_as_string(hide_password=False)

    def __enter__(self) -> TestDatabase:
        if self.kind == "postgres":
            assert self._admin_url is not None
            admin = create_engine(self._admin_url, poolclass=pool.NullPool)
            try:
                with admin.begin() as connection:
                    connection.execute(text(f"CREATE SCHEMA {self.schema}"))
            except Exception as exc:  # an unreachable server is a configuration problem, not a test result
                need(False, f"PostgreSQL at FIELDGOAL_TEST_DATABASE_URL is unreachable: {exc}")
            finally:
                admin.dispose()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_engine()
        if self.kind != "postgres":
            return
        assert self._admin_url is not None
        admin = create_engine(self._admin_url, poolclass=pool.NullPool)
        try:
            with admin.begin() as connection:
                # Never hang for ever behind a lock a test forgot to release: fail loudly instead.
                connection.execute(text("SET LOCAL lock_timeout = '30s'"))
                connection.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
        finally:
            admin.dispose()

    @property
    def engine(self) -> Engine:
        """The test's own engine on the same database (open it only after a server migrated it)."""
        if self._engine is None:
            self._engine = make_engine(self.url_for(f"fieldgoal-test-{uuid.uuid4().hex[:8]}"))
        return self._engine

    def close_engine(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def seed_org(self) -> Org:
        """The factories' org (rep1…, password PASSWORD), written through the test's own engine."""
        with Session(self.engine, expire_on_commit=False) as session:
            org = build_org(session)
            session.commit()
        return org

    def tables(self) -> set[str]:
        """Tables that exist in this database (on PostgreSQL: in this test's schema only)."""
        with self.engine.connect() as connection:
            if self.kind == "postgres":
                rows = connection.execute(
                    text("SELECT table_name FROM information_schema.tables WHERE table_schema = :schema"),
                    {"schema": self.schema},
                )
            else:
                rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
            return {row[0] for row in rows}

    def backends(self, application_name: str, *, waiting_on_lock: bool = False) -> int:
        """How many PostgreSQL connections carry this application_name (optionally: blocked on a lock)."""
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"
        if waiting_on_lock:
            query += " AND wait_event_type = 'Lock'"
        with self.engine.connect() as connection:
            return int(connection.execute(text(query), {"name": application_name}).scalar_one())


class ServerProcess:
    """One `fieldgoal serve` process on a fixed port; `kill()` is SIGKILL, `restart()` reuses port and DB."""

    def __init__(self, database: TestDatabase, data_dir: Path, name: str, port: int | None = None):
        self.database = database
        self.data_dir = data_dir
        self.name = name
        # Unique: pg_stat_activity is shared with every other test run on the PostgreSQL server.
        self.application_name = f"fieldgoal-{name}-{uuid.uuid4().hex[:8]}"
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._clients: list[httpx.Client] = []
        data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"server-{self.starts}.log"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDGOAL_")}
        env.update(
            {
                "FIELDGOAL_DATABASE_URL": self.database.url_for(self.application_name),
                "FIELDGOAL_DATA_DIR": str(self.data_dir),
                "FIELDGOAL_SECRET_KEY": "test-secret-" + "k" * 32,
                "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
                "PYTHONUNBUFFERED": "1",
                "PYTHONWARNINGS": "ignore",  # the server's own warnings are not this test run's
            }
        )
        return env

    def start(self) -> ServerProcess:
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self.name} is already running")
        self._reap()
        self.starts += 1
        where = ["--host", "127.0.0.1", "--port", str(self.port)]
        command = [sys.executable, "-m", "backend.cli", "serve", *where, "--no-worker"]
        with open(self.log_path, "wb") as log:
            # cwd is the data folder, so no `.env` of the developer's leaks into the server's settings.
            self.process = subprocess.Popen(
                command,
                env=self.environment(),
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready()
        return self

    def output(self, last: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-last:]
        except FileNotFoundError:
            return ""

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=5.0) as probe:
            while True:
                code = self.process.poll()
                if code is not None:
                    raise AssertionError(f"{self.name} exited with {code} while starting:\n{self.output()}")
                try:
                    if probe.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} not healthy after {timeout:.0f} s:\n{self.output()}")
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, open transactions are lost as in a power cut."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self._reap()
        if self.database.kind == "postgres":
            # PostgreSQL notices the dead connections (and rolls back their transactions) on its own time.
            wait_until(
                lambda: self.database.backends(self.application_name) == 0,
                REQUEST_SECONDS,
                f"PostgreSQL to drop the connections of the killed {self.name}",
            )

    def _reap(self) -> None:
        if self.process is not None:
            try:
                self.process.wait(timeout=REQUEST_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=REQUEST_SECONDS)

    def restart(self) -> ServerProcess:
        self.kill()
        return self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, timeout: float = REQUEST_SECONDS) -> httpx.Client:
        """An httpx.Client of its own (one per phone); closed with the server pool."""
        client = httpx.Client(base_url=self.base_url, timeout=timeout)
        self._clients.append(client)
        return client

    def sign_in(self, email: str, password: str = PASSWORD) -> Api:
        client = self.client()
        response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return Api(client, response.json()["token"])  # type: ignore[arg-type]

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        self.kill()


class ServerPool:
    """Starts servers and reaps every one of them on exit, whatever happened."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.servers: list[ServerProcess] = []

    def start(self, database: TestDatabase, name: str | None = None) -> ServerProcess:
        """A started `fieldgoal serve` (it migrates the database first)."""
        name = name or f"server{len(self.servers) + 1}"
        server = ServerProcess(database, self.folder / name, name)
        self.servers.append(server)
        return server.start()

    def __enter__(self) -> ServerPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        errors: list[BaseException] = []
        for server in self.servers:
            try:
                server.close()
            except Exception as exc:  # reap the others anyway
                errors.append(exc)
        self.servers.clear()
        if errors:
            raise errors[0]


@contextmanager
def server_database(kind: str, folder: Path, pg_url: str | None) -> Iterator[TestDatabase]:
    """A TestDatabase of `kind` ("sqlite" or "postgres"), cleaned up afterwards."""
    if kind == "postgres":
        assert pg_url is not None
        with TestDatabase.postgres(pg_url) as db:
            yield db
    else:
        with TestDatabase.sqlite(folder) as db:
            yield db
