"""The database: engine, column types, and the one transaction boundary.

Every request runs in one transaction opened by `session_scope` (a request-scoped dependency) and
committed only if the handler returns; services take a session and never commit. The sync engine is the one
exception and says so at the top of its module (one savepoint per mutation inside the batch's transaction).

Sign-in is the second exception: it checks the password (argon2, ~150 ms) in a read-only transaction of its
own (`read_only_scope`) and only then writes the outcome in the request's. Thirty wrong passwords at once
would otherwise hold the write lock for seconds, and every other request would queue behind them.

On SQLite every transaction starts with `BEGIN IMMEDIATE`: a transaction that reads and then writes would
otherwise fail with "database is locked" when another process wrote in between, and it makes writers queue
on the busy timeout instead. WAL lets readers go on meanwhile. A read-only transaction starts with a plain
`BEGIN` and takes no write lock.

Durability: SQLite runs WAL with `synchronous=FULL`, so a transaction is on disk when its commit returns.
With NORMAL a commit may roll back after a power loss or an OS crash, and a phone drops a mutation once its
receipt says `applied`: that would lose the rep's work for good. PostgreSQL commits durably by default
(`synchronous_commit=on`, `fsync=on`); nothing here turns that off.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Engine,
    String,
    Table,
    TypeDecorator,
    and_,
    create_engine,
    event,
    inspect,
    make_url,
    or_,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlmodel import Field

_UNSET = object()  # no value yet (None is a value)


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

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], datetime | None]:
        """Each stored value read is converted once: the rows one write made share their times (a sync
        batch's hundreds of visits one `received_at` and `updated_at`), and a page of a pull reads them back
        by the thousand. The instants are immutable, so handing out the same one is safe. The memory is kept
        to 1,024 values per column (a page's repeats), forgotten all at once when full."""
        process = super().result_processor(dialect, coltype)
        assert process is not None
        memo: dict[Any, datetime | None] = {}

        def remembered(value: Any) -> datetime | None:
            instant = memo.get(value, _UNSET)
            if instant is _UNSET:
                if len(memo) >= 1024:
                    memo.clear()
                instant = memo[value] = process(value)
            return instant  # type: ignore[return-value]

        return remembered


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


@functools.lru_cache(maxsize=256)
def _insert_plan(
    table: Table, dialect: Dialect, names: tuple[str, ...], conflict: tuple[str, ...], update: tuple[str, ...]
) -> tuple[str, list[Callable[[Any], Any] | None]]:
    """The driver's SQL for writing `names` of `table`, and each column's bind processor (None: as is)."""
    quote = dialect.identifier_preparer.quote
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}[dialect.paramstyle]
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join([marker] * len(names))})"
    )
    if conflict:
        assignments = ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in update)
        sql += f" ON CONFLICT ({', '.join(quote(n) for n in conflict)}) DO UPDATE SET {assignments}"
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    return sql, processors


def _processed(values: list[Any], process: Callable[[Any], Any] | None) -> list[Any]:
    if process is None:
        return values
    out = []
    last: Any = _UNSET
    last_out = None
    for value in values:
        # Rows of one batch share values (its `now` in three columns): each distinct object is converted once.
        if value is not last:
            last, last_out = value, process(value)
        out.append(last_out)
    return out


_Row = TypeVar("_Row")


def due_rows(session: Session, model: type[Any], now: datetime, limit: int, *order: Any) -> list[Any]:
    """The next rows of a worker queue (push deliveries, robot messages, email digests): `pending` and due, or
    `sending` with a lease that ran out (their worker died), oldest due first, locked for this worker. On
    PostgreSQL rows another worker is claiming are skipped, not waited for; SQLite's writers are serial."""
    status, due_at, lease_until = model.status, model.due_at, model.lease_until
    ready = or_(and_(status == "pending", due_at <= now), and_(status == "sending", lease_until < now))
    query = select(model).where(ready).order_by(due_at, *order).limit(limit).with_for_update(skip_locked=True)
    return list(session.scalars(query))


def rows_by_id(session: Session, model: type[_Row], ids: Iterable[str]) -> dict[str, _Row]:
    """The rows of `model` with these ids, by id, in one query (none asked: no query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows: list[Any] = list(session.scalars(select(model).where(inspect(model).primary_key[0].in_(wanted))))
    return {row.id: row for row in rows}


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: tuple[str, ...] = (),
    update: tuple[str, ...] = (),
) -> None:
    """Insert many rows (all with the first row's keys) in one `executemany` of the driver.

    The same values SQLAlchemy's `insert` would send, each through its column's type (the one place that
    knows how times and JSON are stored), without its per-row parameter building, which cost more than
    the database's own work for the thousands of rows a sync batch writes. `conflict` names the unique key
    whose existing row gets the `update` columns of the new one instead (an upsert).
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    names = tuple(rows[0])
    sql, processors = _insert_plan(table, dialect, names, conflict, update)
    columns = [
        _processed([row[name] for row in rows], process) for name, process in zip(names, processors, strict=True)
    ]
    session.connection().exec_driver_sql(sql, list(zip(*columns, strict=True)))


def _json_text(value: Any) -> str:
    """JSON columns' text (receipts, merge bookkeeping): msgspec writes it several times faster than `json`,
    and `json` reads it back the same."""
    return msgspec.json.encode(value).decode()


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """The process's wall clock: the clock a real server runs on, injected where a session is opened."""
    return datetime.now(UTC)


# The clock a session's writes are stamped with (`session.info[CLOCK]`): the app's injected clock for a
# request, the worker's for its jobs. Nothing below the session reads the wall clock on its own, so a test
# that fixes the clock fixes every time the server writes.
CLOCK = "fieldgoal.clock"
_STAMPED = "fieldgoal.stamped"


def clock_of(session: Session) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = session.info.get(CLOCK, utcnow)
    return clock


def stamped(*, index: bool = False) -> Any:
    """A UTC time column filled, when a new row is flushed without one, from its session's clock."""
    return Field(default=None, sa_type=UTCDateTime, index=index, sa_column_kwargs={"info": {_STAMPED: True}})


_stamped_by_model: dict[type[Any], tuple[str, ...]] = {}


def _stamped_attributes(model: type[Any]) -> tuple[str, ...]:
    names = _stamped_by_model.get(model)
    if names is None:
        names = _stamped_by_model[model] = tuple(
            column.key for column in inspect(model).columns if column.info.get(_STAMPED)
        )
    return names


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    now: datetime | None = None
    for row in session.new:
        for name in _stamped_attributes(type(row)):
            if getattr(row, name) is None:
                now = now or clock_of(session)()
                setattr(row, name, now)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, json_serializer=_json_text, **kwargs
        )
        _sqlite_setup(engine)
        return engine
    sizes = {} if "poolclass" in kwargs else {"pool_size": 10, "max_overflow": 20}
    return create_engine(url, pool_pre_ping=True, json_serializer=_json_text, **sizes, **kwargs)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (the driver's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_READ_ONLY = "fieldgoal_read_only"


@contextmanager
def read_only_scope(engine: Engine | Connection) -> Iterator[Session]:
    """A transaction that only reads: no write lock on SQLite; rolled back at the end whatever happens."""
    bind = engine.engine if isinstance(engine, Connection) else engine
    session = Session(bind.execution_options(**{_READ_ONLY: True}), expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def session_scope(engine: Engine, clock: Callable[[], datetime] = utcnow) -> Iterator[Session]:
    """The transaction boundary: commit when the block ends normally, roll back on any exception."""
    session = Session(engine, expire_on_commit=False, autoflush=True, info={CLOCK: clock})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
