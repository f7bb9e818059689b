"""How long the demo company takes to seed, and how many rows it writes: `python -m bench.demo_scale`.

Seeds a fresh SQLite file (or the empty, migrated database named by --url) and prints rows per table, the
seconds, and the visits per second. The KPI benchmark seeds with about 500 reps and enough months for
2,000,000 visits (`--reps 500 --months 48`).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from backend.db import make_engine
from backend.demo import seed_demo
from backend.models import metadata
from backend.settings import Settings
from backend.sync.changelog import ensure_state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    parser.add_argument("--url", help="an empty database to seed (default: a new SQLite file)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="fieldgoal-demo-"))
    url = args.url or f"sqlite:///{folder / 'demo.db'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    with Session(engine) as session:
        ensure_state(session)
        session.commit()
    engine.dispose()

    stats: dict[str, object] = {}
    started = time.perf_counter()
    settings = Settings(database_url=url, data_dir=folder, secret_key="bench-" + "s" * 32)
    seed_demo(settings, reps=args.reps, months=args.months, seed=args.seed, today=args.today, stats=stats)
    seconds = time.perf_counter() - started
    rows = stats.get("rows", {})
    assert isinstance(rows, dict)
    print(f"demo seed: reps={args.reps} months={args.months} into {url}")
    for name, count in sorted(rows.items()):
        print(f"  {name:<12} {count:>10,}")
    visits = rows.get("visit", 0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {seconds:.1f} s, {visits / seconds:,.0f} visits/s, peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
