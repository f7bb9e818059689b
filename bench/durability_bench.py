"""What a durable commit costs: SQLite WAL at `synchronous=FULL` (as Fieldgoal ships) against NORMAL.

    .venv/bin/python -m bench.durability_bench [--runs 5] [--raw-batches 1,100,500] [--commits 100]
        [--push-batches 1,100] [--pushes 60] [--database-url URL] [--dir DIR]

In one run the variants take turns commit by commit, push by push (the order turning each time), so that
each sees the same machine:
(a) plain sqlite3 doing what a push commits: WAL, one `BEGIN IMMEDIATE` transaction per batch inserting N
    visit-like rows (~400 bytes) and N receipt rows, at `synchronous=NORMAL` and at FULL, in a fresh file
    each: commits/s, visits/s, and the commit's p50;
(b) Fieldgoal's own push (POST /api/v1/sync creating visits, built as bench/sync_bench.py builds them) at
    FULL, the code as it ships, and at NORMAL (an engine `connect` listener of the bench's, after
    make_engine's, sets `PRAGMA synchronous=NORMAL`): pushes/s, visits/s, p50/p95 latency, and the CPU
    time of this process per push (server and client). Both servers run in this process the same way:
    `create_app(settings, engine=engine)` under uvicorn in a thread, one keep-alive HTTP connection each
    (httpx), each on its own copy of one freshly migrated database; they start once and serve every run;
(c) with --database-url or FIELDGOAL_TEST_DATABASE_URL (PostgreSQL), the same push at the server's
    defaults (its `synchronous_commit`, as read back and printed), in a fresh schema dropped afterwards.
Each run also times `os.fsync` and `os.fdatasync` of a small file in the same folder (4 KB rewritten in
place, then synced; and 4 KB appended, then fdatasync'd, as a WAL that still grows), and the output names
the folder's filesystem (`df -T`). Checked once with `strace -f -e trace=fdatasync,fsync`: a push at FULL
makes one fdatasync (the WAL, at its commit) that NORMAL does not; both sync alike at checkpoints.

Prints medians of the runs, and ratios FULL/NORMAL (and PostgreSQL/FULL) as the median of the ratios
within each run. Not a test: it asserts nothing and is not part of `make test`.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import Engine, event, text

from backend import migrate
from backend.app import create_app
from backend.db import make_engine
from backend.settings import Settings
from bench.sync_bench import ADMIN, _visit, bench_team, new_customer, new_rep

Result = dict[str, float]

# What each variant promises, as the output states it beside its figures.
DURABILITY = {
    "NORMAL": "no fsync at commit (WAL synced at checkpoints): a commit may roll back after power loss",
    "FULL": "fdatasync of the WAL at every commit: on disk when COMMIT returns",
}


# --- fsync of this disk ---------------------------------------------------------------------------------


def measure_fsync(folder: Path, loops: int = 100) -> Result:
    """4 KB rewritten in place and synced, `loops` times each way, then 4 KB appended and synced (a WAL
    that is still growing): what one commit at FULL waits for."""
    path = folder / "fsync-probe"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    out: Result = {}
    try:
        os.write(fd, os.urandom(4096))
        os.fsync(fd)
        for name, sync in (("fsync", os.fsync), ("fdatasync", os.fdatasync)):
            times = []
            for _ in range(loops):
                os.pwrite(fd, os.urandom(4096), 0)
                start = time.perf_counter()
                sync(fd)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            out[f"{name}_p50"] = statistics.median(times)
            out[f"{name}_p95"] = times[int(len(times) * 0.95) - 1]
        times = []
        for _ in range(loops):
            os.write(fd, os.urandom(4096))
            start = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - start) * 1000)
        out["append_p50"] = statistics.median(times)
    finally:
        os.close(fd)
        path.unlink()
    return out


def filesystem(folder: Path) -> str:
    lines = subprocess.run(["df", "-T", str(folder)], capture_output=True, text=True, check=False).stdout
    fields = lines.splitlines()[-1].split() if lines.strip() else []
    return f"{fields[1]} on {fields[0]} (mounted at {fields[-1]})" if len(fields) >= 7 else "unknown"


# --- (a) plain sqlite3 ----------------------------------------------------------------------------------

VISIT_TABLE = (
    "CREATE TABLE visit (id TEXT PRIMARY KEY, rep_id TEXT NOT NULL, customer_id TEXT NOT NULL,"
    " check_in_at TEXT NOT NULL, lat REAL, lon REAL, accuracy_m REAL, outcome TEXT, satisfaction INTEGER,"
    " notes TEXT, status TEXT, version INTEGER, received_at TEXT)"
)
RECEIPT_TABLE = (
    "CREATE TABLE sync_receipt (client_id TEXT NOT NULL, mid INTEGER NOT NULL, result TEXT NOT NULL,"
    " created_at TEXT NOT NULL, PRIMARY KEY (client_id, mid))"
)
NOTES = "拜访记录: 客户对新品感兴趣, 约下周再访, 带样品和报价单. " * 3  # ~190 bytes of UTF-8
REP, CUSTOMER = str(uuid.uuid4()), str(uuid.uuid4())


def _visit_row(i: int) -> tuple[Any, ...]:
    return (
        str(uuid.uuid4()),
        REP,
        CUSTOMER,
        f"2026-11-{1 + i % 27:02d} {i % 10:02d}:{i % 60:02d}:00.000000",
        31.23,
        121.47,
        10.0,
        "follow_up",
        4,
        f"{NOTES}{i}",
        "submitted",
        1,
        "2026-11-28 12:00:00.000000",
    )


def row_bytes() -> int:
    """About what a visit row of (a) stores: its values' text and 8-byte numbers."""
    row = _visit_row(12345)
    return sum(len(v.encode()) if isinstance(v, str) else 8 for v in row)


