"""Every coaching write the desks use, fed bad input and other people's ids: a clear error naming the field,
in the caller's language, nothing changed; someone else's record answers exactly like a missing one."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from sqlmodel import col, func, select

from backend.audit.models import AuditEntry
from backend.coaching.models import ImprovementPlan, PlanAction, Review, ReviewDimension
from tests.coaching.test_reviews import NOW, _november, _open
from tests.kpi.helpers import actor, goal

# A plan's days, from the test clock's today (NOW is the instant tests/conftest.py's `clock` starts at).
STARTS_ON = NOW.date().isoformat()
ENDS_ON = (NOW.date() + timedelta(days=41)).isoformat()
DUE_ON = (NOW.date() + timedelta(days=5)).isoformat()
MONTH = f"{NOW:%Y-%m}"

HUGE = "长" * 100_000
MISSING = str(uuid.uuid4())


def _counts(engine: Any) -> tuple[int, ...]:
    """How many rows each coaching table holds, and the audit trail: a refused write changes none."""
    with Session(engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Review, ImprovementPlan, PlanAction, ReviewDimension, AuditEntry)
        )


def _refused(response: Any, field: str, code: str | None = None) -> None:
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert field in {e["field"] for e in errors}, errors
    if code is not None:
        assert code in {e["code"] for e in errors if e["field"] == field}, errors
    assert all(e["message"] for e in errors)


def _plan(lead: Any, org: Any) -> dict[str, Any]:
    created = lead.post(
        "/api/v1/plans",
        json={
            "rep_id": org.user("rep1"),
            "starts_on": STARTS_ON,
            "ends_on": ENDS_ON,
            "exit_criteria": [{"metric": "revenue", "period": MONTH, "min_attainment": 0.7}],
        },
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


PLAN_BODIES: list[tuple[Any, str, str | None]] = [
    ({}, "rep_id", "required"),
    ([], "body", "wrong_type"),
    ({"rep_id": 7, "starts_on": STARTS_ON, "ends_on": ENDS_ON}, "rep_id", "wrong_type"),
    ({"rep_id": "x", "starts_on": STARTS_ON, "ends_on": ENDS_ON}, "rep_id", "wrong_type"),
    ({"rep_id": "{rep1}", "goal": HUGE, "starts_on": STARTS_ON, "ends_on": ENDS_ON}, "goal", "too_long"),
    ({"rep_id": "{rep1}", "starts_on": f"{NOW:%d.%m.%Y}", "ends_on": ENDS_ON}, "starts_on", None),
    ({"rep_id": "{rep1}", "starts_on": STARTS_ON, "ends_on": ENDS_ON}, "exit_criteria", "required"),
    (
        {
            "rep_id": "{rep1}",
            "starts_on": STARTS_ON,
            "ends_on": ENDS_ON,
            "exit_criteria": [{"metric": "revenue", "period": MONTH, "min_attainment": 11}],
        },
        "exit_criteria[0].min_attainment",
        "out_of_range",
    ),
    (
        {
            "rep_id": "{rep1}",
            "starts_on": STARTS_ON,
            "ends_on": ENDS_ON,
            "exit_criteria": [{"metric": "charm", "period": "2026-13", "min_attainment": "x"}],
        },
        "exit_criteria[0].metric",
        "invalid_choice",
    ),
    (
        {
            "rep_id": "{rep1}",
            "starts_on": ENDS_ON,
            "ends_on": STARTS_ON,
            "exit_criteria": [{"metric": "revenue", "period": MONTH, "min_attainment": 0.7}],
        },
        "ends_on",
        "out_of_range",
    ),
]


def _fill(body: Any, org: Any) -> Any:
    if isinstance(body, dict) and body.get("rep_id") == "{rep1}":
        return body | {"rep_id": org.user("rep1")}
    return body


@pytest.mark.parametrize(("body", "field", "code"), PLAN_BODIES)
def test_opening_a_plan_refuses_bad_input(org, sign_in, engine, body, field, code):
    lead = sign_in("lead1@example.com")
    before = _counts(engine)
    _refused(lead.post("/api/v1/plans", json=_fill(body, org)), field, code)
    assert _counts(engine) == before


def test_plan_actions_and_closing_refuse_bad_input_and_other_teams(org, sign_in, engine):
    lead = sign_in("lead1@example.com")
    plan = _plan(lead, org)
    url = f"/api/v1/plans/{plan['id']}"
    before = _counts(engine)
    good = {"kind": "coaching", "title": "1:1", "due_on": DUE_ON}
    for body, field, code in [
        ({}, "kind", "required"),
        ("coaching", "body", "wrong_type"),
        (good | {"kind": "nap"}, "kind", "invalid_choice"),
        (good | {"title": ""}, "title", "required"),
        (good | {"title": HUGE}, "title", "too_long"),
        (good | {"title": 12}, "title", "wrong_type"),
        (good | {"notes": HUGE}, "notes", "too_long"),
        (good | {"due_on": "tomorrow"}, "due_on", None),
        (good | {"due_on": int(f"{NOW:%Y%m%d}")}, "due_on", None),
        (good | {"done_on": "2026-02-30"}, "done_on", None),
        (good | {"plan_id": MISSING}, "plan_id", "unknown_field"),
    ]:
        _refused(lead.post(f"{url}/actions", json=body), field, code)
    for body, field, code in [
        ({}, "outcome", "required"),
        ({"outcome": "great"}, "outcome", "invalid_choice"),
        ({"outcome": "met", "note": HUGE}, "note", "too_long"),
        ({"outcome": ["met"]}, "outcome", None),
    ]:
        _refused(lead.post(f"{url}/close", json=body), field, code)
    assert _counts(engine) == before

    action = lead.post(f"{url}/actions", json=good).json()
    for body, field in [({"done_on": "soon"}, "done_on"), ({"notes": HUGE}, "notes"), ({"title": None}, "title")]:
        _refused(lead.patch(f"{url}/actions/{action['id']}", json=body), field)
    # Unknown ids, and the other team's lead: not found, exactly alike.
    missing = lead.post(f"/api/v1/plans/{MISSING}/actions", json=good)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert lead.patch(f"{url}/actions/{MISSING}", json={"notes": "x"}).status_code == 404
    lead2 = sign_in("lead2@example.com")
    for method, path, body in [
        ("post", f"{url}/actions", good),
        ("patch", f"{url}/actions/{action['id']}", {"notes": "mine now"}),
        ("post", f"{url}/close", {"outcome": "met"}),
        ("get", url, None),
    ]:
        answer = getattr(lead2, method)(path, **({} if body is None else {"json": body}))
        assert (answer.status_code, answer.json()) == (404, missing.json()), (method, path)
    # The rep reads their plan but does not write it.
    rep1 = sign_in("rep1@example.com")
    assert rep1.post(f"{url}/actions", json=good).status_code == 403
    assert rep1.post(f"{url}/close", json={"outcome": "met"}).status_code == 403
    with Session(engine) as session:
        stored = session.scalars(select(PlanAction).where(PlanAction.plan_id == plan["id"])).one()
        assert (stored.notes, stored.title) == (None, "1:1")


def test_closing_a_review_refuses_drafts_missing_ratings_and_other_teams(org, sign_in, engine):
    _november(engine, org)
    lead = sign_in("lead1@example.com")
    review = _open(lead, org)
    url = f"/api/v1/reviews/{review['id']}"
    draft = lead.post(f"{url}/close")
    _refused(draft, "status", "invalid_state")
    assert lead.post(f"{url}/share").status_code == 200
    unrated = lead.post(f"{url}/close")
    _refused(unrated, "ratings.collaboration", "required")
    _refused(unrated, "ratings.customer_feedback", "required")
    assert lead.get(url).json()["status"] == "shared"
    # A shared review no longer takes ratings.
    _refused(lead.patch(url, json={"ratings": {"collaboration": 5}}), "status", "invalid_state")

    missing = lead.post(f"/api/v1/reviews/{MISSING}/close")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert lead.post("/api/v1/reviews/not-an-id/close").status_code == 404
    for email in ("lead2@example.com", "rep2@example.com", "rep3@example.com"):
        outsider = sign_in(email)
        answer, absent = outsider.post(f"{url}/close"), outsider.post(f"/api/v1/reviews/{MISSING}/close")
        assert (answer.status_code, answer.json()) == (404, absent.json()), email
    with Session(engine) as session:
        assert session.get(Review, review["id"]).status == "shared"  # type: ignore[union-attr]


def test_opening_a_review_refuses_bad_input(org, sign_in, engine):
    lead = sign_in("lead1@example.com")
    before = _counts(engine)
    for body, field, code in [
        ({}, "rep_id", "required"),
        ({"rep_id": org.user("rep1"), "period": "2026-W48"}, "period", "invalid_choice"),
        ({"rep_id": org.user("rep1"), "period": "November"}, "period", None),
        ({"rep_id": org.user("rep1"), "period": 202611}, "period", None),
        ({"rep_id": HUGE, "period": MONTH}, "rep_id", "wrong_type"),
    ]:
        _refused(lead.post("/api/v1/reviews", json=body), field, code)
    # Someone of another team, or no one: not found alike; one's own review: not allowed.
    for rep_id in (org.user("rep3"), MISSING):
        answer = lead.post("/api/v1/reviews", json={"rep_id": rep_id, "period": MONTH})
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    assert lead.post("/api/v1/reviews", json={"rep_id": org.user("lead1"), "period": MONTH}).status_code == 403
    assert _counts(engine) == before


def test_setting_a_dimension_refuses_bad_input_and_units_outside_ones_own(org, sign_in, engine):
    boss, eastmgr = sign_in("boss@example.com"), sign_in("eastmgr@example.com")
    good = {
        "unit_id": org.unit("team1"),
        "key": "punctuality",
        "source": "rating",
        "name_en": "Punctuality",
        "name_zh": "守时",
        "weight": 0.1,
    }
    before = _counts(engine)
    for body, field, code in [
        ({}, "unit_id", "required"),
        (["x"], "body", "wrong_type"),
        (good | {"weight": 101}, "weight", "out_of_range"),
        (good | {"weight": -1}, "weight", "out_of_range"),
        (good | {"weight": "heavy"}, "weight", None),
        (good | {"key": ""}, "key", "required"),
        (good | {"key": "k" * 33}, "key", "too_long"),
        (good | {"name_en": HUGE}, "name_en", "too_long"),
        (good | {"source": "gut"}, "source", "invalid_choice"),
        (good | {"source": "kpi"}, "metric", "required"),
        (good | {"metric": "revenue"}, "metric", "not_writable"),
        (good | {"active": "yes"}, "active", None),
    ]:
        _refused(boss.post("/api/v1/review-dimensions", json=body), field, code)
    # A unit outside the caller's: not found, exactly like no unit at all. Reps may not set a scorecard.
    missing = boss.post("/api/v1/review-dimensions", json=good | {"unit_id": MISSING})
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    west = eastmgr.post("/api/v1/review-dimensions", json=good | {"unit_id": org.unit("company")})
    assert (west.status_code, west.json()) == (404, missing.json())
    assert sign_in("rep1@example.com").post("/api/v1/review-dimensions", json=good).status_code == 403
    # Review dimensions are managers' alone: a lead is refused whatever the unit (tests/org/test_ranks.py).
    lead2 = sign_in("lead2@example.com").post("/api/v1/review-dimensions", json=good)
    assert (lead2.status_code, lead2.json()["code"]) == (403, "forbidden")
    assert _counts(engine) == before
    zh = boss.post("/api/v1/review-dimensions", json=good | {"weight": 101}, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 422
    with Session(engine) as session:
        assert (
            session.scalars(select(ReviewDimension).where(col(ReviewDimension.key) == "punctuality")).all() == []
        )


def test_a_plan_for_someone_else_s_rep_is_not_found(org, sign_in, engine):
    with Session(engine, expire_on_commit=False) as session:
        lead = actor(session, org.user("lead2"))
        goal(session, lead, ("user", org.user("rep3")), "revenue", MONTH, "10000", NOW)
        session.commit()
    body = {
        "rep_id": org.user("rep3"),
        "starts_on": STARTS_ON,
        "ends_on": ENDS_ON,
        "exit_criteria": [{"metric": "revenue", "period": MONTH, "min_attainment": 0.7}],
    }
    lead1 = sign_in("lead1@example.com")
    other = lead1.post("/api/v1/plans", json=body)
    missing = lead1.post("/api/v1/plans", json=body | {"rep_id": MISSING})
    assert (other.status_code, other.json()) == (404, missing.json())
    assert (
        sign_in("rep1@example.com").post("/api/v1/plans", json=body | {"rep_id": org.user("rep2")}).status_code
        == 403
    )
    assert sign_in("lead2@example.com").post("/api/v1/plans", json=body).status_code == 201
