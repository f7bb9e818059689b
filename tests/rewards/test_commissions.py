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
    assert (before["plan"]["name"], before["plan"]["mode"]) == ("Field 2026", "marginal")
    assert [
        (Decimal(t["up_to_attainment"] or "Infinity"), Decimal(t["rate"])) for t in before["plan"]["tiers"]
    ] == [(Decimal(t["up_to_attainment"] or "Infinity"), Decimal(t["rate"])) for t in TIERS]
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


@both_databases
def test_no_plan_or_no_target_is_an_answer_saying_so_never_a_zero(org, engine, sign_in, clock):
    period = f"{clock.now:%Y-%m}"  # the default: this month
    # No plan applies: a normal answer saying so (200, `plan` null), with no figures at all rather than zeros.
    for email, user in (("rep1@example.com", "rep1"), ("lead1@example.com", "lead1")):
        response = sign_in(email).get("/api/v1/commissions/estimate")
        assert (response.status_code, response.json()) == (
            200,
            {
                "user_id": org.user(user),
                "period": period,
                "plan": None,
                "missing": "commission_plan",
                "as_of": clock.now.isoformat(),
            },
        ), response.text
    # The statement has nothing to compute with: still a conflict there.
    statement = _statement(sign_in("rep1@example.com"))
    assert (statement.status_code, statement.json()["code"]) == (409, "no_commission_plan")
    # A plan applies but the period has no revenue target: the plan named, the target missing, no figures.
    _plan(sign_in("boss@example.com"), org)
    response = sign_in("rep1@example.com").get("/api/v1/commissions/estimate")
    assert (response.status_code, response.json()) == (
        200,
        {
            "user_id": org.user("rep1"),
            "period": period,
            "plan": {"name": "Field 2026", "mode": "marginal", "tiers": TIERS_STORED},
            "missing": "revenue_goal",
            "as_of": clock.now.isoformat(),
        },
    ), response.text
    # A statement refuses it still.
    statement = _statement(sign_in("rep1@example.com"))
    assert (statement.status_code, statement.json()["code"]) == (409, "no_revenue_goal")
    # With a revenue target for the period, the figures.
    with Session(engine, expire_on_commit=False) as session:
        goal(
            session, actor(session, org.user("boss")), ("user", org.user("rep1")), "revenue", period, "100000", NOW
        )
        session.commit()
    response = sign_in("rep1@example.com").get("/api/v1/commissions/estimate")
    assert response.status_code == 200 and "missing" not in response.json(), response.text
    assert (response.json()["plan"]["name"], response.json()["target"]) == ("Field 2026", "100000.00")


