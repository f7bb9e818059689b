"""How fast each report answers on the KPI benchmark's dataset: `python -m bench.report_bench`.

Builds the data with `bench.kpi_bench.Seeder` (500 reps in 50 teams under 5 regions, 2,000,000 approved
visits by default, every rep and unit with the five goals for 2026-11) and times each report for the whole
company as the admin sees it, as the median and p95 of repeated runs, through the service and its renderers
(JSON shape, CSV, SVG). The budget is 300 ms a report.

The seeded customers carry no city or coordinates, so the regional plot has nothing to draw here.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from backend.db import make_engine
from backend.models import metadata
from backend.org.models import Unit, User
from backend.policy import actor_for
from backend.reports import charts, export, service
from bench.kpi_bench import NOW, Seeder, timed

BUDGET_MS = 300.0


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

        reports: dict[str, Callable[[], service.Report]] = {
            "trend_company_6_months": lambda: service.trend(
                session, actor, NOW, "unit", company.id, "2026-11", 6, None
            ),
            "comparison_500_reps": lambda: service.comparison(session, actor, NOW, company.id, "2026-11", "rep"),
            "comparison_teams_of_a_region": lambda: service.comparison(
                session, actor, NOW, region.id, "2026-11", "team"
            ),
            "regions_company": lambda: service.regions(session, actor, NOW, company.id, "2026-11"),
            "funnel_company": lambda: service.funnel(session, actor, NOW, "unit", company.id, "2026-11"),
            "evidence_company_month": lambda: service.evidence(session, actor, NOW, "unit", company.id, "2026-11"),
        }
        figures = {name: timed(run(build), runs) for name, build in reports.items()}
    return {
        "reports": figures,
        "all_within_budget": all(f["p95_ms"] <= BUDGET_MS for f in figures.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", help="an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='fieldgoal-report-')) / 'report.db'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    seeder = Seeder(engine, args.seed)
    seeder.org()
    seconds = seeder.history(args.visits)
    report = {
        "database": engine.dialect.name,
        "reps": len(seeder.reps),
        "visits": seeder.visits,
        "seed_seconds": round(seconds, 1),
        **measure(engine, args.runs),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    engine.dispose()


if __name__ == "__main__":
    main()
