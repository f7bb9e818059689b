"""What a manager's phone holds after its first sync, with and without rule 9's window:
`python -m bench.replica_bench --reps 500 --months 6,48`.

For each history length, seeds the demo company into a fresh SQLite file, then pulls as the company's
manager (the demo's `boss`, who sees every unit) from a null cursor to the end, in pages of 2,000, through
the same `pull` the sync endpoint calls, twice in the same run: with the window the server applies
(`FIELDGOAL_SYNC_WINDOW_DAYS`, 31) and with none (what every lead and manager pulled before the window).
Prints the records and bytes (the changes as JSON, uncompressed, as the log keeps them) and the seconds
of each. Not a test: it asserts nothing and is not part of `make test`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import make_engine, read_only_scope
from backend.demo import seed_demo
from backend.models import metadata
from backend.org.models import Unit, User
from backend.policy import actor_for
from backend.settings import Settings
from backend.sync.changelog import ensure_state
from backend.sync.pull import pull, window_start


def full_pull(engine: Any, email: str, window: datetime | None) -> tuple[int, int, float, int]:
    """(records, bytes, seconds) of a first sync's pages, as the phone would receive them, and the records
    it then holds: those whose `ages_at` does not lie before the window (the client's rule)."""
    records = size = held = 0
    started = time.perf_counter()
    with read_only_scope(engine) as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        actor = actor_for(user, session.get_one(Unit, user.unit_id))
        cursor = None
        while True:
            page = pull(session, actor, cursor, 2000, window)
            records += len(page.changes)
            encoded = msgspec.json.encode(page.changes)
            size += len(encoded)
            for change in msgspec.json.decode(encoded):
                ages_at = change.get("ages_at")
                held += window is None or ages_at is None or datetime.fromisoformat(ages_at) >= window
            cursor = page.cursor
            if not page.has_more:
                break
    return records, size, time.perf_counter() - started, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--months", default="6,48", help="history lengths to seed, comma-separated")
    parser.add_argument("--window-days", type=int, default=Settings.sync_window_days)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 20))
    args = parser.parse_args()

    print(f"a manager's first sync, {args.reps} reps, window {args.window_days} days, as of {args.today}")
    print(
        f"{'months':>6} {'visits':>10} | {'window: sent':>12} {'MB':>6} {'s':>5} {'held':>8}"
        f" | {'no window: sent':>15} {'MB':>6} {'s':>5}"
    )
    for months in (int(m) for m in args.months.split(",")):
        folder = Path(tempfile.mkdtemp(prefix="fieldgoal-replica-"))
        url = f"sqlite:///{folder / 'demo.db'}"
        engine = make_engine(url)
        metadata.create_all(engine)
        with Session(engine) as session:
            ensure_state(session)
            session.commit()
        stats: dict[str, Any] = {}
        settings = Settings(database_url=url, data_dir=folder, secret_key="bench-" + "s" * 32)
        seed_demo(settings, reps=args.reps, months=months, today=args.today, stats=stats)
        now = datetime.combine(args.today, datetime.min.time()).astimezone()
        with read_only_scope(engine) as session:
            top = select(Unit.id).where(Unit.parent_id.is_(None))  # type: ignore[union-attr]
            boss = session.scalars(select(User).where(User.role == "manager", User.unit_id.in_(top))).first()  # type: ignore[attr-defined]
            assert boss is not None
            email = boss.email
            actor = actor_for(boss, session.get_one(Unit, boss.unit_id))
        windowed = full_pull(engine, email, window_start(actor, args.window_days, now))
        everything = full_pull(engine, email, None)
        visits = stats.get("rows", {}).get("visit", 0)
        print(
            f"{months:>6} {visits:>10,} | {windowed[0]:>12,} {windowed[1] / 1e6:>6.1f} {windowed[2]:>5.1f}"
            f" {windowed[3]:>8,} | {everything[0]:>15,} {everything[1] / 1e6:>6.1f} {everything[2]:>5.1f}"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
