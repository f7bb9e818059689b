"""Milestones: a goal crossing 50, 80, 100 and 120 % lands in the inbox, in the user's language, and reaches
the phone as an encrypted push, once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.worker import Worker
from tests.kpi.helpers import actor, customer, deal, goal, visit
from tests.notify.conftest import deliveries, inbox_of, payloads


def milestones_of(engine, user_id: str):
    return [n for n in inbox_of(engine, user_id) if n.kind == "milestone"]


MONTH = "2026-11"


def _approved_visits(engine, org, clock, count: int, rep: str = "rep1", lead: str = "lead1") -> None:
    with Session(engine, expire_on_commit=False) as session:
        rep_actor, lead_actor = actor(session, org.user(rep)), actor(session, org.user(lead))
        customer_id = customer(session, rep_actor, clock.now)
        for day in range(count):
            visit(
                session, rep_actor, lead_actor, customer_id, f"2026-11-{10 + day}T10:00:00+08:00", None, clock.now
            )
        session.commit()


def _visits_goal(engine, org, clock, subject: tuple[str, str], target: str) -> None:
    with Session(engine, expire_on_commit=False) as session:
        goal(session, actor(session, org.user("eastmgr")), subject, "visits", MONTH, target, clock.now)
        session.commit()


def test_a_milestone_reaches_the_push_service_encrypted_and_once(
    org, engine, clock, sign_in, subscribe, push_service, worker: Worker
):
    rep = sign_in(org.email("rep1"))
    subscription = subscribe(rep)
    _visits_goal(engine, org, clock, ("user", org.user("rep1")), "4")

    _approved_visits(engine, org, clock, 2)  # 2 of 4: 50 %

    [inbox] = [n for n in rep.get("/api/v1/notifications").json() if n["kind"] == "milestone"]
    assert (inbox["kind"], inbox["title"]) == ("milestone", "50 % of the visits goal")
    assert inbox["body"] == "Rep1: visits for 2026-11 has reached 50 % of its target."
    worker.run_once()
    worker.run_once()  # a second pass sends nothing again
    # The approvals and the morning's behind-pace nudge (2 of 4 on the 20th) were pushed too; the milestone
    # arrived once.
    kinds = [p["kind"] for p in payloads(push_service)]
    assert sorted(kinds) == ["behind_pace", "milestone", "visit_approved", "visit_approved"]
    message = push_service.messages[kinds.index("milestone")]
    assert message.endpoint_id == subscription.endpoint.rsplit("/", 1)[1]
    assert payloads(push_service)[kinds.index("milestone")] | {"id": None} == {
        "id": None,
        "kind": "milestone",
        "title": "50 % of the visits goal",
        "body": "Rep1: visits for 2026-11 has reached 50 % of its target.",
        "tag": f"{org.user('rep1')}:milestone:{inbox['data']['goal_id']}",
        "url": "/#/goals",
    }
    assert message.claims["aud"] == push_service.origin
    assert message.headers["ttl"] == "86400"
    assert message.headers["urgency"] == "normal"
    assert len(message.headers["topic"]) == 32
    assert [d.status for d in deliveries(engine)] == ["sent"] * 4


def test_each_threshold_notifies_once_and_a_jump_announces_only_the_highest(org, engine, clock):
    with Session(engine, expire_on_commit=False) as session:
        goal(
            session,
            actor(session, org.user("eastmgr")),
            ("user", org.user("rep1")),
            "revenue",
            MONTH,
            "100000",
            clock.now,
        )
        rep = actor(session, org.user("rep1"))
        customer_id = customer(session, rep, clock.now)
        for amount in ("60000", "45000", "1000", "20000"):  # 60 %, 105 % (past 80 and 100), 106 %, 126 %
            deal(session, rep, customer_id, amount, "won", "2026-11-12T10:00:00+08:00", clock.now)
        session.commit()

    titles = [n.title for n in sorted(milestones_of(engine, org.user("rep1")), key=lambda n: n.created_at)]
    assert sorted(titles) == ["100 % of the revenue goal", "120 % of the revenue goal", "50 % of the revenue goal"]


def test_the_inbox_speaks_the_users_language(org, engine, clock):
    _visits_goal(engine, org, clock, ("user", org.user("rep2")), "2")

    _approved_visits(engine, org, clock, 1, rep="rep2")

    [notification] = milestones_of(engine, org.user("rep2"))
    assert (notification.title, notification.body) == (
        "目标达成 50%",
        "Rep2 2026-11的拜访目标已完成 50%。".replace(" ", "", 1),
    )


def test_a_teams_milestone_goes_to_its_lead_not_to_the_rep(org, engine, clock):
    _visits_goal(engine, org, clock, ("unit", org.unit("team1")), "2")

    _approved_visits(engine, org, clock, 1)

    assert [n.title for n in milestones_of(engine, org.user("lead1"))] == ["50 % of the visits goal"]
    assert [n.body for n in milestones_of(engine, org.user("lead1"))] == [
        "team1: visits for 2026-11 has reached 50 % of its target."
    ]
    assert milestones_of(engine, org.user("rep1")) == []


def test_ratio_goals_have_no_milestones(org, engine, clock):
    with Session(engine, expire_on_commit=False) as session:
        manager = actor(session, org.user("eastmgr"))
        goal(session, manager, ("user", org.user("rep1")), "satisfaction", MONTH, "4", clock.now)
        rep, lead = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        visit(session, rep, lead, customer(session, rep, clock.now), "2026-11-12T10:00:00+08:00", 5, clock.now)
        session.commit()

    assert milestones_of(engine, org.user("rep1")) == []
