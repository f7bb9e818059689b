"""Improvement plans: suggested after two months under 70 %, exit criteria measured by the KPI engine."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import select

from backend.audit.models import AuditEntry
from backend.coaching.service import notify_plan_suggestions
from backend.notify.models import Notification
from tests.kpi.helpers import actor, customer, deal, goal
from tests.sync.helpers import Phone

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _history(engine, org) -> tuple[str, str]:
    """rep1: 50 % in September, 60 % in October; rep2: 90 %, then 50 %. Returns rep1's customer."""
    with Session(engine, expire_on_commit=False) as session:
        lead = actor(session, org.user("lead1"))
        for rep_key, won in (("rep1", ("5000", "6000")), ("rep2", ("9000", "5000"))):
            rep = actor(session, org.user(rep_key))
            shop = customer(session, rep, NOW)
            for period, amount in zip(("2026-09", "2026-10"), won, strict=True):
                goal(session, lead, ("user", rep.id), "revenue", period, "10000", NOW)
                deal(session, rep, shop, amount, "won", f"{period}-15T15:00:00+08:00", NOW)
            if rep_key == "rep1":
                rep1_shop = shop
        goal(session, lead, ("user", org.user("rep1")), "revenue", "2026-11", "10000", NOW)
        session.commit()
    return rep1_shop, org.user("rep1")


def test_a_plan_is_suggested_after_two_months_under_seventy_percent(org, sign_in, engine):
    _history(engine, org)
    lead = sign_in("lead1@example.com")
    suggested = lead.get("/api/v1/plans/suggestions").json()
    assert suggested == [
        {
            "rep_id": org.user("rep1"),
            "name": "Rep1",
            "metric": "revenue",
            "threshold": 0.7,
            "periods": [{"period": "2026-09", "attainment": 0.5}, {"period": "2026-10", "attainment": 0.6}],
        }
    ]
    # A higher bar catches rep2's October too, but not their September.
    assert [s["rep_id"] for s in lead.get("/api/v1/plans/suggestions", params={"threshold": "0.95"}).json()] == [
        org.user("rep1"),
        org.user("rep2"),
    ]
    assert sign_in("lead2@example.com").get("/api/v1/plans/suggestions").json() == []
    assert sign_in("rep1@example.com").get("/api/v1/plans/suggestions").status_code == 403

    with Session(engine) as session:
        assert notify_plan_suggestions(session, NOW) == 1
        assert notify_plan_suggestions(session, NOW) == 0  # once per rep and month
        session.commit()
        kinds = session.scalars(select(Notification.kind).where(Notification.user_id == org.user("lead1"))).all()
        assert kinds.count("plan_suggested") == 1


def test_exit_criteria_flip_when_the_kpi_does(org, sign_in, engine, clock):
    today = clock.now.date()
    shop, rep1_id = _history(engine, org)
    lead = sign_in("lead1@example.com")
    created = lead.post(
        "/api/v1/plans",
        json={
            "rep_id": rep1_id,
            "goal": "回到 70% 以上",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=41)).isoformat(),
            "exit_criteria": [{"metric": "revenue", "period": "2026-11", "min_attainment": 0.7}],
        },
    )
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["status"] == "open" and plan["trigger"]["periods"][-1] == {"period": "2026-10", "attainment": 0.6}
    assert plan["exit_criteria"] == [
        {"metric": "revenue", "period": "2026-11", "min_attainment": "0.7000", "attainment": 0.0, "met": False}
    ]
    assert plan["exit_criteria_met"] is False
    # One open plan per rep; a rep in a plan is no longer suggested.
    second = {k: plan[k] for k in ("rep_id", "starts_on", "ends_on")}
    second["exit_criteria"] = [{"metric": "visits", "period": "2026-11", "min_attainment": 1}]
    again = lead.post("/api/v1/plans", json=second)
    assert again.json()["errors"][0]["code"] == "plan_open"
    assert lead.get("/api/v1/plans/suggestions").json() == []

    action = lead.post(
        f"/api/v1/plans/{plan['id']}/actions",
        json={"kind": "coaching", "title": "1:1 拜访复盘", "due_on": (today + timedelta(days=5)).isoformat()},
    ).json()
    noted = lead.patch(
        f"/api/v1/plans/{plan['id']}/actions/{action['id']}",
        json={"done_on": (today + timedelta(days=4)).isoformat(), "notes": "先把意向客户跟进起来"},
    ).json()
    assert (noted["done_on"], noted["notes"]) == ((today + timedelta(days=4)).isoformat(), "先把意向客户跟进起来")
    bad = lead.post(
        f"/api/v1/plans/{plan['id']}/actions",
        json={"kind": "nap", "title": "x", "due_on": (today + timedelta(days=5)).isoformat()},
    )
    assert bad.json()["errors"][0]["field"] == "kind"

    with Session(engine) as session:
        rep = actor(session, rep1_id)
        deal(session, rep, shop, "6500", "won", "2026-11-19T15:00:00+08:00", NOW)
        session.commit()
    now_met = lead.get(f"/api/v1/plans/{plan['id']}").json()
    assert now_met["exit_criteria"][0]["attainment"] == 0.65 and now_met["exit_criteria_met"] is False
    with Session(engine) as session:
        deal(session, actor(session, rep1_id), shop, "1000", "won", "2026-11-19T16:00:00+08:00", NOW)
        session.commit()
    met = lead.get(f"/api/v1/plans/{plan['id']}").json()
    assert met["exit_criteria"][0] == {
        "metric": "revenue",
        "period": "2026-11",
        "min_attainment": "0.7000",
        "attainment": 0.75,
        "met": True,
    }
    assert met["exit_criteria_met"] is True
    assert [a["kind"] for a in met["actions"]] == ["coaching"]

    # The plan reaches the rep's phone (read-only, like every coaching record).
    phone = Phone(sign_in("rep1@example.com"))
    phone.sync()
    assert phone.of("plan")[plan["id"]]["exit_criteria"] == [
        {"metric": "revenue", "period": "2026-11", "min_attainment": "0.7000"}
    ]
    teammate = Phone(sign_in("rep2@example.com"))
    teammate.sync()
    assert teammate.of("plan") == {}
    # The rep reads their own plan; a teammate gets 404 as for a missing one.
    assert sign_in("rep1@example.com").get(f"/api/v1/plans/{plan['id']}").status_code == 200
    assert sign_in("rep2@example.com").get(f"/api/v1/plans/{plan['id']}").status_code == 404
    assert sign_in("rep2@example.com").get(f"/api/v1/plans/{uuid.uuid4()}").status_code == 404

    closed = lead.post(f"/api/v1/plans/{plan['id']}/close", json={"outcome": "met", "note": "达标"}).json()
    assert (closed["status"], closed["outcome"]) == ("closed", "met")
    with Session(engine) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.record_id == plan["id"])).all()
        assert sorted(actions) == ["plan.close", "plan.open"]
