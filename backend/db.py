"""The database: engine, column types, and the one transaction boundary.

Every request runs in one transaction opened by `session_scope` (a request-scoped dependency) and
committed only if the handler returns; services take a session and never commit. The sync engine is the one
exception and says so at the top of its module (one savepoint per mutation inside the batch's transaction).

On SQLite every transaction starts with `BEGIN IMMEDIATE`: a transaction that reads and then writes would
otherwise fail with "database is locked" when another process wrote in between, and it makes writers queue
on the busy timeout instead. WAL lets readers go on meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    String,
    Table,
    TypeDecorator,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on every backend (SQLite stores no zone, so it is stored as naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Fixed(TypeDecorator[Decimal]):
    """A Decimal stored as an integer count of 10**-scale units: exact on SQLite too, and SUM stays exact."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2):
        super().__init__()
        self.scale = scale
        self._unit = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(Decimal(value).quantize(self._unit).scaleb(self.scale))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.scale).quantize(self._unit)


class UUIDString(TypeDecorator[str]):
    """UUIDs as their canonical 36-character text: the same on SQLite and PostgreSQL, and on the wire."""

    impl = String(36)
    cache_ok = True


def table_of(model: type[Any]) -> Table:
    """A model's table, for Core statements that write many rows at once without building ORM objects."""
    table: Table = model.__table__
    return table


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _sqlite_setup(engine)
        return engine
    sizes = {} if "poolclass" in kwargs else {"pool_size": 10, "max_overflow": 20}
    return create_engine(url, pool_pre_ping=True, **sizes, **kwargs)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (the driver's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """The transaction boundary: commit when the block ends normally, roll back on any exception."""
    session = Session(engine, expire_on_commit=False, autoflush=True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