@both_databases
def test_a_deal_won_late_into_an_issued_period_is_paid_back_in_the_next(org, engine, sign_in, clock):
    boss = sign_in("boss@example.com")
    _plan(boss, org)
    _october_won_100_percent(engine, org)
    issued = boss.post(
        "/api/v1/commissions/statements/issue", json={"user_id": org.user("rep1"), "period": "2026-10"}
    )
    assert (issued.status_code, issued.json()["total"], issued.json()["back_pay"]) == (201, "3400.00", "0")
    # In November the rep records deal c as won on 28 October (late), and wins 30 000 in November.
    with Session(engine, expire_on_commit=False) as session:
        rep = actor(session, org.user("rep1"))
        shop = customer(session, rep, NOW, "晚到客户")
        late = deal(session, rep, shop, "25000", "won", "2026-10-28T10:00:00+08:00", NOW)
        deal(session, rep, shop, "30000", "won", "2026-11-03T10:00:00+08:00", NOW)
        session.commit()
    october = _statement(boss, user_id=org.user("rep1"), period="2026-10").json()
    assert (october["status"], october["total"], october["revenue"]) == ("issued", "3400.00", "100000.00")
    november = _statement(sign_in("rep1@example.com"), period="2026-11").json()
    tiers, (back_pay,) = november["lines"][:-1], november["lines"][-1:]
    assert [(line["base"], line["amount"]) for line in tiers] == [("30000.00", "900.00")]
    # October now earns 80 000 x 3 % + 20 000 x 5 % + 25 000 x 8 % = 5400 of which 3400 was paid.
    assert back_pay == {
        "kind": "back_pay",
        "period": "2026-10",
        "statement_id": issued.json()["id"],
        "paid": "3400.00",
        "revenue_paid": "100000.00",
        "revenue_now": "125000.00",
        "owed_now": "5400.00",
        "adjusted_before": "0",
        "deals": [{"id": late, "title": back_pay["deals"][0]["title"], "amount": "25000.00"}],
        "amount": "2000.00",
    }
    assert (november["commission"], november["clawback"], november["back_pay"], november["total"]) == (
        "900.00",
        "0",
        "2000.00",
        "2900.00",
    )
    assert Decimal(november["total"]) == Decimal("900.00") + Decimal("2000.00")
    # Issued, November keeps its back-pay line; December pays nothing twice.
    clock.now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    done = boss.post(
        "/api/v1/commissions/statements/issue", json={"user_id": org.user("rep1"), "period": "2026-11"}
    ).json()
    assert (done["back_pay"], done["total"], done["lines"][-1]["kind"]) == ("2000.00", "2900.00", "back_pay")
    december = _statement(boss, user_id=org.user("rep1"), period="2026-12").json()
    assert [line["kind"] for line in december["lines"]] == ["tier"]
    # Deal c lost after all: what was paid back comes back, to the cent, and no more.
    with Session(engine, expire_on_commit=False) as session:
        rep = actor(session, org.user("rep1"))
        opportunity = session.get(Opportunity, late)
        assert opportunity is not None
        advance(session, rep, opportunity, "lost", datetime.fromisoformat("2026-12-01T10:00:00+08:00"), clock.now)
        session.commit()
    december = _statement(boss, user_id=org.user("rep1"), period="2026-12").json()
    (clawback,) = [line for line in december["lines"] if line["kind"] != "tier"]
    assert (clawback["kind"], clawback["owed_now"], clawback["adjusted_before"], clawback["amount"]) == (
        "clawback",
        "3400.00",
        "2000.00",
        "-2000.00",
    )
    assert [(d["id"], d["amount"], d["stage"]) for d in clawback["deals"]] == [(late, "25000.00", "lost")]
    assert (december["clawback"], december["back_pay"]) == ("2000.00", "0")


def test_a_manager_edits_a_plans_tiers_and_mode_and_the_draft_follows(org, engine, sign_in, clock):
    boss = sign_in("boss@example.com")
    plan_id = _plan(boss, org)
    _october_won_100_percent(engine, org)
    tiers = [{"up_to_attainment": "0.5", "rate": "0.02"}, {"up_to_attainment": None, "rate": "0.06"}]
    edited = boss.patch(f"/api/v1/commissions/plans/{plan_id}", json={"mode": "whole", "tiers": tiers})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["mode"], edited.json()["name"]) == ("whole", "Field 2026")
    assert edited.json()["tiers"] == [
        {"up_to_attainment": "0.5000", "rate": "0.0200"},
        {"up_to_attainment": None, "rate": "0.0600"},
    ]
    # Whole mode, 100 % is in the top tier: 100 000 x 6 %.
    body = _statement(boss, user_id=org.user("rep1"), period="2026-10").json()
    assert [(line["tier"], line["base"], line["amount"]) for line in body["lines"]] == [
        (2, "100000.00", "6000.00")
    ]
    clock.advance(minutes=1)  # the trail is newest first: the rename comes a minute after the first edit
    renamed = boss.patch(f"/api/v1/commissions/plans/{plan_id}", json={"name": "Field 2027"})
    assert (renamed.json()["name"], renamed.json()["mode"]) == ("Field 2027", "whole")
    trail = boss.get("/api/v1/audit", params={"entity": "commission_plan", "record_id": plan_id}).json()
    assert [(e["action"], sorted(e["after"])) for e in trail] == [
        ("commission_plan.update", ["name"]),
        ("commission_plan.update", ["mode", "tiers"]),
    ]
    assert trail[1]["before"]["mode"] == "marginal"


