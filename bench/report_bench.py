"""How fast each report answers on the KPI benchmark's dataset: `python -m bench.report_bench`.

Builds the data with `bench.kpi_bench.Seeder` (500 reps in 50 teams under 5 regions, 2,000,000 approved
visits by default, every rep and unit with the five goals for 2026-11) and times each report for the whole
company as the admin sees it, as the median and p95 of repeated runs, through the service and its renderers
(JSON shape, CSV, SVG), beside the raw database doing comparable work in the same run (plain aggregates over
the raw rows for the same figures). The budget is 300 ms a report (median).

The KPI seeder writes closed deals only, without history or cities; `build` adds what the reports read
beyond it: each deal's stage history (lead, then a stage every ten days, closing on its `closed_at`), a close
reason, and a city per customer (no coordinates, so the regional plot has nothing to draw). `--cache FILE`
keeps the built SQLite file: building 2,000,000 visits takes minutes, measuring seconds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from sqlmodel import select

from backend.db import make_engine
from backend.models import metadata
from backend.org.models import Unit, User
from backend.periods import parse_period
from backend.policy import actor_for
from backend.reports import charts, export, service
from bench.kpi_bench import NOW, OFFSET, Seeder, _sqlite_time, raw_group_by, timed

BUDGET_MS = 300.0


# The raw database doing comparable work: plain aggregates over the raw rows for the same figures, no
# per-day rows, no goals, no shaping. Bounds are Shanghai midnights in UTC, as the seeded rows are.
RAW_FUNNEL = (
    "SELECT stage, count(*), sum(amount) FROM opportunity WHERE deleted_at IS NULL GROUP BY stage",
    "SELECT stage, close_reason, count(*), sum(amount) FROM opportunity WHERE stage IN ('won', 'lost')"
    " AND closed_at >= :start AND closed_at < :end GROUP BY stage, close_reason",
    "SELECT h.opportunity_id, h.to_stage, h.at FROM opportunity_stage_change h WHERE h.opportunity_id IN"
    " (SELECT opportunity_id FROM opportunity_stage_change WHERE at >= :start AND at < :end)"
    " ORDER BY h.opportunity_id, h.version",
)
RAW_REGIONS = (
    "SELECT r.id, c.city, count(*), sum(o.amount) FROM opportunity o JOIN customer c ON c.id = o.customer_id"
    " JOIN user u ON u.id = o.owner_id JOIN unit t ON t.id = u.unit_id JOIN unit r ON t.path LIKE r.path || '%'"
    " AND r.kind = 'region' WHERE o.stage = 'won' AND o.closed_at >= :start AND o.closed_at < :end"
    " GROUP BY r.id, c.city",
    "SELECT city, count(*) FROM customer WHERE deleted_at IS NULL GROUP BY city",
)
RAW_EVIDENCE = (
    "SELECT rep_id, count(*), avg(distance_m), avg(accuracy_m),"
    " avg((julianday(check_out_at) - julianday(check_in_at)) * 1440) FROM visit WHERE status != 'draft'"
    " AND deleted_at IS NULL AND check_in_at >= :start AND check_in_at < :end GROUP BY rep_id",
)


def raw(session: Session, statements: tuple[str, ...], period_key: str) -> Callable[[], None]:
    period = parse_period(period_key)
    start, end = (datetime.combine(d, datetime.min.time()) - OFFSET for d in (period.start, period.end))
    params = {"start": _sqlite_time(start.replace(tzinfo=UTC)), "end": _sqlite_time(end.replace(tzinfo=UTC))}

    def once() -> None:
        for statement in statements:
            session.execute(text(statement), params).all()

    return once


def months_back(last: str, count: int) -> list[str]:
    keys = [parse_period(last)]
    while len(keys) < count:
        keys.insert(0, keys[0].previous())
    return [k.key for k in keys]


def measure(engine: Engine, runs: int) -> dict[str, Any]:
    with Session(engine) as session:
        admin = session.scalars(select(User).where(User.email == "admin@bench")).one()
        company = session.get(Unit, admin.unit_id)
        assert company is not None
        region = session.scalars(select(Unit).where(Unit.kind == "region").order_by(Unit.name)).first()
        assert region is not None
        actor = actor_for(admin, company)

        def run(build: Callable[[], service.Report]) -> Callable[[], None]:
            def once() -> None:
                report = build()
                report.public()
                export.to_csv(report.table(None))
                charts.render(report)

            return once

        def group_by(periods: list[str]) -> Callable[[], None]:
            return lambda: [raw_group_by(session, key, None) for key in periods]

        # Each report, and the raw database doing comparable work: the KPI sums straight from the raw rows
        # (what the per-day rows spare every reader) or the report's own aggregates, unshaped.
        reports: dict[str, tuple[Callable[[], service.Report], Callable[[], Any]]] = {
            "trend_company_6_months": (
                lambda: service.trend(session, actor, NOW, "unit", company.id, "2026-11", 6, None),
                group_by(months_back("2026-11", 6)),
            ),
            "comparison_500_reps": (
                lambda: service.comparison(session, actor, NOW, company.id, "2026-11", "rep"),
                group_by(["2026-11"]),
            ),
            "comparison_teams_of_a_region": (
                lambda: service.comparison(session, actor, NOW, region.id, "2026-11", "team"),
                group_by(["2026-11"]),
            ),
            "regions_company": (
                lambda: service.regions(session, actor, NOW, company.id, "2026-11"),
                raw(session, RAW_REGIONS, "2026-11"),
            ),
            "funnel_company": (
                lambda: service.funnel(session, actor, NOW, "unit", company.id, "2026-11"),
                raw(session, RAW_FUNNEL, "2026-11"),
            ),
            "evidence_company_month": (
                lambda: service.evidence(session, actor, NOW, "unit", company.id, "2026-11"),
                raw(session, RAW_EVIDENCE, "2026-11"),
            ),
        }
        figures = {}
        for name, (build, comparable) in reports.items():
            figures[name] = {**timed(run(build), runs), "raw_db": timed(comparable, runs)}
            print(name, json.dumps(figures[name]), flush=True)
    return {
        "reports": figures,
        "all_within_budget": all(f["median_ms"] <= BUDGET_MS for f in figures.values()),
    }


CITIES = ("上海", "北京", "广州", "深圳", "杭州", "成都", "武汉", "南京")
WON_REASONS = ("价格", "关系", "产品", "服务")
LOST_REASONS = ("价格", "竞品", "预算", "时机", "无回应")
# Each deal entered `lead` 40 days before it closed and moved one stage on every ten days.
HISTORY = (
    "INSERT INTO opportunity_stage_change"
    " (id, opportunity_id, from_stage, to_stage, version, at, recorded_at, by_id)"
    " SELECT lower(hex(randomblob(16))), id, {before}, {after}, {version}, datetime(closed_at, '-{days} days'),"
    " datetime(closed_at, '-{days} days'), owner_id FROM opportunity"
)
STEPS = (("NULL", "'lead'", 40), ("'lead'", "'qualified'", 30), ("'qualified'", "'proposal'", 20))
STEPS += (("'proposal'", "'negotiation'", 10), ("'negotiation'", "stage", 0))


def build(engine: Engine, visits: int, seed: int) -> Seeder:
    """The KPI benchmark's company and history, plus the stage history, reasons and cities reports read."""
    metadata.create_all(engine)
    seeder = Seeder(engine, seed)
    seeder.org()
    seeder.history(visits)
    with engine.begin() as connection:
        for version, (before, after, days) in enumerate(STEPS, 1):
            connection.exec_driver_sql(HISTORY.format(before=before, after=after, days=days, version=version))
        for stage, reasons in (("won", WON_REASONS), ("lost", LOST_REASONS)):
            choice = " ".join(f"WHEN {n} THEN '{r}'" for n, r in enumerate(reasons))
            connection.exec_driver_sql(
                f"UPDATE opportunity SET close_reason = CASE abs(random()) % {len(reasons)} {choice} END"
                f" WHERE stage = '{stage}'"
            )
        choice = " ".join(f"WHEN {n} THEN '{c}'" for n, c in enumerate(CITIES))
        connection.exec_driver_sql(f"UPDATE customer SET city = CASE abs(random()) % {len(CITIES)} {choice} END")
        connection.exec_driver_sql("ANALYZE")
    return seeder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, help="a SQLite file: built there if missing, reused if present")
    args = parser.parse_args()
    path = args.cache or Path(tempfile.mkdtemp(prefix="fieldgoal-report-")) / "report.db"
    engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    if not (args.cache and args.cache.exists() and args.cache.stat().st_size):
        build(engine, args.visits, args.seed)
    with engine.connect() as connection:
        counts = {
            table: connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
            for table in ("user", "visit", "opportunity", "opportunity_stage_change", "goal")
        }
    report = {
        "database": engine.dialect.name,
        "rows": counts,
        "build_seconds": round(time.perf_counter() - started, 1),
        **measure(engine, args.runs),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    engine.dispose()


if __name__ == "__main__":
    main()
