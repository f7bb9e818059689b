"""The public leaderboard keeps reps on an improvement plan out of the ranks; their leads still see them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from backend.coaching.models import ImprovementPlan
from tests.kpi.helpers import actor, customer, deal, goal

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_a_rep_on_an_improvement_plan_is_out_of_public_ranks(org, engine, sign_in):
    with Session(engine, expire_on_commit=False) as session:
        lead = actor(session, org.user("lead1"))
        for name, won in (("rep1", "10000"), ("rep2", "5000")):
            rep = actor(session, org.user(name))
            goal(session, lead, ("user", rep.id), "revenue", "2026-11", "20000", NOW)
            deal(session, rep, customer(session, rep, NOW), won, "won", "2026-11-10T10:00:00+08:00", NOW)
        session.add(
            ImprovementPlan(
                rep_id=org.user("rep1"),
                opened_by=lead.id,
                starts_on=date(2026, 11, 1),
                ends_on=date(2026, 12, 31),
            )
        )
        session.commit()
    params = {"unit_id": org.unit("team1"), "period": "2026-11"}

    def board(email: str) -> list[tuple[str, int | None]]:
        response = sign_in(email).get("/api/v1/leaderboard", params=params)
        assert response.status_code == 200, response.text
        return [(row["name"], row["rank"]) for row in response.json()]

    assert board("rep2@example.com") == [("Rep2", 1)]
    assert board("rep1@example.com") == [("Rep1", None), ("Rep2", 1)]
    assert board("lead1@example.com") == [("Rep1", 1), ("Rep2", 2)]
