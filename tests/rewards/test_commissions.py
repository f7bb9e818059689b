"""Commission statements over HTTP: lines that explain the figures, clawback in the next statement, who may
read a statement, and the phone's estimate."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from backend.opportunities.models import Opportunity
from backend.opportunities.service import advance
from tests.conftest import both_databases
from tests.kpi.helpers import actor, customer, deal, goal

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
TIERS = [
    {"up_to_attainment": "0.8", "rate": "0.03"},
    {"up_to_attainment": "1.0", "rate": "0.05"},
    {"up_to_attainment": None, "rate": "0.08"},
]


def _plan(api: Any, org: Any, mode: str = "marginal", assign_to: str = "team1") -> str:
    created = api.post(
        "/api/v1/commissions/plans",
        json={"name": "Field 2026", "unit_id": org.unit("company"), "mode": mode, "tiers": TIERS},
    )
    assert created.status_code == 201, created.text
    plan_id: str = created.json()["id"]
    assigned = api.post(
        f"/api/v1/commissions/plans/{plan_id}/assign",
        json={"subject_type": "unit", "subject_id": org.unit(assign_to)},
    )
    assert assigned.status_code == 201, assigned.text
    return plan_id


def _october_won_100_percent(engine: Any, org: Any) -> dict[str, str]:
    """rep1: revenue targets of 100 000 a month; October won 60 000 + 40 000 (exactly 100 %)."""
    with Session(engine, expire_on_commit=False) as session:
        boss, rep = actor(session, org.user("boss")), actor(session, org.user("rep1"))
        for month in ("2026-10", "2026-11", "2026-12"):
            goal(session, boss, ("user", rep.id), "revenue", month, "100000", NOW)
        shop = customer(session, rep, NOW)
        deals = {
            "a": deal(session, rep, shop, "60000", "won", "2026-10-10T10:00:00+08:00", NOW),
            "b": deal(session, rep, shop, "40000", "won", "2026-10-20T10:00:00+08:00", NOW),
        }
        session.commit()
    return deals


def _statement(api: Any, **params: str) -> Any:
    return api.get("/api/v1/commissions/statements", params=params)


def test_statement_lines_explain_the_figures_at_exactly_100_percent(org, engine, sign_in):
    boss = sign_in("boss@example.com")
    _plan(boss, org)
    _october_won_100_percent(engine, org)
    body = _statement(sign_in("rep1@example.com"), period="2026-10").json()
    assert body["status"] == "draft"
    assert (body["target"], body["revenue"], body["attainment"]) == ("100000.00", "100000.00", "1.0000")
    assert [(line["tier"], line["base"], line["rate"], line["amount"]) for line in body["lines"]] == [
        (1, "80000.00", "0.0300", "2400.00"),
        (2, "20000.00", "0.0500", "1000.00"),
    ]
    assert (body["commission"], body["clawback"], body["total"]) == ("3400.00", "0", "3400.00")
    assert len(body["deals"]) == 2


def test_whole_mode_pays_the_lower_rate_at_exactly_100_percent(org, engine, sign_in):
    boss = sign_in("boss@example.com")
    _plan(boss, org, mode="whole")
    _october_won_100_percent(engine, org)
    body = _statement(boss, user_id=org.user("rep1"), period="2026-10").json()
    assert [(line["tier"], line["base"], line["amount"]) for line in body["lines"]] == [
        (2, "100000.00", "5000.00")
    ]
    assert body["total"] == "5000.00"


@both_databases
def test_a_won_deal_lost_after_its_statement_was_issued_is_clawed_back_in_the_next(org, engine, sign_in, clock):
    boss = sign_in("boss@example.com")
    _plan(boss, org)
    deals = _october_won_100_percent(engine, org)
    issued = boss.post(
        "/api/v1/commissions/statements/issue", json={"user_id": org.user("rep1"), "period": "2026-10"}
    )
    assert issued.status_code == 201, issued.text
    assert (issued.json()["status"], issued.json()["total"]) == ("issued", "3400.00")
    again = boss.post(
        "/api/v1/commissions/statements/issue", json={"user_id": org.user("rep1"), "period": "2026-10"}
    )
    assert (again.status_code, again.json()["code"]) == (409, "statement_issued")
    # In November deal b (40 000, paid in October) is lost, and a new 30 000 deal is won.
    with Session(engine, expire_on_commit=False) as session:
        rep = actor(session, org.user("rep1"))
        lost = session.get(Opportunity, deals["b"])
        assert lost is not None
        advance(session, rep, lost, "lost", datetime.fromisoformat("2026-11-05T10:00:00+08:00"), NOW)
        deal(session, rep, customer(session, rep, NOW, "新客户"), "30000", "won", "2026-11-03T10:00:00+08:00", NOW)
        session.commit()
    # The issued October statement does not change.
    october = _statement(boss, user_id=org.user("rep1"), period="2026-10").json()
    assert (october["status"], october["total"], october["revenue"]) == ("issued", "3400.00", "100000.00")
    november = _statement(sign_in("rep1@example.com"), period="2026-11").json()
    tiers, (clawback,) = november["lines"][:-1], november["lines"][-1:]
    assert [(line["base"], line["amount"]) for line in tiers] == [("30000.00", "900.00")]
    # October now earns 60 000 x 3 % = 1800 of the 3400 paid: 1600 comes back.
    assert clawback["kind"] == "clawback"
    assert (clawback["period"], clawback["paid"], clawback["revenue_now"], clawback["owed_now"]) == (
        "2026-10",
        "3400.00",
        "60000.00",
        "1800.00",
    )
    assert clawback["amount"] == "-1600.00"
    assert [(d["id"], d["stage"]) for d in clawback["deals"]] == [(deals["b"], "lost")]
    assert (november["commission"], november["clawback"], november["total"]) == ("900.00", "1600.00", "-700.00")
    # November cannot be issued before it ends; once issued, December claws nothing back a second time.
    early = boss.post(
        "/api/v1/commissions/statements/issue", json={"user_id": org.user("rep1"), "period": "2026-11"}
    )
    assert (early.status_code, early.json()["code"]) == (409, "period_not_ended")
    clock.now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    done = boss.post(
        "/api/v1/commissions/statements/issue", json={"user_id": org.user("rep1"), "period": "2026-11"}
    )
    assert done.json()["total"] == "-700.00"
    december = _statement(boss, user_id=org.user("rep1"), period="2026-12").json()
    assert [line for line in december["lines"] if line["kind"] == "clawback"] == []


def test_another_reps_statement_answers_404_like_a_missing_one(org, engine, sign_in):
    boss = sign_in("boss@example.com")
    _plan(boss, org)
    _october_won_100_percent(engine, org)
    rep1 = org.user("rep1")
    missing = str(uuid.uuid4())
    for email in ("rep2@example.com", "lead2@example.com", "rep4@example.com"):
        api = sign_in(email)
        for user_id in (rep1, missing):
            response = _statement(api, user_id=user_id, period="2026-10")
            assert (response.status_code, response.json()["code"]) == (404, "not_found"), (email, user_id)
    assert _statement(sign_in("lead1@example.com"), user_id=rep1, period="2026-10").status_code == 200
    # A rep cannot issue (not even their own), nor set plans.
    rep_api = sign_in("rep1@example.com")
    issue = rep_api.post("/api/v1/commissions/statements/issue", json={"user_id": rep1, "period": "2026-10"})
    assert issue.status_code == 403
    plan = rep_api.post(
        "/api/v1/commissions/plans",
        json={"name": "x", "unit_id": org.unit("team1"), "mode": "whole", "tiers": TIERS},
    )
    assert plan.status_code == 403


def test_estimate_follows_the_reps_progress_this_month(org, engine, sign_in):
    boss = sign_in("boss@example.com")
    _plan(boss, org)
    _october_won_100_percent(engine, org)
    rep_api = sign_in("rep1@example.com")
    before = rep_api.get("/api/v1/commissions/estimate").json()
    assert (before["period"], before["revenue"], before["commission"]) == ("2026-11", "0.00", "0.00")
    assert before["next"] == {
        "tier": 2,
        "at_attainment": "0.8000",
        "more_revenue": "80000.00",
        "pays_total": "2400.00",
        "pays_extra": "2400.00",
    }
    with Session(engine, expire_on_commit=False) as session:
        rep = actor(session, org.user("rep1"))
        deal(session, rep, customer(session, rep, NOW, "新客户"), "50000", "won", "2026-11-03T10:00:00+08:00", NOW)
        session.commit()
    after = rep_api.get("/api/v1/commissions/estimate").json()
    assert (after["revenue"], after["attainment"], after["commission"]) == ("50000.00", "0.5000", "1500.00")
    # "¥30 000 more this month pays ¥2 400" (¥900 more than now).
    assert (after["next"]["more_revenue"], after["next"]["pays_total"], after["next"]["pays_extra"]) == (
        "30000.00",
        "2400.00",
        "900.00",
    )
    assert Decimal(after["total"]) == Decimal("1500.00")


def test_plan_tiers_must_ascend_and_end_open(org, sign_in):
    boss = sign_in("boss@example.com")
    bad = boss.post(
        "/api/v1/commissions/plans",
        json={
            "name": "bad",
            "unit_id": org.unit("company"),
            "mode": "marginal",
            "tiers": [{"up_to_attainment": "1.0", "rate": "0.05"}, {"up_to_attainment": "0.8", "rate": "0.03"}],
        },
    )
    assert bad.status_code == 422
    assert {(e["field"], e["code"]) for e in bad.json()["errors"]} == {
        ("tiers.1.up_to_attainment", "top_tier_open"),
    }
    descending = boss.post(
        "/api/v1/commissions/plans",
        json={
            "name": "bad",
            "unit_id": org.unit("company"),
            "mode": "marginal",
            "tiers": [
                {"up_to_attainment": "1.0", "rate": "0.05"},
                {"up_to_attainment": "0.8", "rate": "0.03"},
                {"up_to_attainment": None, "rate": "0.08"},
            ],
        },
    )
    assert {(e["field"], e["code"]) for e in descending.json()["errors"]} == {
        ("tiers.1.up_to_attainment", "tiers_not_ascending"),
    }


def test_no_plan_or_no_target_is_a_conflict_not_a_zero(org, engine, sign_in):
    rep_api = sign_in("rep1@example.com")
    assert rep_api.get("/api/v1/commissions/estimate").json()["code"] == "no_commission_plan"
    _plan(sign_in("boss@example.com"), org)
    response = rep_api.get("/api/v1/commissions/estimate")
    assert (response.status_code, response.json()["code"]) == (409, "no_revenue_goal")
