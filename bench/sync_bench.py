"""Sync throughput and latency, over HTTP with one connection, beside the raw database doing the same work.

    .venv/bin/python -m bench.sync_bench [--runs 3] [--visits 10000] [--database-url URL]

One `fieldgoal serve` process (SQLite by default, in a fresh temporary folder) and, in the same run, plain
sqlite3 doing the equivalent inserts and selects (sqlite3 also when the server runs on --database-url).
Prints the median of the runs and the ratio ours/raw of each figure. Not a test: it asserts nothing and is not part of `make test`.

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
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

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
        deadline = time.monotonic() + 60
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file per run")
    args = parser.parse_args()
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

    print(f"\nmedian of {args.runs} runs, {args.visits} visits, batches of {BATCH}, pages of {PAGE}")
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


if __name__ == "__main__":
    main()
