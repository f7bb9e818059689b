"""Sync throughput and latency over HTTP, ours beside other sync servers and the raw databases, on the same records.

    .venv/bin/python -m bench.sync_bench [--runs 3] [--visits 10000] [--only SERVERS] [--json FILE]

Runs one server at a time, each alone on the machine, each fresh for every workload that needs a fresh one
(bench/sync_peers.py has the peers and the workloads):

- fieldgoal-sqlite: `fieldgoal serve` on SQLite in a fresh temporary folder (WAL, `synchronous=FULL`);
- fieldgoal-pg: `fieldgoal serve` on PostgreSQL, database `fieldgoal_bench` dropped and created for every
  fresh server (`synchronous_commit=on`), then plain psycopg `executemany` of the same visit rows (raw pg);
- pouchdb: pouchdb-server 4.2 on LevelDB (bench/peers, `npm ci` when node_modules is missing);
- kinto: Kinto 26 on PostgreSQL (database `kinto_bench`), in a virtual environment of its own created
  under ~/.cache/fieldgoal-bench when missing;
- raw-sqlite: the older comparison, ours on SQLite beside plain sqlite3 doing the same inserts and
  selects, on a small table and on a copy of our schema, with the idle sync and the round trip
  (--database-url runs ours on another database there; gzip on, as a phone asks for it).

The workloads, on visits made once from a fixed seed (10,000 visits at 2,090 customers, notes of 40 to 120
characters, each visit at its own time): push creates in batches of 100 and of 500 (and 1,000 for
pouchdb-server), each on a fresh server; on the server of batches of 500, a full pull in pages of 1,000,
100 offline edits in one push, and a pull of 100 changes repeated 20 times. One HTTP connection, no
compression (`Accept-Encoding: identity`) for the comparison. A receipt of ours that is not `applied`, or a
peer's answer that is not ok, stops the run. Prints the median of the runs and ratios taken within each
run. Not a test: it asserts nothing and is not part of `make test`.

The raw sqlite3 baselines run WAL with `synchronous=FULL`, as the server does (backend/db.py): every commit
of both sides waits for the WAL's fsync, so the comparison stays like-for-like. Figures taken before the
server moved to FULL had NORMAL on both sides (no fsync per commit); bench/durability_bench.py measures
what the move costs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.sync_peers import (
    HEADERS,
    PG_SERVER,
    BadResponse,
    Records,
    Table,
    best_push,
    kinto,
    make_records,
    pg_durability,
    pouchdb,
    raw_pg,
    recreate_database,
    run_workloads,
)

ADMIN = ("bench-admin@example.com", "bench-password-1")
BATCH = 500
PAGE = 1000


@contextmanager
def server(database_url: str | None):
    folder = Path(tempfile.mkdtemp(prefix="fieldgoal-bench-"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {
        "FIELDGOAL_DATABASE_URL": database_url or f"sqlite:///{folder / 'bench.db'}",
        "FIELDGOAL_DATA_DIR": str(folder / "data"),
        "FIELDGOAL_ADMIN_EMAIL": ADMIN[0],
        "FIELDGOAL_ADMIN_PASSWORD": ADMIN[1],
    }
    log = open(folder / "server.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "server.log").read_text())
            time.sleep(0.2)
        yield base, folder
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


class Phone:
    def __init__(self, client: httpx.Client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.client_id = str(uuid.uuid4())
        self.mid = 0
        self.cursor: str | None = None

    def mutations(self, make: Callable[[int], dict[str, Any]], count: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(count):
            self.mid += 1
            out.append({"mid": self.mid, **make(self.mid)})
        return out

    def sync(self, mutations: list[dict[str, Any]], limit: int = PAGE) -> dict[str, Any]:
        body = {
            "protocol": 1,
            "client_id": self.client_id,
            "cursor": self.cursor,
            "limit": limit,
            "mutations": mutations,
        }
        response = self.client.post("/api/v1/sync", json=body, headers=self.headers)
        response.raise_for_status()
        answer = response.json()
        self.cursor = answer["cursor"]
        return answer


def _sign_in(client: httpx.Client, email: str, password: str) -> str:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    return response.json()["token"]


def bench_team(client: httpx.Client) -> tuple[dict[str, str], str]:
    """Signs in as the bench's admin and adds a team under the root: the admin's headers and the team's id."""
    admin = {"Authorization": f"Bearer {_sign_in(client, *ADMIN)}"}
    root = client.get("/api/v1/units", headers=admin).json()[0]["id"]
    team = client.post(
        "/api/v1/units", json={"name": "Bench", "kind": "team", "parent_id": root}, headers=admin
    ).json()
    return admin, team["id"]


