"""The audit trail: every approval, amendment decision, goal change and role change, read by managers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from backend.db import session_scope
from tests.kpi.helpers import actor, customer, goal, visit

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _day(now: datetime, days: int) -> str:
    return (now + timedelta(days=days)).date().isoformat()


def test_managers_read_who_changed_what_and_reps_may_not(org, sign_in, engine, clock):
    with session_scope(engine, clock) as session:
        lead, rep = actor(session, org.user("lead1")), actor(session, org.user("rep1"))
        visit_id = visit(session, rep, lead, customer(session, rep, NOW), "2026-11-18T10:00:00+08:00", 4, NOW)
        goal_id = goal(session, lead, ("user", rep.id), "visits", "2026-11", "20", NOW)
    east = sign_in("eastmgr@example.com")
    assert east.patch(f"/api/v1/goals/{goal_id}", json={"target": "25"}).status_code == 200
    admin = sign_in("admin@example.com")
    assert admin.patch(f"/api/v1/users/{org.user('rep2')}", json={"role": "lead"}).status_code == 200

    trail = east.get("/api/v1/audit")
    assert trail.status_code == 200, trail.text
    by_action = {e["action"]: e for e in trail.json()}
    assert by_action["visit.approve"]["actor_id"] == org.user("lead1")
    assert by_action["visit.approve"]["record_id"] == visit_id
    assert by_action["visit.approve"]["before"] == {"status": "submitted"}
    assert by_action["goal.target"]["before"] == {"target": "20"}
    assert by_action["goal.target"]["after"]["target"] == "25"
    # The admin's role change is above the east manager; the company's manager reads it.
    assert "user.update" not in by_action
    boss = sign_in("boss@example.com")
    role_change = boss.get("/api/v1/audit", params={"entity": "user"}).json()
    assert [e["action"] for e in role_change] == ["user.update"]
    assert role_change[0]["before"]["role"] == "rep" and role_change[0]["after"]["role"] == "lead"

    assert [e["action"] for e in east.get("/api/v1/audit", params={"record_id": visit_id}).json()] == [
        "visit.approve"
    ]
    assert east.get("/api/v1/audit", params={"actor_id": org.user("lead1"), "action": "goal.target"}).json() == []
    assert east.get("/api/v1/audit", params={"from": _day(clock.now, 10)}).json() == []
    bad = east.get("/api/v1/audit", params={"record_id": "x", "to": "tomorrow"})
    assert {e["field"] for e in bad.json()["errors"]} == {"record_id", "to"}
    for who in ("rep1", "lead1"):
        denied = sign_in(f"{who}@example.com").get("/api/v1/audit")
        assert (denied.status_code, denied.json()["code"]) == (403, "forbidden")
    assert east.get("/api/v1/audit", params={"record_id": str(uuid.uuid4())}).json() == []
