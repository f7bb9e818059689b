"""What the evidence flags cost a push: the sync engine settling visit creates with the flags and with them
switched off, in this process, in CPU time (the machine is shared; CPU time moves less than wall time).

    .venv/bin/python -m bench.evidence_bench [--rounds 3] [--visits 10000]

One rep pushes batches of 500 visit creates (as bench/sync_bench.py builds them: one customer, one position,
every visit at its own time) through `backend.sync.engine.settle`, one transaction per batch, on a fresh SQLite
file per run. Two spreads: `month`, sync_bench's own (each batch's check-ins spread over 27 days, so each
batch reads the rep's check-ins of the whole month stored so far), and `day` (each batch one day of work, as a
phone that was offline for a day sends it). The variants take turns; the figure is the median of the rounds,
and the ratio the median of each round's ratio. Not a test: it asserts only that every mutation applied.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from backend.db import make_engine
from backend.models import metadata
from backend.policy import actor_for
from backend.settings import SESSION_KEY, Settings
from backend.sync.changelog import ensure_state
from backend.sync.engine import read_envelope, settle
from backend.visits import evidence
from tests.factories import build_org

BATCH = 500
NOW = datetime(2026, 11, 30, tzinfo=UTC)


@contextmanager
def flags_off() -> Iterator[None]:
    """The server as it was before the flags: no flags between check-ins, no own flags."""
    saved = evidence.refresh_around, evidence.own_flags
    evidence.refresh_around = lambda *args, **kwargs: None  # type: ignore[assignment]
    evidence.own_flags = lambda *args, **kwargs: set()  # type: ignore[assignment]
    try:
        yield
    finally:
        evidence.refresh_around, evidence.own_flags = saved


def _check_in_at(spread: str, batch: int, mid: int) -> str:
    day = 1 + batch % 27 if spread == "day" else 1 + mid % 27
    return f"2026-11-{day:02d}T{8 + mid % 10:02d}:{mid % 60:02d}:{mid // 60 % 60:02d}+08:00"


def push_rate(visits: int, spread: str) -> float:
    """Visit creates settled per second of this process's CPU time."""
    folder = Path(tempfile.mkdtemp(prefix="fieldgoal-evidence-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    settings = Settings(database_url=url, data_dir=folder / "data", secret_key="s" * 32)
    with Session(engine, expire_on_commit=False) as session:
        ensure_state(session)
        org = build_org(session)
        session.commit()
        rep = actor_for(org.users["rep1"], org.units["team1"])
    client_id = f"bench-{uuid.uuid4()}"

    def push(mutations: list[dict[str, Any]]) -> None:
        with Session(engine) as session:
            session.info[SESSION_KEY] = settings
            body = {"protocol": 1, "client_id": client_id, "mutations": mutations, "limit": 1}
            results, _ = settle(session, rep, read_envelope(body, settings), settings, NOW)
            session.commit()
        assert all(r["status"] == "applied" for r in results), results[:2]

    customer_id = str(uuid.uuid4())
    push([{"mid": 1, "entity": "customer", "op": "create", "id": customer_id, "fields": {"name": "客户"}}])
    mid, spent = 2, 0.0
    for batch in range(visits // BATCH):
        mutations = []
        for _ in range(BATCH):
            fields = {
                "customer_id": customer_id,
                "check_in_at": _check_in_at(spread, batch, mid),
                "lat": 31.23,
                "lon": 121.47,
                "accuracy_m": 10,
                "outcome": "follow_up",
                "satisfaction": 4,
                "notes": f"拜访记录 {mid}",
            }
            mutations.append(
                {"mid": mid, "entity": "visit", "op": "create", "id": str(uuid.uuid4()), "fields": fields}
            )
            mid += 1
        start = time.process_time()
        push(mutations)
        spent += time.process_time() - start
    engine.dispose()
    return visits / spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--visits", type=int, default=10_000)
    args = parser.parse_args()
    variants: dict[str, Callable[[], Any]] = {"flags": nullcontext, "no flags": flags_off}
    for spread in ("month", "day"):
        rates: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, context in variants.items():
                with context():
                    rates[name].append(push_rate(args.visits, spread))
        ratio = statistics.median(a / b for a, b in zip(rates["flags"], rates["no flags"], strict=True))
        print(
            f"spread {spread}: push with flags {statistics.median(rates['flags']):,.0f}/s of CPU, "
            f"without {statistics.median(rates['no flags']):,.0f}/s; ratio {ratio:.2f} "
            f"(runs: {[round(r) for r in rates['flags']]} / {[round(r) for r in rates['no flags']]})",
            flush=True,
        )


if __name__ == "__main__":
    main()
