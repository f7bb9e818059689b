"""Push fan-out: N notifications through the delivery worker to a local push service, beside a bare pywebpush
send loop to the same service in the same run.

    .venv/bin/python -m bench.push_bench [--notifications 10000] [--users 100] [--bare 1000] [--database-url URL]

The push service (tests/support/push_service.py: it verifies every VAPID token and decrypts every body) runs
in a process of its own, so its work does not share our interpreter's lock. Ours: `notify()` makes N
notifications for `--users` users with one subscription each (one transaction), then one `Worker` drains the
queue (claim, encrypt and send `push_concurrency` at a time, settle). The bare loop calls
`pywebpush.webpush` directly, one message after another, with no database at all: the floor of what one
Python process sends. Prints deliveries per second and end-to-end latency (notification committed to
message decrypted at the push service). Not a test: it asserts nothing and is not part of `make test`.

The bare loop is the one place outside backend/push/sender.py that imports pywebpush: it is the baseline.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from backend.db import make_engine, utcnow
from backend.models import metadata
from backend.notify.models import Delivery, PushSubscription
from backend.notify.service import notify
from backend.org.models import Unit, User
from backend.push.keys import load_or_create_vapid_key
from backend.push.sender import Subscription
from backend.settings import Settings
from backend.sync.changelog import ensure_state
from backend.worker import Worker


def push_service_process(conn: Connection, subscriptions: int, application_server_key: str) -> None:
    """The local push service, in its own process: answers requests, then reports receipt times."""
    from http.server import ThreadingHTTPServer

    from tests.support.push_service import LocalPushService

    # socketserver's listen backlog of 5 drops the SYNs of a worker sending 8 at once (each then waits 1 s to
    # retry its connect): a real push service listens with a deep backlog, so this one does too here.
    ThreadingHTTPServer.request_queue_size = 128
    received: list[tuple[bytes, float]] = []
    with LocalPushService() as service:
        original = service._receive

        def timed(path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], str]:
            answer = original(path, headers, body)
            if answer[0] == 201:
                received.append((service.messages[-1].payload, time.time()))
            return answer

        service._receive = timed  # type: ignore[method-assign]
        made = [service.new_subscription(application_server_key)[0] for _ in range(subscriptions)]
        conn.send((service.host, [(s.endpoint, s.p256dh, s.auth) for s in made]))
        while conn.recv() != "stop":
            conn.send(list(received))
            received.clear()
    conn.close()


def bare_loop(subscriptions: list[Subscription], count: int, vapid_pem: str) -> float:
    """Seconds for `count` sends with pywebpush alone (fresh claims each time, as sender.send does)."""
    from py_vapid import Vapid02
    from pywebpush import webpush

    signer = Vapid02.from_pem(vapid_pem.encode())
    started = time.perf_counter()
    for n in range(count):
        s = subscriptions[n % len(subscriptions)]
        origin = s.endpoint.split("/push/")[0]
        webpush(
            {"endpoint": s.endpoint, "keys": {"p256dh": s.p256dh, "auth": s.auth}},
            data=b'{"title":"bench","body":"bare pywebpush"}',
            vapid_private_key=signer,
            vapid_claims={"sub": "mailto:bench@localhost", "aud": origin, "exp": int(time.time()) + 3600},
            content_encoding="aes128gcm",
            ttl=3600,
            timeout=10,
        )
    return time.perf_counter() - started


def fan_out(
    args: argparse.Namespace, folder: Path, host: str, subscriptions: list[Subscription]
) -> dict[str, Any]:
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    settings = Settings(
        database_url=url,
        data_dir=folder / "data",
        push_allowed_hosts=(host,),
        quiet_hours_start=0,  # the bench runs at any hour
        quiet_hours_end=0,
        push_concurrency=args.concurrency,
        push_batch_size=args.batch,
    )
    engine = make_engine(url)
    metadata.create_all(engine)  # a fresh SQLite file, or the bench's own PostgreSQL schema (see main)
    with Session(engine, expire_on_commit=False) as session:
        ensure_state(session)
        unit = Unit(name="bench", kind="team", path="")
        unit.path = f"/{unit.id}/"
        session.add(unit)
        users = [
            User(email=f"u{n}@bench", name=f"U{n}", role="rep", unit_id=unit.id, password_hash="x", locale="en")
            for n in range(args.users)
        ]
        session.add_all(users)
        session.flush()
        session.add_all(
            PushSubscription(user_id=u.id, endpoint=s.endpoint, p256dh=s.p256dh, auth=s.auth)
            for u, s in zip(users, subscriptions, strict=True)
        )
        session.commit()

        started = time.perf_counter()
        now = utcnow()
        for n in range(args.notifications):
            notify(session, users[n % len(users)], "visit_approved", f"bench:{n}", {"customer": f"客户{n}"}, now)
        session.commit()
        committed = time.time()
        insert_seconds = time.perf_counter() - started

    worker = Worker(settings, engine=engine)
    started = time.perf_counter()
    worker.deliver()
    drain_seconds = time.perf_counter() - started
    worker.close()
    with Session(engine) as session:
        sent = session.query(Delivery).filter(Delivery.status == "sent").count()
    engine.dispose()
    return {"insert_seconds": insert_seconds, "drain_seconds": drain_seconds, "sent": sent, "committed": committed}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--bare", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=Settings.push_concurrency)
    parser.add_argument("--batch", type=int, default=Settings.push_batch_size)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="fieldgoal-push-bench-"))
    vapid = load_or_create_vapid_key(folder / "data", None)
    ours, theirs = multiprocessing.Pipe()
    service = multiprocessing.Process(
        target=push_service_process, args=(theirs, args.users, vapid.application_server_key), daemon=True
    )
    service.start()
    host, raw = ours.recv()
    subscriptions = [Subscription(*s) for s in raw]

    bare_seconds = bare_loop(subscriptions, args.bare, vapid.private_pem)
    ours.send("report")
    bare_received = len(ours.recv())

    schema = None
    if args.database_url and args.database_url.startswith("postgresql"):
        # A schema of its own, dropped afterwards: the bench never touches the tables already there.
        schema = f"push_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.database_url)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = make_url(args.database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        args.database_url = url.render_as_string(hide_password=False)
    try:
        result = fan_out(args, folder, host, subscriptions)
    finally:
        if schema is not None:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    ours.send("report")
    received = ours.recv()
    ours.send("stop")
    service.join(timeout=10)

    latencies = [at - result["committed"] for _, at in received]
    rate = result["sent"] / result["drain_seconds"]
    bare_rate = args.bare / bare_seconds
    where = "postgresql (a schema of its own)" if schema else "sqlite (a temporary file)"
    print(f"database: {where}; concurrency {args.concurrency}")
    print(
        f"bare pywebpush loop: {args.bare} sends in {bare_seconds:.1f} s = {bare_rate:.0f}/s ({bare_received} received)"
    )
    print(
        f"notify(): {args.notifications} notifications + deliveries in {result['insert_seconds']:.1f} s "
        f"= {args.notifications / result['insert_seconds']:.0f}/s"
    )
    print(
        f"worker fan-out: {result['sent']} sent ({len(received)} received, decrypted) in "
        f"{result['drain_seconds']:.1f} s = {rate:.0f}/s ({rate / bare_rate:.2f}x bare)"
    )
    if latencies:
        print(
            "end-to-end latency (commit -> decrypted at the push service): "
            f"p50 {statistics.median(latencies):.1f} s, p95 {percentile(latencies, 0.95):.1f} s, "
            f"max {max(latencies):.1f} s (a queue of {args.notifications} drained at once)"
        )


if __name__ == "__main__":
    main()