def _raw_database(path: Path, level: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={level}")
    db.execute(VISIT_TABLE)
    db.execute(RECEIPT_TABLE)
    return db


def _raw_batches(batch: int, commits: int) -> list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    client = str(uuid.uuid4())
    batches = []
    for c in range(commits):
        visits = [_visit_row(c * batch + i) for i in range(batch)]
        receipts = [
            (client, c * batch + i + 1, f'{{"status":"applied","id":"{v[0]}"}}', "2026-11-28 12:00:00.000000")
            for i, v in enumerate(visits)
        ]
        batches.append((visits, receipts))
    return batches


def measure_raw(folder: Path, levels: list[str], batch: int, commits: int) -> dict[str, Result]:
    """`commits` transactions of `batch` visits and their receipts each, in a fresh WAL database per level;
    the levels take turns commit by commit (the order turning each time), so both see the same machine."""
    databases = {level: _raw_database(folder / f"raw-{level}.db", level) for level in levels}
    batches = {level: _raw_batches(batch, commits + 1) for level in levels}
    times: dict[str, list[float]] = {level: [] for level in levels}
    for n in range(commits + 1):  # the first commit of each warms up, untimed
        for level in rotated(levels, n):
            db = databases[level]
            visits, receipts = batches[level][n]
            start = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO visit VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", visits)
            db.executemany("INSERT INTO sync_receipt VALUES (?,?,?,?)", receipts)
            db.execute("COMMIT")
            if n:
                times[level].append(time.perf_counter() - start)
    out = {}
    for level in levels:
        databases[level].close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{folder / f'raw-{level}.db'}{suffix}").unlink(missing_ok=True)
        total = sum(times[level])
        out[level] = {
            "commits_s": commits / total,
            "visits_s": commits * batch / total,
            "commit_ms": total / commits * 1000,
            "p50_ms": statistics.median(times[level]) * 1000,
        }
    return out


# --- (b, c) Fieldgoal's push ----------------------------------------------------------------------------


def _synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
    """Runs after make_engine's own `connect` listener (listeners run in the order they were added)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(engine: Engine, url: str, folder: Path) -> Iterator[str]:
    """Fieldgoal on `engine` under uvicorn in a thread of this process; yields its base URL."""
    settings = Settings(database_url=url, data_dir=folder / "data", admin_email=ADMIN[0], admin_password=ADMIN[1])
    app = create_app(settings, engine=engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def durability_of(engine: Engine) -> tuple[str, str]:
    """The level the server's connections really run at, read back through its engine, and what it means."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            value = connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
            level = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[value]
            return f"PRAGMA synchronous reads {value}, {level}", DURABILITY.get(level, level)
        commit = connection.execute(text("SHOW synchronous_commit")).scalar_one()
        fsync = connection.execute(text("SHOW fsync")).scalar_one()
        method = connection.execute(text("SHOW wal_sync_method")).scalar_one()
    flushed = commit in ("on", "remote_write", "remote_apply") and fsync == "on"
    meaning = f"WAL flushed ({method}) at every commit" if flushed else "no WAL flush at commit"
    return f"synchronous_commit={commit}, fsync={fsync}", meaning


class Server:
    """One variant's running server, with a rep's phone on it and a customer to visit."""

    def __init__(self, name: str, engine: Engine, base: str):
        self.name = name
        self.engine = engine
        self.client = httpx.Client(base_url=base, timeout=120)
        admin, team = bench_team(self.client)
        self.phone = new_rep(self.client, admin, team, "writer")
        self.customer = new_customer(self.phone, "客户")
        self.level, self.durability = durability_of(engine)

    def push(self, batch: int) -> tuple[float, float]:
        """One push of `batch` visit creates: its wall time and this process's CPU time meanwhile."""
        mutations = self.phone.mutations(_visit(self.customer), batch)
        cpu, start = time.process_time(), time.perf_counter()
        answer = self.phone.sync(mutations, limit=1)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        if any(r["status"] != "applied" for r in answer["results"]):
            raise RuntimeError(f"{self.name}: a visit was not applied: {answer['results'][:3]}")
        return elapsed, cpu


def measure_pushes(servers: dict[str, Server], batch: int, pushes: int) -> dict[str, Result]:
    """`pushes` pushes of `batch` visits to each server, the servers taking turns push by push (the order
    turning each time), so that every variant sees the same machine."""
    names = list(servers)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for n in range(pushes + 1):  # the first push to each warms up, untimed
        for name in rotated(names, n):
            measured = servers[name].push(batch)
            if n:
                times[name].append(measured)
    out = {}
    for name in names:
        walls = sorted(wall for wall, _ in times[name])
        total = sum(walls)
        out[name] = {
            "pushes_s": pushes / total,
            "visits_s": pushes * batch / total,
            "p50_ms": statistics.median(walls) * 1000,
            "p95_ms": walls[int(len(walls) * 0.95) - 1] * 1000,
            "cpu_ms": statistics.median(cpu for _, cpu in times[name]) * 1000,
        }
    return out


@contextmanager
def sqlite_server(name: str, template: Path, folder: Path, normal: bool) -> Iterator[Server]:
    path = folder / f"{name}.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    if normal:
        event.listen(engine, "connect", _synchronous_normal)
    with serving(engine, url, folder / name) as base:
        server = Server(name, engine, base)
        try:
            yield server
        finally:
            server.client.close()


@contextmanager
def postgres_server(name: str, url: str, folder: Path) -> Iterator[Server]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        migrate.upgrade(scoped)
        engine = make_engine(scoped)
        try:
            with serving(engine, scoped, folder / name) as base:
                server = Server(name, engine, base)
                try:
                    yield server
                finally:
                    server.client.close()
        finally:
            engine.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# --- the run --------------------------------------------------------------------------------------------


def rotated(items: list[str], run: int) -> list[str]:
    k = run % len(items)
    return items[k:] + items[:k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--raw-batches", default="1,100,500", help="visits per transaction in (a)")
    parser.add_argument("--commits", type=int, default=100, help="transactions per measurement in (a)")
    parser.add_argument("--push-batches", default="1,100", help="visits per push in (b) and (c)")
    parser.add_argument("--pushes", type=int, default=60, help="pushes per measurement in (b) and (c)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("FIELDGOAL_TEST_DATABASE_URL") or None,
        help="PostgreSQL for (c); default FIELDGOAL_TEST_DATABASE_URL, else (c) is left out",
    )
    parser.add_argument("--dir", default=None, help="where the SQLite files go (default: the temp folder)")
    args = parser.parse_args()
    raw_batches = [int(b) for b in args.raw_batches.split(",")]
    push_batches = [int(b) for b in args.push_batches.split(",")]

    logging.getLogger("httpx").setLevel(logging.WARNING)  # the app's logging config would print every request
    root = Path(tempfile.mkdtemp(prefix="fieldgoal-durability-", dir=args.dir))
    levels = ["NORMAL", "FULL"]
    variants = ["SQLite NORMAL", "SQLite FULL"] + (["PostgreSQL"] if args.database_url else [])
    fsyncs: list[Result] = []
    raw: dict[tuple[int, str], list[Result]] = {}
    push: dict[tuple[int, str], list[Result]] = {}
    try:
        print(f"folder {root}: {filesystem(root)}", flush=True)
        template = root / "template.db"
        migrate.upgrade(f"sqlite:///{template}")
        with ExitStack() as stack:
            # The servers start once (each signs in with argon2 several times) and serve every run.
            servers = {
                "SQLite NORMAL": stack.enter_context(sqlite_server("normal", template, root, normal=True)),
                "SQLite FULL": stack.enter_context(sqlite_server("full", template, root, normal=False)),
            }
            if args.database_url:
                servers["PostgreSQL"] = stack.enter_context(postgres_server("postgres", args.database_url, root))
            durability = {name: (server.level, server.durability) for name, server in servers.items()}
            for run in range(args.runs):
                fsyncs.append(measure_fsync(root))
                for batch in raw_batches:
                    for level, result in measure_raw(root, rotated(levels, run), batch, args.commits).items():
                        raw.setdefault((batch, level), []).append(result)
                for batch in push_batches:
                    order = {name: servers[name] for name in rotated(variants, run)}
                    for name, result in measure_pushes(order, batch, args.pushes).items():
                        push.setdefault((batch, name), []).append(result)
                line = "  ".join(
                    f"b{b} {n.split()[-1]} {push[(b, n)][-1]['p50_ms']:.1f}"
                    for b in push_batches
                    for n in variants
                )
                print(
                    f"run {run + 1}: fdatasync p50 {fsyncs[-1]['fdatasync_p50']:.2f} ms; push p50 ms: {line}",
                    flush=True,
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)

    report(args, raw_batches, push_batches, variants, fsyncs, raw, push, durability)


def report(
    args: argparse.Namespace,
    raw_batches: list[int],
    push_batches: list[int],
    variants: list[str],
    fsyncs: list[Result],
    raw: dict[tuple[int, str], list[Result]],
    push: dict[tuple[int, str], list[Result]],
    durability: dict[str, tuple[str, str]],
) -> None:
    def med(results: list[Result], key: str) -> float:
        return statistics.median(r[key] for r in results)

    def ratio(a: list[Result], b: list[Result], key: str) -> float:
        return statistics.median(x[key] / y[key] for x, y in zip(a, b, strict=True))

    def added(a: list[Result], b: list[Result], key: str) -> float:
        return statistics.median(x[key] - y[key] for x, y in zip(a, b, strict=True))

    runs = args.runs
    print(f"\nmedians of {runs} runs; ratios are medians of the ratios within each run")
    print(
        f"fsync of 4 KB in this folder: os.fsync p50 {med(fsyncs, 'fsync_p50'):.2f} ms"
        f" (p95 {med(fsyncs, 'fsync_p95'):.2f}), os.fdatasync p50 {med(fsyncs, 'fdatasync_p50'):.2f} ms"
        f" (p95 {med(fsyncs, 'fdatasync_p95'):.2f}), os.fdatasync after a 4 KB append p50"
        f" {med(fsyncs, 'append_p50'):.2f} ms"
    )

    print(
        f"\n(a) plain sqlite3, WAL, one transaction per batch of N visits (~{row_bytes()} bytes each) and N"
        f" receipts; {args.commits} commits each"
    )
    for level in ("NORMAL", "FULL"):
        print(f"    {level}: {DURABILITY[level]}")
    print(
        f"{'N':>5} {'synchronous':<12}{'commits/s':>11}{'visits/s':>11}{'commit ms':>11}{'p50 ms':>9}"
        f"{'FULL/NORMAL':>13}{'+ms/commit':>12}"
    )
    for batch in raw_batches:
        normal, full = raw[(batch, "NORMAL")], raw[(batch, "FULL")]
        for level, results in (("NORMAL", normal), ("FULL", full)):
            extra = ""
            if level == "FULL":
                extra = f"{ratio(full, normal, 'commits_s'):>13.2f}{added(full, normal, 'commit_ms'):>12.2f}"
            print(
                f"{batch:>5} {level:<12}{med(results, 'commits_s'):>11,.0f}{med(results, 'visits_s'):>11,.0f}"
                f"{med(results, 'commit_ms'):>11.2f}{med(results, 'p50_ms'):>9.2f}{extra}"
            )

    print(
        f"\n(b, c) Fieldgoal's push, POST /api/v1/sync of N visit creates (limit=1), one HTTP connection to"
        f" uvicorn in this process; {args.pushes} pushes each"
    )
    for name in variants:
        level, meaning = durability[name]
        print(f"    {name} ({level}): {meaning}")
    print(
        f"{'N':>5} {'server':<15}{'pushes/s':>10}{'visits/s':>10}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'CPU ms':>8}{'ratio':>8}{'+ms p50':>9}"
    )
    for batch in push_batches:
        for name in variants:
            results = push[(batch, name)]
            # FULL against NORMAL (what the change costs); PostgreSQL against FULL (the other durable server).
            base = {"SQLite FULL": "SQLite NORMAL", "PostgreSQL": "SQLite FULL"}.get(name)
            extra = ""
            if base:
                against = push[(batch, base)]
                extra = f"{ratio(results, against, 'pushes_s'):>8.2f}{added(results, against, 'p50_ms'):>9.2f}"
            print(
                f"{batch:>5} {name:<15}{med(results, 'pushes_s'):>10,.1f}{med(results, 'visits_s'):>10,.0f}"
                f"{med(results, 'p50_ms'):>9.2f}{med(results, 'p95_ms'):>9.2f}{med(results, 'cpu_ms'):>8.1f}{extra}"
            )
    print(
        "(CPU ms: median CPU time of this process during a push, server and client; ratio: pushes/s over those of the line"
        " it is compared with, +ms p50: the p50 minus that line's; SQLite FULL is compared with NORMAL,"
        " PostgreSQL with SQLite FULL)"
    )


if __name__ == "__main__":
    main()
