"""Many phones against several server processes on PostgreSQL, with faults; checks convergence at the end.

    .venv/bin/python -m bench.load [--phones 300] [--servers 4] [--seconds 60] [--offline 0.5-3] [--faults]

Each phone is a real SYNC.md client (tests/sync/helpers.Phone over HTTP): it works offline for a while
(queues customers and visits, submits them), then syncs (push, then pull until caught up). Leads approve
their teams' submitted visits; a `fieldgoal worker` runs beside the servers. With --faults one server is
killed with SIGKILL and restarted a third of the way in, and PostgreSQL is restarted two thirds of the way
in; phones retry with backoff, as the app does. At the end every phone drains its queue, its replica must
equal a fresh full pull for its user, and every (client_id, mid) must have exactly one receipt. Prints
throughput and p50/p95/p99 per request kind.
Not a test: it needs PostgreSQL (FIELDGOAL_TEST_DATABASE_URL or --database-url) and takes minutes.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backend.org.models import Unit, User
from backend.sync.models import SyncReceipt
from tests.conftest import Api
from tests.factories import _HASH, PASSWORD
from tests.support.server import ServerPool, TestDatabase
from tests.sync.helpers import Phone

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.timings[kind].append(seconds * 1000)

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1


def seed(db: TestDatabase, reps: int) -> tuple[list[str], list[str]]:
    """Teams of ten reps with a lead each, under one region; returns rep and lead emails."""
    now = datetime.now(UTC)
    rep_emails, lead_emails = [], []
    with Session(db.engine) as session:
        company = Unit(name="Load Co", kind="company", path="")
        company.path = f"/{company.id}/"
        session.add(company)
        session.flush()
        for t in range((reps + 9) // 10):
            team = Unit(name=f"team{t}", kind="team", parent_id=company.id, path="")
            team.path = f"{company.path}{team.id}/"
            session.add(team)
            session.flush()
            members = [("lead", f"lead{t}@load.test")] + [
                ("rep", f"rep{t}-{i}@load.test") for i in range(min(10, reps - t * 10))
            ]
            for role, email in members:
                user = User(email=email, name=email, role=role, unit_id=team.id, password_hash=_HASH, locale="en")
                user.created_at = user.updated_at = now
                session.add(user)
                session.flush()
                (lead_emails if role == "lead" else rep_emails).append(email)
        session.commit()
    return rep_emails, lead_emails


def sign_in(client: httpx.Client, email: str) -> Api:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return Api(client, response.json()["token"])  # type: ignore[arg-type]


def sync_with_retry(phone: Phone, stats: Stats, stop_at: float) -> None:
    """Push and pull until caught up, retrying through faults with backoff (as the app does)."""
    delay = 0.5
    while True:
        kind = "push" if phone.queue else "pull"
        start = time.perf_counter()
        try:
            response = phone.api.post("/api/v1/sync", json=phone.envelope(limit=500))
            if response.status_code != 200:
                raise httpx.HTTPStatusError(str(response.status_code), request=response.request, response=response)
            phone.apply(response.json())
            stats.record(kind, time.perf_counter() - start)
            delay = 0.5
            if not phone.queue and not response.json()["has_more"]:
                return
        except (httpx.TransportError, httpx.HTTPStatusError):
            stats.error(kind)
            if time.monotonic() > stop_at + 300:
                raise
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 8)


def rep_life(phone: Phone, stats: Stats, stop_at: float, rng: random.Random, offline: tuple[float, float]) -> None:
    customers: list[str] = []
    while time.monotonic() < stop_at:
        # Offline for a while: queue some work.
        for _ in range(rng.randint(1, 4)):
            if not customers or rng.random() < 0.2:
                customer_id = str(uuid.uuid4())
                phone.queue_mutation(
                    "customer", "create", customer_id, fields={"name": "客户", "lat": 31.2, "lon": 121.4}
                )
                customers.append(customer_id)
            visit_id = str(uuid.uuid4())
            fields = {
                "customer_id": rng.choice(customers),
                "check_in_at": datetime.now(UTC).isoformat(),
                "outcome": "follow_up",
                "satisfaction": rng.randint(3, 5),
            }
            phone.queue_mutation("visit", "create", visit_id, fields=fields)
            phone.queue_mutation("visit", "action", visit_id, name="submit", args={})
        time.sleep(rng.uniform(*offline))
        sync_with_retry(phone, stats, stop_at)


def lead_life(
    phone: Phone, stats: Stats, stop_at: float, rng: random.Random, offline: tuple[float, float]
) -> None:
    while time.monotonic() < stop_at:
        sync_with_retry(phone, stats, stop_at)
        for visit_id, visit in list(phone.of("visit").items())[:20]:
            if visit["status"] == "submitted":
                phone.queue_mutation("visit", "action", visit_id, name="approve", base_version=visit["version"])
        time.sleep(rng.uniform(*offline))


def faults(pool: ServerPool, stop_at: float, seconds: float, events: list[str]) -> None:
    time.sleep(seconds / 3)
    server = pool.servers[0]
    server.kill()
    events.append(f"{time.strftime('%X')} SIGKILL {server.name}")
    time.sleep(2)
    server.restart()
    events.append(f"{time.strftime('%X')} restarted {server.name}")
    time.sleep(max(0.0, stop_at - time.monotonic() - seconds / 3))
    cluster = next(iter(os.listdir("/etc/postgresql")))
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True)
    events.append(f"{time.strftime('%X')} restarted PostgreSQL")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument(
        "--offline",
        default="0.5-3",
        help="seconds a phone works offline between syncs, LOW-HIGH (drawn uniformly); sets the offered load",
    )
    parser.add_argument("--database-url", default=os.environ.get("FIELDGOAL_TEST_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    low, _, high = args.offline.partition("-")
    offline = (float(low), float(high or low))
    folder = Path(tempfile.mkdtemp(prefix="fieldgoal-load-"))
    stats, events = Stats(), []
    with TestDatabase.postgres(args.database_url) as db, ServerPool(folder) as pool:
        for _ in range(args.servers):
            pool.start(db)
        # The worker (push deliveries, morning rules, badges) runs beside the servers, as in production.
        first = pool.servers[0]
        worker_log = open(folder / "worker.log", "wb")  # noqa: SIM115 - closed below
        worker = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "worker"],
            # Its own application_name: the fault injector waits for a killed server's connections alone.
            env=first.environment() | {"FIELDGOAL_DATABASE_URL": db.url_for("worker")},
            cwd=first.data_dir,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        leads_count = max(1, args.phones // 11)
        rep_emails, lead_emails = seed(db, args.phones - leads_count)
        clients = [httpx.Client(base_url=s.base_url, timeout=60) for s in pool.servers]
        phones: list[tuple[Phone, str]] = []
        for index, email in enumerate(rep_emails + lead_emails):
            phones.append((Phone(sign_in(clients[index % len(clients)], email)), email))
        stop_at = time.monotonic() + args.seconds
        started = time.perf_counter()
        threads = []
        for index, (phone, email) in enumerate(phones):
            life = lead_life if email.startswith("lead") else rep_life
            threads.append(
                threading.Thread(target=life, args=(phone, stats, stop_at, random.Random(index), offline))
            )
        if args.faults:
            threads.append(threading.Thread(target=faults, args=(pool, stop_at, args.seconds, events)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Drain: every phone pushes what it still holds; then, with nothing left to write anywhere (the
        # worker stopped too), every phone pulls once more, so changes pushed by phones drained after it
        # (a lead's last approvals) reach it as they would on its next sync.
        for phone, _ in phones:
            sync_with_retry(phone, stats, stop_at)
        elapsed = time.perf_counter() - started
        worker_alive = worker.poll() is None
        worker.terminate()
        worker.wait(timeout=30)
        worker_log.close()
        for phone, _ in phones:
            sync_with_retry(phone, stats, stop_at)
        # Convergence: each replica equals a fresh full pull; each (client, mid) settled exactly once.
        diverged = 0
        differing: dict[str, int] = defaultdict(int)
        for phone, email in phones:
            fresh = Phone(sign_in(phone.api.client, email))  # type: ignore[arg-type]
            fresh.sync(limit=2000)
            if fresh.replica != phone.replica:
                diverged += 1
                for key in fresh.replica.keys() | phone.replica.keys():
                    if fresh.replica.get(key) != phone.replica.get(key):
                        differing[key[0]] += 1
        with Session(db.engine) as session:
            counts = dict(
                session.execute(select(SyncReceipt.client_id, func.count()).group_by(SyncReceipt.client_id)).all()
            )
            doubled = session.execute(text("SELECT count(*) FROM visit GROUP BY id HAVING count(*) > 1")).all()
        wrong = sum(counts.get(p.client_id, 0) != p.next_mid - 1 for p, _ in phones)
        for client in clients:
            client.close()
    print(
        f"\n{args.phones} phones, {args.servers} servers, {args.seconds:.0f} s, offline {args.offline} s"
        f" between syncs, faults={args.faults}"
    )
    for line in events:
        print("  " + line)
    print(f"{'kind':<6}{'requests':>10}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind in ("push", "pull"):
        values = stats.timings[kind]
        if values:
            print(
                f"{kind:<6}{len(values):>10}{len(values) / elapsed:>8.1f}{statistics.median(values):>9.1f}"
                f"{percentile(values, 0.95):>9.1f}{percentile(values, 0.99):>9.1f}{stats.errors[kind]:>8}"
            )
    print(
        f"replicas differing from a fresh pull: {diverged}; clients with receipts != mids: {wrong}; doubled: {len(doubled)}"
    )
    if differing:
        print(f"records differing, by entity: {dict(differing)}")
    print(f"worker ran throughout: {worker_alive} (log: {folder / 'worker.log'})")


if __name__ == "__main__":
    main()
