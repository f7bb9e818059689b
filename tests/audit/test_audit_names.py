"""The audit trail carries the names it is read by, on SQLite and PostgreSQL: who acted, whose visit at which
customer and when, whose goal for which period and metric, which user was changed."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.db import session_scope
from tests.conftest import both_databases
from tests.kpi.helpers import actor, customer, goal, visit

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@both_databases
def test_each_entry_names_its_actor_and_what_it_concerns(org, sign_in, engine, clock):
    with session_scope(engine, clock) as session:
        lead, rep = actor(session, org.user("lead1")), actor(session, org.user("rep1"))
        shop = customer(session, rep, NOW, name="华联超市")
        approved = visit(session, rep, lead, shop, "2026-11-18T10:00:00+08:00", 4, NOW)
        rejected = visit(session, rep, lead, shop, "2026-11-19T09:30:00+08:00", None, NOW, approve=False)
        goal_id = goal(session, lead, ("user", rep.id), "visits", "2026-11", "20", NOW)
    boss = sign_in("boss@example.com")
    assert boss.patch(f"/api/v1/goals/{goal_id}", json={"target": "25"}).status_code == 200
    admin = sign_in("admin@example.com")
    assert admin.patch(f"/api/v1/users/{org.user('rep2')}", json={"role": "lead"}).status_code == 200

    trail = boss.get("/api/v1/audit")
    assert trail.status_code == 200, trail.text
    by_record = {(e["action"], e["record_id"]): e for e in trail.json()}
    for action, record_id, day in (
        ("visit.approve", approved, "2026-11-18T02:00:00+00:00"),
        ("visit.reject", rejected, "2026-11-19T01:30:00+00:00"),
    ):
        entry = by_record[(action, record_id)]
        assert (entry["actor_name"], entry["subject_name"], entry["record_name"]) == ("Lead1", "Rep1", "华联超市")
        assert datetime.fromisoformat(entry["record_at"]) == datetime.fromisoformat(day)
        assert entry["metric"] is None
    target = by_record[("goal.target", goal_id)]
    assert (target["actor_name"], target["subject_name"], target["record_name"], target["metric"]) == (
        "Boss",
        "Rep1",
        "2026-11",
        "visits",
    )
    assert target["record_at"] is None
    role = by_record[("user.update", org.user("rep2"))]
    assert (role["actor_name"], role["subject_name"], role["record_name"]) == ("Admin", "Rep2", None)