def test_editing_a_plan_refuses_bad_input_and_changes_nothing(org, sign_in):
    boss = sign_in("boss@example.com")
    plan_id = _plan(boss, org)
    url = f"/api/v1/commissions/plans/{plan_id}"
    cases: list[tuple[Any, set[tuple[str, str]]]] = [
        ({}, {("body", "required")}),
        ([], {("body", "wrong_type")}),
        ({"name": "  "}, {("name", "required")}),
        ({"name": "x" * 100_000}, {("name", "too_long")}),
        ({"name": 7}, {("name", "wrong_type")}),
        ({"mode": "progressive"}, {("mode", "invalid_choice")}),
        ({"unit_id": org.unit("team1")}, {("unit_id", "not_writable")}),
        ({"color": "red"}, {("color", "unknown_field")}),
        ({"tiers": []}, {("tiers", "out_of_range")}),
        ({"tiers": "0.03"}, {("tiers", "out_of_range")}),
        ({"tiers": [{"up_to_attainment": None, "rate": "1.5"}]}, {("tiers.0.rate", "out_of_range")}),
        ({"tiers": [{"up_to_attainment": None, "rate": "-0.01"}]}, {("tiers.0.rate", "out_of_range")}),
        ({"tiers": [{"up_to_attainment": None, "rate": 0.03}]}, {("tiers.0.rate", "wrong_type")}),
        ({"tiers": [{"up_to_attainment": None}]}, {("tiers.0.rate", "required")}),
        ({"tiers": [{"rate": "0.03"}]}, {("tiers.0.up_to_attainment", "required")}),
        (
            {"tiers": [{"up_to_attainment": "0.8", "rate": "0.03"}]},
            {("tiers.0.up_to_attainment", "top_tier_open")},
        ),
        (
            {"tiers": [{"up_to_attainment": None, "rate": "0.03"}, {"up_to_attainment": None, "rate": "0.05"}]},
            {("tiers.0.up_to_attainment", "tiers_not_ascending")},
        ),
        (
            {
                "tiers": [
                    {"up_to_attainment": "0.8", "rate": "0.03"},
                    {"up_to_attainment": "0.8", "rate": "0.05"},
                    {"up_to_attainment": None, "rate": "0.08"},
                ]
            },
            {("tiers.1.up_to_attainment", "tiers_not_ascending")},
        ),
        ({"tiers": [{"up_to_attainment": None, "rate": "0.01"}] * 11}, {("tiers", "out_of_range")}),
    ]
    for body, expected in cases:
        response = boss.patch(url, json=body)
        assert response.status_code == 422, (body, response.text)
        got = {(e["field"], e["code"]) for e in response.json()["errors"]}
        assert expected <= got, (body, got)
        assert all(e["message"] for e in response.json()["errors"])
    (plan,) = boss.get("/api/v1/commissions/plans").json()
    assert (plan["name"], plan["mode"], plan["tiers"]) == ("Field 2026", "marginal", TIERS_STORED)
    zh = boss.patch(url, json={"mode": "x"}, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 422


TIERS_STORED = [
    {"up_to_attainment": "0.8000", "rate": "0.0300"},
    {"up_to_attainment": "1.0000", "rate": "0.0500"},
    {"up_to_attainment": None, "rate": "0.0800"},
]


def test_only_managers_of_the_plans_unit_edit_it_others_see_not_found(org, sign_in):
    plan_id = _plan(sign_in("boss@example.com"), org)
    body = {"name": "mine now"}
    # Setting pay is a manager's job: reps and leads are refused outright.
    for email in ("rep1@example.com", "lead1@example.com"):
        assert sign_in(email).patch(f"/api/v1/commissions/plans/{plan_id}", json=body).status_code == 403, email
    # A manager below the plan's unit sees it but does not set it.
    east = sign_in("eastmgr@example.com")
    assert east.patch(f"/api/v1/commissions/plans/{plan_id}", json=body).status_code == 403
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        response = sign_in("boss@example.com").patch(f"/api/v1/commissions/plans/{unknown}", json=body)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
