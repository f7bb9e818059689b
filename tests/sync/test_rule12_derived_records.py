"""SYNC.md rule 12: a `progress` record changes in the same transaction as its inputs, for the rep and
every unit above them; the figures that move with the calendar alone are rewritten day by day."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.kpi.service import progress_id, refresh_daily
from tests.kpi.helpers import actor, goal
from tests.sync.conftest import customer_and_visit, new_id
from tests.sync.helpers import rebuilt

MONTH = "2026-11"


def _goals(engine, org, clock) -> None:
    with Session(engine, expire_on_commit=False) as session:
        manager = actor(session, org.user("eastmgr"))
        goal(session, manager, ("user", org.user("rep1")), "visits", MONTH, "20", clock.now)
        goal(session, manager, ("unit", org.unit("team1")), "visits", MONTH, "40", clock.now)
        goal(session, manager, ("unit", org.unit("east")), "visits", MONTH, "80", clock.now)
        goal(session, manager, ("user", org.user("rep1")), "revenue", MONTH, "100000", clock.now)
        session.commit()


def test_an_approval_moves_the_reps_and_every_units_figure_in_its_own_commit(org, phone, engine, clock):
    _goals(engine, org, clock)
    rep, lead = phone("rep1"), phone("lead1")
    _, visit_id = customer_and_visit(rep, submit=True)
    rep.sync()
    lead.sync()
    lead.queue_mutation(
        "visit", "action", visit_id, name="approve", base_version=lead.versions[("visit", visit_id)]
    )
    body = lead.send()
    # The approval's own response already carries the new figures: they committed with it.
    moved = {c["data"]["subject_id"]: c["data"]["actual"] for c in body["changes"] if c["entity"] == "progress"}
    assert moved == {org.user("rep1"): "1", org.unit("team1"): "1", org.unit("east"): "1"}
    rep.sync()
    mine = rep.of("progress")[progress_id("user", org.user("rep1"), "visits", MONTH)]
    assert (mine["actual"], mine["target"], mine["attainment"]) == ("1", "20", 0.05)


def test_a_won_deal_is_revenue_at_the_next_sync(org, phone, engine, clock):
    _goals(engine, org, clock)
    rep = phone("rep1")
    customer_id, _ = customer_and_visit(rep)
    deal = new_id()
    rep.queue_mutation("opportunity", "create", deal, fields={"customer_id": customer_id, "amount": "25000.00"})
    rep.queue_mutation(
        "opportunity", "action", deal, name="advance", args={"stage": "won", "at": "2026-11-19T15:00:00+08:00"}
    )
    rep.sync()
    revenue = rep.of("progress")[progress_id("user", org.user("rep1"), "revenue", MONTH)]
    assert (revenue["actual"], revenue["attainment"]) == ("25000.00", 0.25)


def test_calendar_figures_are_rewritten_day_by_day(org, phone, engine, clock):
    _goals(engine, org, clock)
    rep = phone("rep1")
    rep.sync()
    record = progress_id("user", org.user("rep1"), "visits", MONTH)
    before = rep.of("progress")[record]
    with Session(engine) as session:
        assert refresh_daily(session, clock.now) == 0  # nothing moved yet
        session.commit()
    clock.advance(days=3)  # Friday 20 → Monday 23 November
    with Session(engine) as session:
        assert refresh_daily(session, clock.now) > 0
        session.commit()
    after = rep.send()["changes"]
    figures = rebuilt(next(c for c in after if c["id"] == record))
    assert figures["working_days_left"] < before["working_days_left"]
    assert figures["version"] == before["version"] + 1
    assert figures["actual"] == before["actual"]
