"""How fast the goal tree answers for a whole company: `python -m bench.goal_tree_bench`.

Builds the KPI benchmark's company (`bench.kpi_bench.Seeder`: 500 reps in 50 teams under 5 regions, 2,000,000
approved visits by default, every rep and unit with the five goals for 2026-11) and times GET /goals/tree's
service for the admin at the company (every unit and rep, one metric and period, with the KPI engine's
figures), as the median and p95 of repeated runs, with the size of the JSON answer. `--cache FILE` keeps the
built SQLite file: building 2,000,000 visits takes minutes, measuring seconds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from functools import partial
from pathlib import Path

import msgspec
from sqlalchemy.orm import Session
from sqlmodel import select

from backend.db import make_engine
from backend.goals import tree
from backend.goals.models import METRICS
from backend.models import metadata
from backend.org.models import Unit, User
from backend.policy import actor_for
from bench.kpi_bench import NOW, Seeder, timed

PERIOD = "2026-11"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, help="a SQLite file: built there if missing, reused if present")
    args = parser.parse_args()
    path = args.cache or Path(tempfile.mkdtemp(prefix="fieldgoal-tree-")) / "tree.db"
    engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    if not (args.cache and args.cache.exists() and args.cache.stat().st_size):
        metadata.create_all(engine)
        seeder = Seeder(engine, args.seed)
        seeder.org()
        seeder.history(args.visits)
    build_seconds = round(time.perf_counter() - started, 1)
    results = {}
    with Session(engine) as session:
        admin = session.scalars(select(User).where(User.role == "admin")).one()
        actor = actor_for(admin, session.get_one(Unit, admin.unit_id))
        for metric in METRICS:
            answer = tree.goal_tree(session, actor, NOW, None, metric, PERIOD)
            size = len(msgspec.json.encode(answer))
            figures = timed(partial(tree.goal_tree, session, actor, NOW, None, metric, PERIOD), args.runs)
            results[metric] = {"nodes": len(answer.nodes), "answer_kb": round(size / 1024, 1), **figures}
        visits = session.connection().exec_driver_sql("SELECT count(*) FROM visit").scalar_one()
    print(
        json.dumps({"visits": visits, "build_seconds": build_seconds, "period": PERIOD, "tree": results}, indent=2)
    )
    engine.dispose()


if __name__ == "__main__":
    main()