def new_rep(client: httpx.Client, admin: dict[str, str], team_id: str, name: str) -> Phone:
    """A new rep of the team, signed in on a phone of their own."""
    email = f"{name}-{uuid.uuid4().hex[:6]}@example.com"
    user = {"email": email, "name": name, "role": "rep", "unit_id": team_id, "password": "bench-password-1"}
    client.post("/api/v1/users", json=user, headers=admin).raise_for_status()
    return Phone(client, _sign_in(client, email, "bench-password-1"))


def new_customer(phone: Phone, name: str) -> str:
    """A customer the phone creates (one mutation of its own), for its visits to be at."""
    customer_id = str(uuid.uuid4())
    phone.sync(
        phone.mutations(
            lambda m: {"entity": "customer", "op": "create", "id": customer_id, "fields": {"name": name}}, 1
        )
    )
    return customer_id


def _visit(customer_id: str) -> Callable[[int], dict[str, Any]]:
    def make(mid: int) -> dict[str, Any]:
        return {
            "entity": "visit",
            "op": "create",
            "id": str(uuid.uuid4()),
            "fields": {
                "customer_id": customer_id,
                # Every visit at its own time, as in life (no cache may profit from one repeated value).
                "check_in_at": f"2026-11-{1 + mid % 27:02d}T{8 + mid % 10:02d}:{mid % 60:02d}:{mid // 60 % 60:02d}+08:00",
                "lat": 31.23,
                "lon": 121.47,
                "accuracy_m": 10,
                "outcome": "follow_up",
                "satisfaction": 4,
                "notes": f"拜访记录 {mid}",
            },
        }

    return make


def measure_ours(base: str, visits: int) -> dict[str, float]:
    with httpx.Client(base_url=base, timeout=120) as client:
        admin, team = bench_team(client)
        writer, other = new_rep(client, admin, team, "writer"), new_rep(client, admin, team, "other")
        customer_id = new_customer(writer, "客户")

        start = time.perf_counter()
        for _ in range(visits // BATCH):
            answer = writer.sync(writer.mutations(_visit(customer_id), BATCH), limit=1)
            assert all(r["status"] == "applied" for r in answer["results"])
        push_rate = visits / (time.perf_counter() - start)

        reader = Phone(client, writer.headers["Authorization"].split()[1])
        start = time.perf_counter()
        pulled = 0
        while True:
            answer = reader.sync([])
            pulled += len(answer["changes"])
            if not answer["has_more"]:
                break
        pull_rate = pulled / (time.perf_counter() - start)

        # A sync with nothing to send and nothing new: what every phone does most often.
        idle = []
        for _ in range(40):
            start = time.perf_counter()
            assert reader.sync([])["changes"] == []
            idle.append((time.perf_counter() - start) * 1000)

        # Incremental round trip: 10 mutations up, the 100 changes another phone made since down.
        other_customer = new_customer(other, "x")
        lead_view = Phone(client, _sign_in(client, ADMIN[0], ADMIN[1]))
        while lead_view.sync([])["has_more"]:
            pass
        lead_view.mid = 0
        admin_customer = str(uuid.uuid4())
        lead_view.sync(
            lead_view.mutations(
                lambda m: {"entity": "customer", "op": "create", "id": admin_customer, "fields": {"name": "y"}}, 1
            )
        )
        timings = []
        for _ in range(40):
            other.sync(other.mutations(_visit(other_customer), 100), limit=1)
            start = time.perf_counter()
            answer = lead_view.sync(
                lead_view.mutations(
                    lambda m: {
                        "entity": "customer",
                        "op": "update",
                        "id": admin_customer,
                        "base_version": m - 1,
                        "fields": {"name": f"y{m}"},
                    },
                    10,
                ),
                limit=PAGE,
            )
            timings.append((time.perf_counter() - start) * 1000)
            assert len(answer["changes"]) >= 100, len(answer["changes"])
        timings.sort()
        return {
            "push": push_rate,
            "pull": pulled and pull_rate,
            "pulled": pulled,
            "idle": statistics.median(idle),
            "rt_p50": statistics.median(timings),
            "rt_p95": timings[int(len(timings) * 0.95) - 1],
        }


def measure_raw(visits: int) -> dict[str, float]:
    """The same work with plain sqlite3 on a table shaped like ours: the floor under our figures."""
    folder = Path(tempfile.mkdtemp(prefix="fieldgoal-raw-"))
    db = sqlite3.connect(folder / "raw.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE visit (id TEXT PRIMARY KEY, rep_id TEXT, customer_id TEXT, check_in_at TEXT, lat REAL, lon REAL,"
        " accuracy_m REAL, outcome TEXT, satisfaction INTEGER, notes TEXT, status TEXT, version INTEGER, seq INTEGER UNIQUE)"
    )

    def rows(n: int, start: int) -> list[tuple[Any, ...]]:
        return [
            (
                str(uuid.uuid4()),
                "rep",
                "cust",
                "2026-11-20T01:30:00",
                31.23,
                121.47,
                10,
                "follow_up",
                4,
                f"n{i}",
                "draft",
                1,
                start + i,
            )
            for i in range(n)
        ]

    start = time.perf_counter()
    for b in range(visits // BATCH):
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO visit VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows(BATCH, b * BATCH))
        db.execute("COMMIT")
    push_rate = visits / (time.perf_counter() - start)
    start = time.perf_counter()
    last, pulled = -1, 0
    while True:
        page = db.execute("SELECT * FROM visit WHERE seq > ? ORDER BY seq LIMIT ?", (last, PAGE)).fetchall()
        if not page:
            break
        pulled += len(page)
        last = page[-1][-1]
    pull_rate = pulled / (time.perf_counter() - start)
    idle = []
    for _ in range(40):
        start = time.perf_counter()
        assert db.execute("SELECT * FROM visit WHERE seq > ? ORDER BY seq LIMIT ?", (last, PAGE)).fetchall() == []
        idle.append((time.perf_counter() - start) * 1000)
    timings = []
    seq = visits
    for _ in range(40):
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO visit VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows(10, seq))
        db.execute("COMMIT")
        db.execute("SELECT * FROM visit WHERE seq > ? ORDER BY seq LIMIT 100", (seq - 90,)).fetchall()
        timings.append((time.perf_counter() - start) * 1000)
        seq += 10
    db.close()
    timings.sort()
    return {
        "push": push_rate,
        "pull": pull_rate,
        "pulled": pulled,
        "idle": statistics.median(idle),
        "rt_p50": statistics.median(timings),
        "rt_p95": timings[int(len(timings) * 0.95) - 1],
    }


