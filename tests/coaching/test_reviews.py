"""Reviews: frozen figures, a weighted scorecard, the rep's acknowledgement, and a closed period."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from backend.audit.models import AuditEntry
from backend.notify.models import Notification
from backend.visits.models import PeriodLock, Visit
from tests.conftest import both_databases
from tests.kpi.helpers import actor, customer, deal, goal, visit
from tests.sync.helpers import Phone

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _november(engine: Any, org: Any) -> str:
    """rep1's November: 4 approved visits of 10, ¥6,000 won of ¥10,000. Returns the customer's id."""
    with Session(engine, expire_on_commit=False) as session:
        lead, rep = actor(session, org.user("lead1")), actor(session, org.user("rep1"))
        goal(session, lead, ("user", rep.id), "visits", "2026-11", "10", NOW)
        goal(session, lead, ("user", rep.id), "revenue", "2026-11", "10000", NOW)
        shop = customer(session, rep, NOW)
        for day in (3, 4, 5, 6):
            visit(session, rep, lead, shop, f"2026-11-{day:02d}T10:00:00+08:00", 4, NOW)
        deal(session, rep, shop, "6000", "won", "2026-11-10T15:00:00+08:00", NOW)
        session.commit()
    return shop


def _open(lead: Any, org: Any, period: str = "2026-11") -> dict[str, Any]:
    response = lead.post("/api/v1/reviews", json={"rep_id": org.user("rep1"), "period": period})
    assert response.status_code == 201, response.text
    return response.json()


def test_frozen_figures_and_the_weighted_scorecard_stay_as_reviewed(org, sign_in, engine):
    shop = _november(engine, org)
    lead = sign_in("lead1@example.com")
    review = _open(lead, org)
    figures = {f["metric"]: f for f in review["figures"]}
    assert (figures["visits"]["actual"], figures["visits"]["attainment"]) == ("4", 0.4)
    assert (figures["revenue"]["actual"], figures["revenue"]["attainment"]) == ("6000.00", 0.6)

    rated = lead.patch(
        f"/api/v1/reviews/{review['id']}",
        json={"ratings": {"collaboration": 4, "customer_feedback": 5}, "comments": "拜访量需要提高"},
    ).json()
    # revenue 60 × 0.4 + visits 40 × 0.2 + collaboration 80 × 0.2 + customer feedback 100 × 0.2 = 68
    assert [line["score"] for line in rated["scorecard"]["lines"]] == ["60.00", "40.00", "80.00", "100.00"]
    assert rated["scorecard"]["total"] == "68.00"
    assert rated["scorecard"]["complete"] is True
    bad = lead.patch(f"/api/v1/reviews/{review['id']}", json={"ratings": {"collaboration": 6, "charm": 3}})
    assert {e["field"] for e in bad.json()["errors"]} == {"ratings.charm"}
    bad = lead.patch(f"/api/v1/reviews/{review['id']}", json={"ratings": {"collaboration": 6}})
    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [("ratings.collaboration", "out_of_range")]

    # A visit approved after the review was opened moves the KPI, never the review.
    with Session(engine) as session:
        rep, boss = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        visit(session, rep, boss, shop, "2026-11-12T10:00:00+08:00", 5, NOW)
        session.commit()
    live = lead.get("/api/v1/progress", params={"subject_id": org.user("rep1"), "period": "2026-11"}).json()
    assert {p["metric"]: p["actual"] for p in live}["visits"] == "5"
    again = lead.get(f"/api/v1/reviews/{review['id']}").json()
    assert again["figures"] == review["figures"]
    assert again["scorecard"]["total"] == "68.00"

    assert lead.post(f"/api/v1/reviews/{review['id']}/share").status_code == 200
    closed = lead.post(f"/api/v1/reviews/{review['id']}/close").json()
    assert (closed["status"], closed["score"]) == ("closed", "68.00")
    assert (
        lead.post("/api/v1/reviews", json={"rep_id": org.user("rep1"), "period": "2026-11"}).json()["errors"][0][
            "code"
        ]
        == "review_exists"
    )


def test_configured_dimensions_weigh_the_scorecard(org, sign_in, engine):
    _november(engine, org)
    manager = sign_in("eastmgr@example.com")
    for data in (
        {
            "key": "revenue",
            "source": "kpi",
            "metric": "revenue",
            "name_en": "Revenue",
            "name_zh": "销售额",
            "weight": 3,
        },
        {"key": "teamwork", "source": "rating", "name_en": "Teamwork", "name_zh": "协作", "weight": 1},
    ):
        response = manager.post("/api/v1/review-dimensions", json={"unit_id": org.unit("team1"), **data})
        assert response.status_code == 200, response.text
    assert [
        d["key"] for d in manager.get("/api/v1/review-dimensions", params={"unit_id": org.unit("team1")}).json()
    ] == [
        "revenue",
        "teamwork",
    ]
    # Team 2 still has the company's default scorecard.
    assert len(manager.get("/api/v1/review-dimensions", params={"unit_id": org.unit("team2")}).json()) == 4
    rep_try = sign_in("rep1@example.com").post(
        "/api/v1/review-dimensions",
        json={
            "unit_id": org.unit("team1"),
            "key": "x",
            "source": "rating",
            "name_en": "x",
            "name_zh": "x",
            "weight": 1,
        },
    )
    assert rep_try.status_code == 403

    lead = sign_in("lead1@example.com")
    review = _open(lead, org)
    closing_early = lead.post(f"/api/v1/reviews/{review['id']}/close")
    assert closing_early.json()["errors"][0]["code"] == "invalid_state"
    lead.post(f"/api/v1/reviews/{review['id']}/share")
    unrated = lead.post(f"/api/v1/reviews/{review['id']}/close").json()
    assert [(e["field"], e["code"]) for e in unrated["errors"]] == [("ratings.teamwork", "required")]
    # A shared review no longer changes: the rating belongs to the draft.
    assert lead.patch(f"/api/v1/reviews/{review['id']}", json={"ratings": {"teamwork": 4}}).status_code == 422


def test_configured_dimensions_exact_total(org, sign_in, engine):
    _november(engine, org)
    manager = sign_in("eastmgr@example.com")
    for data in (
        {
            "key": "revenue",
            "source": "kpi",
            "metric": "revenue",
            "name_en": "Revenue",
            "name_zh": "销售额",
            "weight": 3,
        },
        {"key": "teamwork", "source": "rating", "name_en": "Teamwork", "name_zh": "协作", "weight": 1},
        {
            "key": "conversion",
            "source": "kpi",
            "metric": "conversion",
            "name_en": "Conv",
            "name_zh": "转化",
            "weight": 5,
        },
    ):
        manager.post("/api/v1/review-dimensions", json={"unit_id": org.unit("east"), **data})
    lead = sign_in("lead1@example.com")
    review = _open(lead, org)
    rated = lead.patch(f"/api/v1/reviews/{review['id']}", json={"ratings": {"teamwork": 4}}).json()
    # revenue 60 × 3 + teamwork 80 × 1, over weights 3 + 1: conversion has no goal, so no score and no weight.
    assert rated["scorecard"]["total"] == "65.00"
    assert rated["scorecard"]["lines"][0] == {
        "key": "conversion",
        "source": "kpi",
        "metric": "conversion",
        "weight": "5",
        "value": None,
        "score": None,
    }


@both_databases
def test_closing_a_review_locks_the_reps_period_and_other_reps_cannot_read_it(org, sign_in, engine):
    _november(engine, org)
    lead = sign_in("lead1@example.com")
    review = _open(lead, org)
    rep1, rep2 = sign_in("rep1@example.com"), sign_in("rep2@example.com")
    missing = rep1.get(f"/api/v1/reviews/{uuid.uuid4()}")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    # A draft is the lead's: the rep does not see it yet.
    assert rep1.get(f"/api/v1/reviews/{review['id']}").json() == missing.json()
    assert rep1.get("/api/v1/reviews").json() == []

    lead.patch(f"/api/v1/reviews/{review['id']}", json={"ratings": {"collaboration": 3, "customer_feedback": 4}})
    assert lead.post(f"/api/v1/reviews/{review['id']}/share").json()["status"] == "shared"
    mine = rep1.get(f"/api/v1/reviews/{review['id']}")
    assert mine.status_code == 200
    for outsider in (rep2, sign_in("rep3@example.com"), sign_in("lead2@example.com")):
        answer = outsider.get(f"/api/v1/reviews/{review['id']}")
        absent = outsider.get(f"/api/v1/reviews/{uuid.uuid4()}")
        assert (answer.status_code, answer.json()) == (404, absent.json())
        assert outsider.get("/api/v1/reviews").json() == []
    assert rep2.post(f"/api/v1/reviews/{review['id']}/acknowledge", json={}).status_code == 404
    with Session(engine) as session:
        kinds = session.scalars(select(Notification.kind).where(Notification.user_id == org.user("rep1"))).all()
        assert "review_shared" in kinds

    # The rep acknowledges (not the lead); the rep cannot close their own review.
    assert lead.post(f"/api/v1/reviews/{review['id']}/acknowledge", json={}).status_code == 403
    acknowledged = rep1.post(
        f"/api/v1/reviews/{review['id']}/acknowledge", json={"comment": "收到，会加强拜访"}
    ).json()
    assert acknowledged["acknowledged_at"] is not None and acknowledged["rep_comment"] == "收到，会加强拜访"
    assert rep1.post(f"/api/v1/reviews/{review['id']}/close").status_code == 403

    phone = Phone(rep1)
    phone.sync()
    assert phone.of("review")[review["id"]]["status"] == "shared"

    closed = lead.post(f"/api/v1/reviews/{review['id']}/close").json()
    # collaboration 60 × 0.2 + feedback 80 × 0.2 + revenue 60 × 0.4 + visits 40 × 0.2 = 60
    assert (closed["status"], closed["score"]) == ("closed", "60.00")
    with Session(engine) as session:
        lock = session.scalars(select(PeriodLock)).one()
        assert (lock.rep_id, lock.period) == (org.user("rep1"), "2026-11")
        assert session.scalars(select(AuditEntry.action).where(AuditEntry.record_id == review["id"])).all() == [
            "review.close"
        ]

    # A late November visit from the rep's phone is refused; October is still open; a teammate is unaffected.
    shop = next(iter(phone.of("customer")))
    phone.queue_mutation(
        "visit", "create", fields={"customer_id": shop, "check_in_at": "2026-11-18T10:00:00+08:00"}
    )
    phone.queue_mutation(
        "visit", "create", fields={"customer_id": shop, "check_in_at": "2026-10-30T10:00:00+08:00"}
    )
    results = phone.send()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["errors"][0]["code"] == "period_locked"
    assert phone.of("review")[review["id"]]["status"] == "closed"
    teammate = Phone(rep2)
    shop2 = str(uuid.uuid4())
    teammate.queue_mutation("customer", "create", shop2, fields={"name": "华南五金"})
    teammate.queue_mutation(
        "visit", "create", fields={"customer_id": shop2, "check_in_at": "2026-11-18T10:00:00+08:00"}
    )
    assert [r["status"] for r in teammate.send()["results"]] == ["applied", "applied"]
    # Nor does the approval desk approve the rep's November work any more (same rule as sync).
    phone.queue_mutation("visit", "action", results[1]["id"], name="submit", args={})
    assert phone.send()["results"][0]["status"] == "applied"
    with Session(engine) as session:
        stuck = Visit(
            rep_id=org.user("rep1"),
            customer_id=shop,
            check_in_at=datetime(2026, 11, 18, 2, tzinfo=UTC),
            status="submitted",
        )
        session.add(stuck)
        session.commit()
        stuck_id = stuck.id
    answer = lead.post("/api/v1/visits/review", json={"decisions": [{"id": stuck_id, "approve": True}]}).json()
    assert answer["results"][0]["errors"][0]["code"] == "period_locked"
    # The closed review keeps the score it was closed with.
    assert rep1.get(f"/api/v1/reviews/{review['id']}").json()["score"] == "60.00"


def test_a_quarterly_review_adds_up_the_quarters_monthly_goals(org, sign_in, engine):
    """Q4 with goals only in its months: the review's targets are the months' targets summed (a ratio's,
    averaged), its actuals the KPI engine's over the whole quarter; GET /progress answers the same."""
    shop = _november(engine, org)  # November: visits 10, revenue 10 000; 4 visits, 6 000 won
    with Session(engine, expire_on_commit=False) as session:
        lead, rep = actor(session, org.user("lead1")), actor(session, org.user("rep1"))
        for month, visits, revenue in (("2026-10", "12", "15000"), ("2026-12", "8", "25000")):
            goal(session, lead, ("user", rep.id), "visits", month, visits, NOW)
            goal(session, lead, ("user", rep.id), "revenue", month, revenue, NOW)
        for month, threshold in (("2026-10", "4.0"), ("2026-11", "4.5"), ("2026-12", "4.5")):
            goal(session, lead, ("user", rep.id), "satisfaction", month, threshold, NOW)
        # Two of three months only: no quarter figure rather than a target that leaves December out.
        for month in ("2026-10", "2026-11"):
            goal(session, lead, ("user", rep.id), "new_customers", month, "2", NOW)
        # A quarter goal of its own wins over its months'.
        goal(session, lead, ("user", rep.id), "conversion", "2026-Q4", "0.5", NOW)
        goal(session, lead, ("user", rep.id), "conversion", "2026-10", "0.9", NOW)
        visit(session, rep, lead, shop, "2026-10-14T10:00:00+08:00", 5, NOW)
        visit(session, rep, lead, shop, "2026-10-15T10:00:00+08:00", 3, NOW)
        deal(session, rep, shop, "9000", "won", "2026-10-20T10:00:00+08:00", NOW)
        deal(session, rep, shop, "1000", "lost", "2026-10-21T10:00:00+08:00", NOW)
        session.commit()
    lead = sign_in("lead1@example.com")
    review = _open(lead, org, "2026-Q4")
    figures = {f["metric"]: f for f in review["figures"]}
    assert list(figures) == ["revenue", "visits", "conversion", "satisfaction"]
    # revenue: 15 000 + 10 000 + 25 000 = 50 000 targeted, 9 000 + 6 000 won = 15 000 → 30 %
    assert (figures["revenue"]["target"], figures["revenue"]["actual"]) == ("50000.00", "15000.00")
    assert figures["revenue"]["attainment"] == 0.3
    # visits: 12 + 10 + 8 = 30 targeted, 2 + 4 approved = 6 → 20 %
    assert (figures["visits"]["target"], figures["visits"]["actual"], figures["visits"]["attainment"]) == (
        "30",
        "6",
        0.2,
    )
    # satisfaction: (4.0 + 4.5 + 4.5) / 3 = 4.3333 targeted; (5 + 3 + 4 × 4) / 6 = 4.00 → 0.9231
    assert (figures["satisfaction"]["target"], figures["satisfaction"]["actual"]) == ("4.3333", "4.00")
    assert figures["satisfaction"]["attainment"] == 0.9231
    # conversion: the quarter's own 0.5 (not October's 0.9); two won of three closed → 0.6667 / 0.5
    assert (figures["conversion"]["target"], figures["conversion"]["attainment"]) == ("0.5000", 1.3333)
    assert figures["revenue"]["goal_id"] is None and figures["conversion"]["goal_id"] is not None
    # The one computation: GET /progress for the quarter answers the figures the review froze.
    live = lead.get("/api/v1/progress", params={"subject_id": org.user("rep1"), "period": "2026-Q4"}).json()
    assert [{k: v for k, v in p.items() if k != "as_of"} for p in live] == review["figures"]
    # The scorecard weighs the quarter's attainments: revenue 30 × 0.4 + visits 20 × 0.2 = 16 over 0.6.
    assert [line["score"] for line in review["scorecard"]["lines"][:2]] == ["30.00", "20.00"]
    assert review["scorecard"]["total"] == "26.67"
