"""The reports' shared data: November's work for two teams, with goals for one rep and one team."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from backend.goals.models import METRICS
from tests.conftest import Clock
from tests.kpi.helpers import actor, customer, deal, goal, visit


@pytest.fixture
def work(org: Any, engine: Any, clock: Clock) -> Any:
    """November 2026 for team1 (rep1, rep2) and team2 (rep3): visits, deals and goals for rep1 and team1."""
    now = clock.now
    with Session(engine, expire_on_commit=False) as session:
        boss, lead1, lead2 = (actor(session, org.user(k)) for k in ("boss", "lead1", "lead2"))
        rep1, rep2, rep3 = (actor(session, org.user(k)) for k in ("rep1", "rep2", "rep3"))
        c1, c2 = customer(session, rep1, now, "上海五金"), customer(session, rep2, now, "杭州机电")
        c3 = customer(session, rep3, now)
        for day, score in (("03", 4), ("04", 5), ("10", 3)):
            visit(session, rep1, lead1, c1, f"2026-11-{day}T02:00:00+00:00", score, now)
        visit(session, rep1, lead1, c1, "2026-10-15T02:00:00+00:00", 5, now)
        visit(session, rep2, lead1, c2, "2026-11-05T02:00:00+00:00", 2, now)
        visit(session, rep3, lead2, c3, "2026-11-05T02:00:00+00:00", 4, now)
        deal(session, rep1, c1, "12000.50", "won", "2026-11-06T03:00:00+00:00", now, "价格")
        deal(session, rep1, c1, "5000", "lost", "2026-11-07T03:00:00+00:00", now, "竞品")
        deal(session, rep2, c2, "8000", "won", "2026-10-20T03:00:00+00:00", now)
        for metric, target in zip(METRICS, ("50000", "20", "0.5", "4.5", "2"), strict=True):
            goal(session, boss, ("user", org.user("rep1")), metric, "2026-11", target, now)
            goal(session, boss, ("unit", org.unit("team1")), metric, "2026-11", target, now)
        session.commit()
    return org
