"""Team channel and email digest fan-out: N events over C team channels (each a WeCom robot of the tests'
local robots), and D email digests to a local SMTP server, through the worker.

    .venv/bin/python -m bench.channels_bench [--events 10000] [--channels 200] [--digests 2000] [--database-url URL]

Each of C teams has one rep and one WeCom channel; `badge_earned` announces N badges spread over the reps (one
transaction), then one `Worker` drains the channel queue. A robot takes 20 messages a minute, so what waits
beyond that for one channel goes as one merged message: the figures are events queued per second, the drain
time, and how many HTTP messages the robots received for the N events. Then D users who chose the email
digest have it written (`queue_mornings`, their morning) and sent to aiosmtpd. The robots (tests/support/
robots.py, which check every request) and aiosmtpd run in this process, in threads: their work shares our
interpreter's lock, so the drain figures are a floor. Compare with bench/push_bench.py's Web Push figure.
Not a test: it asserts nothing and is not part of `make test`.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from backend.channels import service as channels
from backend.channels.crypto import encrypt
from backend.channels.models import ChannelMessage, TeamChannel
from backend.channels.webhooks import masked
from backend.db import make_engine, utcnow
from backend.digest.models import EmailDigest, EmailDigestChoice
from backend.digest.service import queue_mornings
from backend.models import metadata
from backend.org.models import Unit, User
from backend.settings import SESSION_KEY, Settings
from backend.sync.changelog import ensure_state
from backend.worker import Worker
from tests.support.robots import LocalRobots


class Counting:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    settings = Settings(
        database_url=url,
        data_dir=folder / "data",
        secret_key="bench-" + "k" * 32,
        channel_allowed_hosts=("127.0.0.1",),
        quiet_hours_start=0,
        quiet_hours_end=0,
        morning_hour=0,  # every digest user's morning is now
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
    )
    engine = make_engine(url)
    metadata.create_all(engine)
    result: dict[str, Any] = {}
    smtp = Counting()
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    with LocalRobots(lambda: datetime.now(UTC)) as robots:
        with Session(engine, expire_on_commit=False, info={SESSION_KEY: settings}) as session:
            ensure_state(session)
            root = Unit(name="company", kind="company", path="")
            root.path = f"/{root.id}/"
            session.add(root)
            reps = []
            for n in range(args.channels):
                team = Unit(name=f"team{n}", kind="team", parent_id=root.id, path="")
                team.path = f"{root.path}{team.id}/"
                session.add(team)
                rep = User(email=f"r{n}@bench", name=f"R{n}", role="rep", unit_id=team.id, password_hash="x")
                session.add(rep)
                reps.append(rep)
                webhook = robots.wecom(f"robot-{n}")
                session.flush()
                session.add(
                    TeamChannel(
                        unit_id=team.id,
                        kind="wecom",
                        url_encrypted=encrypt(settings, webhook),
                        masked_url=masked("wecom", webhook),
                        created_by=rep.id,
                    )
                )
            people = [
                User(email=f"d{n}@bench", name=f"D{n}", role="rep", unit_id=root.id, password_hash="x")
                for n in range(args.digests)
            ]
            session.add_all(people)
            session.flush()
            session.add_all(EmailDigestChoice(user_id=p.id, enabled=True) for p in people)
            session.commit()

            started = time.perf_counter()
            now = utcnow()
            for n in range(args.events):
                channels.badge_earned(session, reps[n % len(reps)], f"bench:{n}", {"zh-CN": f"徽章{n}"}, now)
            session.commit()
            result["queue_seconds"] = time.perf_counter() - started

        worker = Worker(settings, engine=engine)
        started = time.perf_counter()
        worker.deliver_to_channels()
        result["drain_seconds"] = time.perf_counter() - started
        result["received"] = len(robots.received)
        result["refused"] = len(robots.refused)

        with Session(engine, info={SESSION_KEY: settings}) as session:
            started = time.perf_counter()
            queue_mornings(session, settings, utcnow())
            session.commit()
            result["compose_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        worker.deliver()
        result["mail_seconds"] = time.perf_counter() - started
        worker.close()
    controller.stop()
    result["mailed"] = smtp.count
    with Session(engine) as session:
        result["messages"] = {
            status: session.query(ChannelMessage).filter(ChannelMessage.status == status).count()
            for status in ("sent", "merged", "pending", "failed")
        }
        result["digests_sent"] = session.query(EmailDigest).filter(EmailDigest.status == "sent").count()
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--digests", type=int, default=2_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fieldgoal-channels-bench-"))
    schema = None
    if args.database_url and args.database_url.startswith("postgresql"):
        schema = f"channels_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.database_url)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = make_url(args.database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        args.database_url = url.render_as_string(hide_password=False)
    try:
        r = run(args, folder)
    finally:
        if schema is not None:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    where = "postgresql (a schema of its own)" if schema else "sqlite (a temporary file)"
    print(f"database: {where}")
    print(
        f"queueing: {args.events} events over {args.channels} channels in {r['queue_seconds']:.1f} s "
        f"= {args.events / r['queue_seconds']:.0f}/s"
    )
    print(
        f"worker drain: {r['drain_seconds']:.1f} s; {r['received']} HTTP messages received for {args.events} events "
        f"({r['refused']} refused); rows {r['messages']}"
    )
    print(
        f"email digests: {args.digests} written in {r['compose_seconds']:.1f} s "
        f"= {args.digests / r['compose_seconds']:.0f}/s; sent in {r['mail_seconds']:.1f} s "
        f"= {r['mailed'] / max(r['mail_seconds'], 1e-9):.0f}/s ({r['mailed']} received, {r['digests_sent']} marked sent)"
    )


if __name__ == "__main__":
    main()