def measure_raw_schema(database: Path, visits: int) -> dict[str, float]:
    """What a push and a pull of ours ask of SQLite itself, with plain sqlite3 on a copy of our database
    (same tables, indexes, foreign keys): each batch writes its visits, their change-log rows and the
    receipts, and moves the counter, in one transaction; a pull reads a page of the rep's change log, whose
    rows keep each change as it is sent. The floor under our figures that no Python above the driver can
    go below."""
    copy = database.with_name("raw-schema.db")
    shutil.copy(database, copy)
    db = sqlite3.connect(copy, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    rep, customer = db.execute("SELECT rep_id, customer_id FROM visit LIMIT 1").fetchone()
    now = "2026-11-28 12:00:00.000000"
    client = str(uuid.uuid4())
    log_sql = (
        "INSERT INTO change_log (entity, record_id, seq, version, deleted, owner_id, unit_id, changed_at, body)"
        " VALUES ('visit', ?, ?, 2, 0, ?, NULL, ?, ?) ON CONFLICT (entity, record_id) DO UPDATE SET"
        " seq = excluded.seq, version = excluded.version, deleted = excluded.deleted,"
        " owner_id = excluded.owner_id, unit_id = excluded.unit_id, changed_at = excluded.changed_at,"
        " body = excluded.body"
    )
    # A visit's change as ours keeps it (its size is what costs; every row gets this one).
    body = db.execute("SELECT body FROM change_log WHERE entity = 'visit' AND body IS NOT NULL").fetchone()[0]
    columns = [row[1] for row in db.execute("PRAGMA table_info(visit)")]
    visit_sql = f"INSERT INTO visit VALUES ({', '.join(['?'] * len(columns))})"
    start = time.perf_counter()
    for b in range(visits // BATCH):
        batch = []
        for i in range(b * BATCH, (b + 1) * BATCH):
            values = {
                "id": str(uuid.uuid4()),
                "rep_id": rep,
                "customer_id": customer,
                "check_in_at": f"2026-11-{1 + i % 27:02d} {i % 10:02d}:{i % 60:02d}:00.000000",
                "check_in_offset_min": 480,
                "lat": 31.23,
                "lon": 121.47,
                "accuracy_m": 10.0,
                "outcome": "follow_up",
                "satisfaction": 4,
                "notes": f"拜访记录 {i}",
                "status": "submitted",
                "distance_m": 0.0,
                "received_at": now,
                "version": 2,
                "field_versions": json.dumps({"customer_id": [1, rep], "check_in_at": [1, rep]}),
                "created_at": now,
                "updated_at": now,
            }
            batch.append(tuple(values.get(c) for c in columns))
        db.execute("BEGIN IMMEDIATE")
        last = db.execute("SELECT last_seq FROM sync_state WHERE id = 1").fetchone()[0]
        db.executemany(visit_sql, batch)
        db.executemany(log_sql, [(row[0], last + n, rep, now, body) for n, row in enumerate(batch, start=1)])
        db.executemany(
            "INSERT INTO sync_receipt VALUES (?, ?, ?, ?)",
            [
                (client, b * BATCH + n, json.dumps({"status": "applied", "id": row[0]}), now)
                for n, row in enumerate(batch)
            ],
        )
        db.execute("UPDATE sync_state SET last_seq = ? WHERE id = 1", (last + len(batch),))
        db.execute("COMMIT")
    push_rate = visits / (time.perf_counter() - start)
    start = time.perf_counter()
    position, pulled = 0, 0
    while True:
        page = db.execute(
            "SELECT record_id, seq, body FROM change_log WHERE owner_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (rep, position, PAGE),
        ).fetchall()
        if not page:
            break
        pulled += len(page)
        position = page[-1][1]
    pull_rate = pulled / (time.perf_counter() - start)
    db.close()
    return {"push": push_rate, "pull": pull_rate}


FIELDGOAL_PG = f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/fieldgoal_bench"


class FieldgoalDriver:
    """Our sync protocol (docs/sync.md) as a rep's phone speaks it: every receipt must be `applied`."""

    def __init__(self, client: httpx.Client):
        self.client = client
        self.versions: dict[str, int] = {}

    def setup(self, records: Records) -> None:
        admin, team = bench_team(self.client)
        self.phone = new_rep(self.client, admin, team, "writer")
        self.reader = Phone(self.client, self.phone.headers["Authorization"].split()[1])
        for at in range(0, len(records.customers), BATCH):
            self._settle(
                [
                    {
                        "entity": "customer",
                        "op": "create",
                        "id": c["id"],
                        "fields": {k: v for k, v in c.items() if k != "id"},
                    }
                    for c in records.customers[at : at + BATCH]
                ]
            )

    def _settle(self, mutations: list[dict[str, Any]]) -> None:
        sent = []
        for mutation in mutations:
            self.phone.mid += 1
            sent.append({"mid": self.phone.mid, **mutation})
        results = self.phone.sync(sent, limit=0)["results"]
        for receipt in results:
            if receipt["status"] != "applied":
                raise BadResponse(f"receipt not applied: {receipt}")
            self.versions[receipt["id"]] = receipt["version"]
        if len(results) != len(sent):
            raise BadResponse(f"{len(results)} receipts for {len(sent)} mutations")

    def push(self, visits: Sequence[dict[str, Any]]) -> None:
        self._settle(
            [
                {
                    "entity": "visit",
                    "op": "create",
                    "id": v["id"],
                    "fields": {k: x for k, x in v.items() if k != "id"},
                }
                for v in visits
            ]
        )

    def pull_all(self, page: int) -> int:
        self.reader.cursor = None
        pulled = 0
        while True:
            answer = self.reader.sync([], limit=page)
            for change in answer["changes"]:
                self.versions[change["id"]] = change["version"]
            pulled += len(answer["changes"])
            if not answer["has_more"]:
                return pulled

    def edit(self, edits: Sequence[tuple[str, str]]) -> None:
        self._settle(
            [
                {
                    "entity": "visit",
                    "op": "update",
                    "id": record_id,
                    "base_version": self.versions[record_id],
                    "fields": {"notes": notes},
                }
                for record_id, notes in edits
            ]
        )

    def mark(self) -> str:
        while self.reader.sync([])["has_more"]:
            pass
        return str(self.reader.cursor)

    def pull_since(self, mark: str, page: int) -> int:
        self.reader.cursor = mark
        return len(self.reader.sync([], limit=page)["changes"])


@contextmanager
def fieldgoal(database_url: str | None) -> Iterator[FieldgoalDriver]:
    """A fresh server of ours on a fresh database: a temporary SQLite file, or `fieldgoal_bench` recreated."""
    if database_url is not None:
        recreate_database("fieldgoal_bench")
    with server(database_url) as (base, _), httpx.Client(base_url=base, timeout=300, headers=HEADERS) as client:
        yield FieldgoalDriver(client)


SERVERS = {
    "fieldgoal-sqlite": "Fieldgoal SQLite",
    "fieldgoal-pg": "Fieldgoal PG",
    "pouchdb": "pouchdb-server",
    "kinto": "Kinto",
    "raw-pg": "raw pg",
}
ROWS = (
    ("push_100", "push create, batches of 100 (rec/s)"),
    ("push_500", "push create, batches of 500 (rec/s)"),
    ("push_1000", "push create, batches of 1,000 (rec/s)"),
    ("edits", "100 offline edits, one push (rec/s)"),
    ("pull", "full pull, pages of 1,000 (rec/s)"),
    ("pulled", "records in the full pull"),
    ("changes_p50", "pull of 100 changes p50 (ms)"),
    ("changes_p95", "pull of 100 changes p95 (ms)"),
)
RATIOS: tuple[tuple[str, tuple[str, Any], tuple[str, Any]], ...] = (
    (
        "Fieldgoal SQLite push (500) / pouchdb-server best batch",
        ("fieldgoal-sqlite", "push_500"),
        ("pouchdb", best_push),
    ),
    (
        "Fieldgoal SQLite push (100) / pouchdb-server best batch",
        ("fieldgoal-sqlite", "push_100"),
        ("pouchdb", best_push),
    ),
    ("Fieldgoal SQLite edits / pouchdb-server", ("fieldgoal-sqlite", "edits"), ("pouchdb", "edits")),
    ("Fieldgoal SQLite full pull / Kinto", ("fieldgoal-sqlite", "pull"), ("kinto", "pull")),
    ("Fieldgoal PG full pull / Kinto", ("fieldgoal-pg", "pull"), ("kinto", "pull")),
    ("Fieldgoal PG push (500) / pouchdb-server best batch", ("fieldgoal-pg", "push_500"), ("pouchdb", best_push)),
    ("Fieldgoal PG edits / pouchdb-server", ("fieldgoal-pg", "edits"), ("pouchdb", "edits")),
    ("Fieldgoal PG push (100) / raw pg executemany (100)", ("fieldgoal-pg", "push_100"), ("raw-pg", "push_100")),
    ("Fieldgoal PG push (500) / raw pg executemany (500)", ("fieldgoal-pg", "push_500"), ("raw-pg", "push_500")),
)


def durability(only: set[str]) -> list[str]:
    lines = []
    if "fieldgoal-sqlite" in only:
        lines.append(
            "Fieldgoal SQLite: WAL, synchronous=FULL (the WAL fdatasync'd at every commit; backend/db.py)"
        )
    if "fieldgoal-pg" in only:
        lines.append(f"Fieldgoal PostgreSQL: {pg_durability('fieldgoal_bench')} (the WAL flushed at every commit)")
        lines.append("raw pg: the same server and database, one commit per batch")
    if "pouchdb" in only:
        lines.append("pouchdb-server: LevelDB (leveldown) with its default writes: no fsync per write")
    if "kinto" in only:
        lines.append(f"Kinto: PostgreSQL, {pg_durability('kinto_bench')}, one transaction per batch request")
    return lines


def compare_raw_sqlite(args: argparse.Namespace) -> None:
    """The older comparison: ours on SQLite (or --database-url), gzip on, beside plain sqlite3."""
    ours, raw, schema = [], [], []
    for run in range(args.runs):
        with server(args.database_url) as (base, folder):
            ours.append(measure_ours(base, args.visits))
        raw.append(measure_raw(args.visits))
        if args.database_url is None:
            schema.append(measure_raw_schema(folder / "bench.db", args.visits))
        print(f"run {run + 1}: ours {ours[-1]}  raw {raw[-1]}  raw, our schema {schema[-1:]}", flush=True)

    def med(results: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in results)

    print(
        f"\nours against raw sqlite3: median of {args.runs} runs, {args.visits} visits, batches of {BATCH}, pages of {PAGE}"
    )
    print(f"{'figure':<34}{'ours':>12}{'raw db':>12}{'ours/raw':>10}")
    for key, label, unit in (
        ("push", "push (mutations/s)", ""),
        ("pull", "full pull (records/s)", ""),
        ("idle", "sync with nothing new p50 (ms)", ""),
        ("rt_p50", "round trip 10 up/100 down p50 (ms)", ""),
        ("rt_p95", "round trip 10 up/100 down p95 (ms)", ""),
    ):
        a, b = med(ours, key), med(raw, key)
        print(f"{label:<34}{a:>12.1f}{b:>12.1f}{a / b:>10.2f}{unit}")
    if schema:
        # Rates from one run each, ratio within the run: what SQLite alone needs for our rows.
        print(f"\nraw sqlite3 on our schema (visits + change log + receipts), median of {args.runs} runs")
        for key, label in (("push", "push (mutations/s)"), ("pull", "full pull (records/s)")):
            ratio = statistics.median(o[key] / r[key] for o, r in zip(ours, schema, strict=True))
            print(f"{label:<34}{med(ours, key):>12.1f}{med(schema, key):>12.1f}{ratio:>10.2f}")


def compare_servers(args: argparse.Namespace, only: set[str]) -> Table:
    records = make_records(args.visits)
    table = Table()
    for run in range(args.runs):
        figures: dict[str, dict[str, float]] = {}
        if "fieldgoal-sqlite" in only:
            figures["fieldgoal-sqlite"] = run_workloads(lambda batch: fieldgoal(None), records, (100, 500))
            print(f"run {run + 1}: fieldgoal-sqlite {figures['fieldgoal-sqlite']}", flush=True)
        if "fieldgoal-pg" in only:
            figures["fieldgoal-pg"] = run_workloads(lambda batch: fieldgoal(FIELDGOAL_PG), records, (100, 500))
            # The last fresh database is still there, with our schema: the raw floor writes beside it.
            figures["raw-pg"] = raw_pg("fieldgoal_bench", records, (100, 500))
            print(f"run {run + 1}: fieldgoal-pg {figures['fieldgoal-pg']} raw-pg {figures['raw-pg']}", flush=True)
        if "pouchdb" in only:
            figures["pouchdb"] = run_workloads(pouchdb, records, (100, 500, 1000))
            print(f"run {run + 1}: pouchdb {figures['pouchdb']}", flush=True)
        if "kinto" in only:
            figures["kinto"] = run_workloads(kinto, records, (100, 500))
            print(f"run {run + 1}: kinto {figures['kinto']}", flush=True)
        table.runs.append(figures)

    servers = [name for name in SERVERS if any(name in run for run in table.runs)]
    print(
        f"\nmedian of {args.runs} runs, {len(records.visits)} visits at {len(records.customers)} customers,"
        " one HTTP connection, Accept-Encoding: identity (no gzip on any server)"
    )
    print(f"{'workload':<40}" + "".join(f"{SERVERS[name]:>17}" for name in servers))
    for key, label in ROWS:
        cells = []
        for name in servers:
            value = table.median(name, key)
            digits = 1 if key.startswith("changes_") else 0
            cells.append(f"{'-' if value is None else f'{value:,.{digits}f}':>17}")
        print(f"{label:<40}" + "".join(cells))
    print("\nratios (median of the runs' ratios, each within one run)")
    for label, a, b in RATIOS:
        value = table.ratio(a, b)
        if value is not None:
            print(f"  {label:<56}{value:>8.2f}")
    print("\ndurability")
    for line in durability(only):
        print(f"  {line}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--visits", type=int, default=10_000)
    choices = ("fieldgoal-sqlite", "fieldgoal-pg", "pouchdb", "kinto", "raw-sqlite")
    parser.add_argument(
        "--only", default=",".join(choices), help=f"a comma-separated subset of {','.join(choices)} (default: all)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every run's figures to this file")
    parser.add_argument(
        "--database-url",
        default=None,
        help="raw-sqlite only: ours on this database (default: a fresh SQLite file per run)",
    )
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if unknown := only - set(choices):
        parser.error(f"unknown in --only: {', '.join(sorted(unknown))}")
    table = compare_servers(args, only) if only - {"raw-sqlite"} else Table()
    if "raw-sqlite" in only:
        compare_raw_sqlite(args)
    if args.json is not None:
        args.json.write_text(json.dumps({"visits": args.visits, "runs": table.runs}, indent=1))


if __name__ == "__main__":
    main()
