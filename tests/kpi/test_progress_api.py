"""Progress and the leaderboard over HTTP and through sync: who may see what, and figures that stay true."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.kpi.models import DailyActivity, Progress
from backend.kpi.service import progress_id, rebuild_activity, refresh_daily
from backend.org.service import update_user
from tests.kpi.helpers import actor, customer, deal, goal, visit
from tests.sync.helpers import Phone

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _progress(api: Any, **params: str) -> Any:
    return api.get("/api/v1/progress", params=params)


def test_another_teams_progress_answers_404_like_a_missing_subject(org, sign_in, engine):
    with Session(engine, expire_on_commit=False) as session:
        lead2 = actor(session, org.user("lead2"))
        goal(session, lead2, ("user", org.user("rep3")), "visits", "2026-11", "40", NOW)
        goal(session, lead2, ("unit", org.unit("team2")), "visits", "2026-11", "80", NOW)
        session.commit()
    lead1, rep1 = sign_in("lead1@example.com"), sign_in("rep1@example.com")
    missing = str(uuid.uuid4())
    for api in (lead1, rep1):
        for subject_type, subject_id in [
            ("user", org.user("rep3")),
            ("unit", org.unit("team2")),
            ("user", missing),
        ]:
            response = _progress(api, subject_type=subject_type, subject_id=subject_id, period="2026-11")
            assert (response.status_code, response.json()["code"]) == (404, "not_found")
    # A rep does not read a teammate's progress either; their manager and the team's own lead do.
    assert _progress(rep1, subject_type="user", subject_id=org.user("rep2")).status_code == 404
    assert (
        _progress(sign_in("lead2@example.com"), subject_type="user", subject_id=org.user("rep3")).status_code
        == 200
    )
    east = sign_in("eastmgr@example.com")
    assert len(_progress(east, subject_type="unit", subject_id=org.unit("team2"), period="2026-11").json()) == 1
    # Everyone reads the units above them.
    assert (
        _progress(sign_in("rep3@example.com"), subject_type="unit", subject_id=org.unit("team2")).status_code
        == 200
    )
    bad = _progress(lead1, subject_type="team", period="2026-13")
    assert {e["field"] for e in bad.json()["errors"]} == {"subject_type", "period"}


def test_a_rep_sees_the_new_figure_at_the_next_sync_after_the_lead_approves(org, sign_in):
    lead_api = sign_in("lead1@example.com")
    created = lead_api.post(
        "/api/v1/goals",
        json={
            "subject_type": "user",
            "subject_id": org.user("rep1"),
            "metric": "visits",
            "period": "2026-11",
            "target": 40,
        },
    )
    assert created.status_code == 201
    team_goal = {
        "subject_type": "unit",
        "subject_id": org.unit("team1"),
        "metric": "visits",
        "period": "2026-11",
        "target": 90,
    }
    assert lead_api.post("/api/v1/goals", json=team_goal).status_code == 201
    rep, lead = Phone(sign_in("rep1@example.com")), Phone(lead_api)
    record_id = progress_id("user", org.user("rep1"), "visits", "2026-11")
    rep.sync()
    assert rep.of("progress")[record_id]["actual"] == "0"
    customer_id, visit_id = str(uuid.uuid4()), str(uuid.uuid4())
    rep.queue_mutation("customer", "create", customer_id, fields={"name": "华东五金"})
    rep.queue_mutation(
        "visit",
        "create",
        visit_id,
        fields={"customer_id": customer_id, "check_in_at": "2026-11-19T10:00:00+08:00", "satisfaction": 5},
    )
    rep.queue_mutation("visit", "action", visit_id, name="submit", args={})
    rep.sync()
    assert rep.of("progress")[record_id]["actual"] == "0"  # submitted is not approved
    lead.sync()
    lead.queue_mutation(
        "visit", "action", visit_id, name="approve", base_version=lead.versions[("visit", visit_id)], args={}
    )
    assert lead.send()["results"][0]["status"] == "applied"
    rep.sync()
    progress = rep.of("progress")[record_id]
    assert (progress["actual"], progress["metric"], progress["period"]) == ("1", "visits", "2026-11")
    assert progress["version"] == 2
    assert rep.of("progress")[progress_id("unit", org.unit("team1"), "visits", "2026-11")]["actual"] == "1"
    # The team's record reaches the rep too (they see the units above them); another team's rep sees neither.
    rep3 = Phone(sign_in("rep3@example.com"))
    rep3.sync()
    assert rep3.of("progress") == {}


def test_a_won_deal_then_lost_again_takes_revenue_and_the_new_customer_back(org, engine, sign_in, clock):
    with Session(engine, expire_on_commit=False) as session:
        rep, lead = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        for metric, target in [("revenue", "10000"), ("new_customers", "2"), ("conversion", "0.5")]:
            goal(session, lead, ("user", rep.id), metric, "2026-11", target, NOW)
        buyer = customer(session, rep, NOW)
        deal_id = deal(session, rep, buyer, "4000.00", "won", "2026-11-18T10:00:00+08:00", NOW)
        session.commit()
    api = sign_in("rep1@example.com")
    figures = {p["metric"]: p["actual"] for p in _progress(api).json()}
    assert figures == {"revenue": "4000.00", "conversion": "1.0000", "new_customers": "1"}
    with Session(engine, expire_on_commit=False) as session:
        from backend.opportunities.models import Opportunity
        from backend.opportunities.service import advance

        opportunity = session.get(Opportunity, deal_id)
        assert opportunity is not None
        advance(
            session,
            actor(session, org.user("rep1")),
            opportunity,
            "lost",
            datetime(2026, 11, 19, 2, tzinfo=UTC),
            NOW,
        )
        session.commit()
        stored = {
            p.metric: p.actual
            for p in session.scalars(select(Progress).where(Progress.subject_id == org.user("rep1")))
        }
    assert {p["metric"]: p["actual"] for p in _progress(api).json()} == {
        "revenue": "0.00",
        "conversion": "0.0000",
        "new_customers": "0",
    }
    assert stored == {"revenue": 0, "conversion": 0, "new_customers": 0}


def test_an_accepted_amendment_moves_the_visit_to_its_new_day(org, engine):
    from backend.visits.models import Amendment
    from backend.visits.service import decide_amendment, propose_amendment

    with Session(engine, expire_on_commit=False) as session:
        rep, lead = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        goal(session, lead, ("user", rep.id), "satisfaction", "2026-11", "4", NOW)
        visit_id = visit(session, rep, lead, customer(session, rep, NOW), "2026-10-31T10:00:00+08:00", 2, NOW)
        from backend.visits.models import Visit

        record = session.get(Visit, visit_id)
        assert record is not None
        moved_to = NOW.replace(day=2)  # into the goal's month, from the last day of the month before
        amendment = propose_amendment(session, rep, record, {"check_in_at": moved_to, "satisfaction": 5}, NOW)
        session.flush()
        decide_amendment(session, lead, session.get(Amendment, amendment.id), True, NOW)  # type: ignore[arg-type]
        session.commit()
        days = {(d.day.isoformat(), d.satisfaction_sum) for d in session.scalars(select(DailyActivity))}
        stored = session.get(Progress, progress_id("user", rep.id, "satisfaction", "2026-11"))
    assert days == {(moved_to.date().isoformat(), 5)}
    assert stored is not None and stored.actual == 5


def test_moving_a_rep_to_another_team_moves_their_work_in_the_rollups(org, engine, sign_in):
    with Session(engine, expire_on_commit=False) as session:
        rep, lead, boss = (
            actor(session, org.user("rep1")),
            actor(session, org.user("lead1")),
            actor(session, org.user("boss")),
        )
        goal(session, boss, ("unit", org.unit("team1")), "visits", "2026-11", "10", NOW)
        goal(session, boss, ("unit", org.unit("team3")), "visits", "2026-11", "10", NOW)
        visit(session, rep, lead, customer(session, rep, NOW), "2026-11-05T10:00:00+08:00", 4, NOW)
        session.commit()

        def actual(unit: str) -> Any:
            session.expire_all()
            record = session.get(Progress, progress_id("unit", org.unit(unit), "visits", "2026-11"))
            return record.actual if record else None

        assert (actual("team1"), actual("team3")) == (1, 0)
        update_user(session, boss, rep.id, {"unit_id": org.unit("team3")}, NOW, 4000)
        session.commit()
        assert (actual("team1"), actual("team3")) == (0, 1)


def test_refresh_daily_moves_the_calendar_figures_and_is_idempotent(org, engine):
    with Session(engine, expire_on_commit=False) as session:
        lead = actor(session, org.user("lead1"))
        goal(session, lead, ("user", org.user("rep1")), "visits", "2026-11", "42", NOW)
        session.commit()
        record_id = progress_id("user", org.user("rep1"), "visits", "2026-11")
        before = session.get(Progress, record_id)
        assert before is not None
        left, version = before.working_days_left, before.version
        assert refresh_daily(session, NOW) == 0  # nothing moved
        next_monday = datetime(2026, 11, 23, 1, tzinfo=UTC)
        assert refresh_daily(session, next_monday) == 1
        session.commit()
        after = session.get(Progress, record_id)
        assert after is not None
        assert (after.working_days_left, after.version) == (left - 1, version + 1)  # Friday the 20th has passed
        assert refresh_daily(session, next_monday) == 0


def test_rebuilding_the_daily_rows_from_raw_rows_gives_what_the_hooks_kept(org, engine):
    with Session(engine, expire_on_commit=False) as session:
        rep, lead = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        buyer = customer(session, rep, NOW)
        for at, score in [
            ("2026-11-02T09:00:00+08:00", 3),
            ("2026-11-02T23:59:00+08:00", None),
            ("2026-11-03T00:00:00+08:00", 5),
        ]:
            visit(session, rep, lead, buyer, at, score, NOW)
        deal(session, rep, buyer, "100.10", "won", "2026-11-03T08:00:00+08:00", NOW)
        deal(session, rep, buyer, "7.00", "lost", "2026-11-03T08:00:00+08:00", NOW)
        session.commit()

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
                for d in session.scalars(select(DailyActivity))
            }

        kept = rows()
        assert len(kept) == 2
        rebuild_activity(session)
        session.commit()
        assert rows() == kept


def test_the_leaderboard_ranks_by_attainment_of_ones_own_target(org, engine, sign_in, clock):
    with Session(engine, expire_on_commit=False) as session:
        lead = actor(session, org.user("lead1"))
        rep1, rep2 = actor(session, org.user("rep1")), actor(session, org.user("rep2"))
        goal(session, lead, ("user", rep1.id), "visits", "2026-11", "10", NOW)  # 3 of 10: 0.3
        goal(session, lead, ("user", rep2.id), "visits", "2026-11", "4", NOW)  # 2 of 4: 0.5
        goal(session, lead, ("user", lead.id), "visits", "2026-11", "20", NOW)  # 6 of 20: 0.3
        boss = actor(session, org.user("boss"))
        for who, count in [(rep1, 3), (rep2, 2), (lead, 6)]:
            buyer = customer(session, who, NOW)
            reviewer = boss if who is lead else lead
            for n in range(count):
                visit(session, who, reviewer, buyer, f"2026-11-{n + 2:02d}T10:00:00+08:00", 4, NOW)
        session.commit()
    board = sign_in("rep1@example.com").get(
        "/api/v1/leaderboard", params={"metric": "visits", "period": "2026-11"}
    )
    assert board.status_code == 200, board.text
    assert [(r["rank"], r["user_id"], r["attainment"]) for r in board.json()] == [
        (1, org.user("rep2"), 0.5),
        (2, org.user("lead1"), 0.3),
        (2, org.user("rep1"), 0.3),
    ]
    assert [r["is_me"] for r in board.json()] == [False, False, True]
    other = sign_in("rep3@example.com").get("/api/v1/leaderboard", params={"unit_id": org.unit("team1")})
    assert other.status_code == 404


def test_an_admins_calendar_override_changes_working_days_below_it(org, engine, sign_in, clock):
    with Session(engine, expire_on_commit=False) as session:
        goal(
            session, actor(session, org.user("lead1")), ("user", org.user("rep1")), "visits", "2026-11", "42", NOW
        )
        session.commit()
    rep = sign_in("rep1@example.com")
    before = _progress(rep).json()[0]
    admin = sign_in("admin@example.com")
    # East works the Saturday after next (a trade fair) and takes the Monday after it off; team1 inherits both.
    saturday = (NOW.date() + timedelta(days=(5 - NOW.weekday()) % 7 + 7)).isoformat()
    monday = (date.fromisoformat(saturday) + timedelta(days=2)).isoformat()
    changed = admin.patch(f"/api/v1/calendars/{org.unit('east')}", json={"days": {saturday: True, monday: False}})
    assert changed.status_code == 200, changed.text
    team = admin.get(f"/api/v1/calendars/{org.unit('team1')}", params={"year": NOW.year}).json()
    sources = {d["date"]: (d["working"], d["source"]) for d in team["days"]}
    assert sources[saturday] == (True, "inherited") and sources[monday] == (False, "inherited")
    assert sources["2026-10-10"] == (True, "official")  # 调休
    # The total is unchanged (one more, one less), but the Saturday counts as a day left.
    after = _progress(rep).json()[0]
    assert after["working_days_total"] == before["working_days_total"]
    # Team1 takes the Saturday back: one working day fewer for its reps, and the synced record follows.
    assert (
        admin.patch(f"/api/v1/calendars/{org.unit('team1')}", json={"days": {saturday: False}}).status_code == 200
    )
    assert _progress(rep).json()[0]["working_days_total"] == before["working_days_total"] - 1
    with Session(engine) as session:
        record = session.get(Progress, progress_id("user", org.user("rep1"), "visits", "2026-11"))
        assert record is not None and record.working_days_total == before["working_days_total"] - 1
    # Only an admin overrides days: a manager who sees the unit is forbidden, a lead of another team gets 404.
    body = {"days": {"2030-12-01": False}}
    assert sign_in("boss@example.com").patch(f"/api/v1/calendars/{org.unit('east')}", json=body).status_code == 403
    assert (
        sign_in("lead2@example.com").patch(f"/api/v1/calendars/{org.unit('team1')}", json=body).status_code == 404
    )
    bad = admin.patch(
        f"/api/v1/calendars/{org.unit('east')}", json={"days": {"2026-02-30": True, "2030-12-02": 1}}
    )
    assert bad.status_code == 422
    assert {(e["field"], e["code"]) for e in bad.json()["errors"]} == {
        ("days.2026-02-30", "wrong_type"),
        ("days.2030-12-02", "wrong_type"),
    }
