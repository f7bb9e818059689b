"""How fast progress is, and that it stays flat as history grows: `python -m bench.kpi_bench`.

Seeds a fresh SQLite file (or the empty database named by --url) with 500 reps in 50 teams under 5 regions,
50 customers each, 4 approved visits per rep per working day (Asia/Shanghai calendar) and a closed deal
every fifth working day, going back from 19 November 2026 until there are 200,000 visits; measures; then
extends the same history further back to 2,000,000 visits and measures again. Every rep and unit has the
five goals for 2026-11 (and a revenue goal for the year 2026).

The per-day rows (`kpi_daily`) are written with the raw rows, as the services' hooks keep them; a check
at the end recounts a sample of reps from the raw rows (`rebuild_activity`) and compares. Measured, each
as the median (and p95) of repeated runs, beside a plain GROUP BY over the raw rows in the same run:
- one rep's progress: the five figures for 2026-11 (`kpi.service.compute`);
- the whole company tree: every unit's and every rep's five figures for 2026-11;
- the company's year 2026 (the longest period: more per-day rows per rep);
- one approval through the real service, hooks included (recount the day, rewrite the rep's and the
  units' progress records).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.db import make_engine
from backend.goals.models import METRICS, Goal
from backend.kpi import service as kpi
from backend.kpi.models import DailyActivity
from backend.kpi.workdays import WorkCalendar
from backend.models import metadata
from backend.org.models import Unit, User
from backend.periods import parse_period
from backend.policy import actor_for
from backend.sync.changelog import ensure_state
from backend.visits.models import Visit
from backend.visits.service import review

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 20 November 2026, 10:00 in Shanghai
LAST_DAY = date(2026, 11, 19)
OFFSET = timedelta(hours=8)  # Shanghai has no daylight saving: local wall-clock minus 8 hours is UTC
REGIONS, TEAMS_PER_REGION, REPS_PER_TEAM = 5, 10, 10
CUSTOMERS_PER_REP = 50
VISITS_PER_DAY = 4
TARGETS = {"revenue": "300000", "visits": "80", "conversion": "0.4", "satisfaction": "4.2", "new_customers": "3"}


def _sqlite_time(moment: datetime) -> str:
    # How SQLAlchemy's SQLite DateTime stores a naive UTC instant (see db.UTCDateTime).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class Seeder:
    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.calendar = WorkCalendar()
        self.reps: list[str] = []
        self.customers: dict[str, list[str]] = {}
        self.day = LAST_DAY
        self.visits = 0

    def org(self) -> None:
        created = _sqlite_time(NOW)
        with Session(self.engine) as session:
            ensure_state(session)
            company = Unit(name="远航工业", kind="company", path="")
            company.path = f"/{company.id}/"
            session.add(company)
            admin = User(email="admin@bench", name="admin", role="admin", unit_id=company.id, password_hash="x")
            session.add(admin)
            for r in range(REGIONS):
                region = Unit(name=f"region{r}", kind="region", parent_id=company.id, path="")
                region.path = f"{company.path}{region.id}/"
                session.add(region)
                for t in range(TEAMS_PER_REGION):
                    team = Unit(name=f"team{r}-{t}", kind="team", parent_id=region.id, path="")
                    team.path = f"{region.path}{team.id}/"
                    session.add(team)
                    session.add(
                        User(
                            email=f"lead{r}-{t}@bench",
                            name=f"lead{r}-{t}",
                            role="lead",
                            unit_id=team.id,
                            password_hash="x",
                        )
                    )
                    for n in range(REPS_PER_TEAM):
                        rep = User(
                            email=f"rep{r}-{t}-{n}@bench",
                            name=f"rep{r}-{t}-{n}",
                            role="rep",
                            unit_id=team.id,
                            password_hash="x",
                        )
                        session.add(rep)
                        self.reps.append(rep.id)
            session.flush()
            goals = []
            subjects = [("unit", u.id) for u in session.scalars(select(Unit))] + [("user", r) for r in self.reps]
            for subject_type, subject_id in subjects:
                for metric in METRICS:
                    goals.append(
                        Goal(
                            subject_type=subject_type,
                            subject_id=subject_id,
                            metric=metric,
                            period="2026-11",
                            target=Decimal(TARGETS[metric]),
                            created_by=admin.id,
                        )
                    )
                goals.append(
                    Goal(
                        subject_type=subject_type,
                        subject_id=subject_id,
                        metric="revenue",
                        period="2026",
                        target=Decimal("3600000"),
                        created_by=admin.id,
                    )
                )
            session.add_all(goals)
            session.commit()
        with self.engine.begin() as connection:
            rows = []
            for rep in self.reps:
                ids = [str(uuid.uuid4()) for _ in range(CUSTOMERS_PER_REP)]
                self.customers[rep] = ids
                for customer_id in ids:
                    rows.append((customer_id, "客户", rep, "prospect", 1, "{}", created, created))
            connection.exec_driver_sql(
                "INSERT INTO customer (id, name, owner_id, status, version, field_versions, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                rows,
            )

    def history(self, until_visits: int) -> float:
        """Write visits, deals and their per-day rows day by day backwards until there are `until_visits`."""
        started = time.perf_counter()
        with self.engine.begin() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            while self.visits < until_visits:
                day = self.day
                self.day -= timedelta(days=1)
                if not self.calendar.is_working_day(day):
                    continue
                visits, deals, daily = [], [], []
                for rep in self.reps:
                    sat_sum = sat_count = 0
                    for n in range(VISITS_PER_DAY):
                        local = datetime(day.year, day.month, day.day, 9 + 2 * n, self.rng.randrange(60))
                        at = _sqlite_time((local - OFFSET).replace(tzinfo=UTC))
                        score = self.rng.choice((None, 3, 4, 4, 5, 5))
                        if score is not None:
                            sat_sum, sat_count = sat_sum + score, sat_count + 1
                        customer = self.rng.choice(self.customers[rep])
                        visits.append(
                            (str(uuid.uuid4()), rep, customer, at, 480, "approved", score, at, 1, "{}", at, at)
                        )
                    won_cents = won = lost = 0
                    if self.rng.random() < 0.2:
                        local = datetime(day.year, day.month, day.day, 16, 0)
                        at = _sqlite_time((local - OFFSET).replace(tzinfo=UTC))
                        stage = "won" if self.rng.random() < 0.4 else "lost"
                        cents = self.rng.randrange(1_000_000, 10_000_000)
                        if stage == "won":
                            won_cents, won = cents, 1
                        else:
                            lost = 1
                        customer = self.rng.choice(self.customers[rep])
                        deals.append((str(uuid.uuid4()), customer, rep, cents, stage, at, at, 1, "{}", at, at))
                    daily.append((rep, day.isoformat(), VISITS_PER_DAY, sat_sum, sat_count, won_cents, won, lost))
                raw.executemany(
                    "INSERT INTO visit (id, rep_id, customer_id, check_in_at, check_in_offset_min, status, satisfaction,"
                    " received_at, version, field_versions, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    visits,
                )
                raw.executemany(
                    "INSERT INTO opportunity (id, customer_id, owner_id, amount, stage, stage_changed_at, closed_at,"
                    " version, field_versions, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    deals,
                )
                raw.executemany(
                    "INSERT INTO kpi_daily (rep_id, day, visits, satisfaction_sum, satisfaction_count, won_amount,"
                    " won_count, lost_count) VALUES (?,?,?,?,?,?,?,?)",
                    daily,
                )
                self.visits += len(visits)
            # First wins: each customer's earliest won deal, as opportunities.service keeps it.
            connection.exec_driver_sql(
                "UPDATE customer SET status = 'active', first_won_on = (SELECT date(min(o.closed_at), '+8 hours') FROM"
                " opportunity o WHERE o.customer_id = customer.id AND o.stage = 'won')"
                " WHERE EXISTS (SELECT 1 FROM opportunity o WHERE o.customer_id = customer.id AND o.stage = 'won')"
            )
        with self.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
        return time.perf_counter() - started


def timed(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    fn()  # warm: statement caches, the calendar cache, SQLite's page cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
    }


RAW_VISITS = (
    "SELECT {by} count(*), sum(satisfaction), count(satisfaction) FROM visit WHERE status = 'approved'"
    " AND deleted_at IS NULL AND check_in_at >= :start AND check_in_at < :end {rep} {group}"
)
RAW_DEALS = (
    "SELECT {by} stage, count(*), sum(amount) FROM opportunity WHERE stage IN ('won', 'lost') AND deleted_at IS NULL"
    " AND closed_at >= :start AND closed_at < :end {rep} GROUP BY {group_by} stage"
)
RAW_NEW = (
    "SELECT {by} count(*) FROM customer WHERE first_won_on >= :first AND first_won_on < :last"
    " AND deleted_at IS NULL {rep} {group}"
)


def raw_group_by(session: Session, period_key: str, rep_id: str | None) -> None:
    """The same sums straight from the raw rows: what the per-day rows spare every reader."""
    period = parse_period(period_key)
    start, end = (datetime.combine(d, datetime.min.time()) - OFFSET for d in (period.start, period.end))
    params: dict[str, Any] = {
        "start": _sqlite_time(start.replace(tzinfo=UTC)),
        "end": _sqlite_time(end.replace(tzinfo=UTC)),
    }
    params |= {"first": period.start.isoformat(), "last": period.end.isoformat(), "rep": rep_id}
    if rep_id:
        shapes = {"by": "", "group": "", "group_by": ""}
        visits, deals, new = (
            q.format(rep=f"AND {c} = :rep", **shapes)
            for q, c in ((RAW_VISITS, "rep_id"), (RAW_DEALS, "owner_id"), (RAW_NEW, "owner_id"))
        )
    else:
        visits = RAW_VISITS.format(by="rep_id,", rep="", group="GROUP BY rep_id")
        deals = RAW_DEALS.format(by="owner_id,", rep="", group_by="owner_id,")
        new = RAW_NEW.format(by="owner_id,", rep="", group="GROUP BY owner_id")
    for statement in (visits, deals, new):
        session.execute(text(statement), params).all()


def measure(engine: Engine, seeder: Seeder, runs: int) -> dict[str, Any]:
    with Session(engine, expire_on_commit=False) as session:
        rep = seeder.reps[123]
        rep_goals = list(session.scalars(select(Goal).where(Goal.subject_id == rep, Goal.period == "2026-11")))
        month_goals = list(session.scalars(select(Goal).where(Goal.period == "2026-11")))
        company = session.scalars(select(Unit).where(col(Unit.parent_id).is_(None))).one()
        year_goals = list(
            session.scalars(select(Goal).where(Goal.subject_id == company.id, Goal.period == "2026"))
        )
        figures = kpi.compute(session, rep_goals, NOW)
        assert len(figures) == 5 and len(kpi.compute(session, month_goals, NOW)) == len(month_goals)
        result = {
            "visits": session.execute(text("SELECT count(*) FROM visit")).scalar_one(),
            "kpi_daily_rows": session.execute(text("SELECT count(*) FROM kpi_daily")).scalar_one(),
            "history_from": (seeder.day + timedelta(days=1)).isoformat(),
            "one_rep_month": timed(lambda: kpi.compute(session, rep_goals, NOW), runs),
            "one_rep_month_raw_group_by": timed(lambda: raw_group_by(session, "2026-11", rep), runs),
            "company_tree_month": timed(lambda: kpi.compute(session, month_goals, NOW), max(3, runs // 10)),
            "company_tree_month_goals": len(month_goals),
            "company_tree_month_raw_group_by": timed(
                lambda: raw_group_by(session, "2026-11", None), max(3, runs // 10)
            ),
            "company_year": timed(lambda: kpi.compute(session, year_goals, NOW), max(3, runs // 10)),
            "company_year_raw_group_by": timed(lambda: raw_group_by(session, "2026", None), max(3, runs // 10)),
        }
        session.rollback()
    result["approve_one_visit_with_hooks"] = approve_one(engine, seeder)
    return result


def approve_one(engine: Engine, seeder: Seeder) -> dict[str, float]:
    """One lead approval through visits.service.review: the day recounted, 1 rep's and 3 units' records rewritten."""
    samples = []
    for n in range(10):
        with Session(engine, expire_on_commit=False) as session:
            rep = session.get(User, seeder.reps[n * 37])
            assert rep is not None
            lead = session.scalars(select(User).where(User.unit_id == rep.unit_id, User.role == "lead")).one()
            unit = session.get(Unit, lead.unit_id)
            assert unit is not None
            moment = NOW - timedelta(hours=3)
            visit = Visit(
                rep_id=rep.id,
                customer_id=seeder.customers[rep.id][0],
                check_in_at=moment,
                status="submitted",
                satisfaction=5,
            )
            session.add(visit)
            session.flush()
            started = time.perf_counter()
            review(session, actor_for(lead, unit), visit, True, None, None, NOW)
            session.flush()
            samples.append((time.perf_counter() - started) * 1000)
            session.rollback()
    return {"median_ms": round(statistics.median(samples), 2), "max_ms": round(max(samples), 2)}


def check_daily_rows(engine: Engine, seeder: Seeder) -> bool:
    """The per-day rows written with the data equal a recount from the raw rows, for a sample of reps."""
    sample = seeder.reps[::50]
    with Session(engine) as session:

        def rows() -> set[tuple[Any, ...]]:
            return {
                (
                    d.rep_id,
                    d.day,
                    d.visits,
                    d.satisfaction_sum,
                    d.satisfaction_count,
                    d.won_amount,
                    d.won_count,
                    d.lost_count,
                )
                for d in session.scalars(select(DailyActivity).where(col(DailyActivity.rep_id).in_(sample)))
            }

        written = rows()
        kpi.rebuild_activity(session, sample)
        recounted = rows()
        session.rollback()
    return written == recounted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200000,2000000", help="visit counts to measure at, ascending")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", help="an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='fieldgoal-kpi-')) / 'kpi.db'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    seeder = Seeder(engine, args.seed)
    seeder.org()
    report: dict[str, Any] = {
        "database": engine.dialect.name,
        "reps": len(seeder.reps),
        "now": NOW.isoformat(),
        "sizes": [],
    }
    for size in (int(s) for s in args.sizes.split(",")):
        seconds = seeder.history(size)
        figures = measure(engine, seeder, args.runs)
        figures["seed_seconds"] = round(seconds, 1)
        report["sizes"].append(figures)
        print(json.dumps(figures, ensure_ascii=False), flush=True)
    report["daily_rows_match_a_recount"] = check_daily_rows(engine, seeder)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    engine.dispose()


if __name__ == "__main__":
    main()
