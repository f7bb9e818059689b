"""An improvement plan's exit criteria are at most 20: more are refused with the limit, naming the field,
never silently cut to the first 20; nothing is stored."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.org.models import User
from tests.coaching.test_write_paths import _counts


def _criteria(n: int) -> list[dict[str, Any]]:
    return [
        {"metric": "revenue", "period": "2026-11", "min_attainment": round(0.5 + i / 100_000, 5)} for i in range(n)
    ]


def _plan(org: Any, exit_criteria: Any, today: date) -> dict[str, Any]:
    return {
        "rep_id": org.user("rep1"),
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=41)).isoformat(),
        "exit_criteria": exit_criteria,
    }


@pytest.mark.parametrize("count", [21, 10_000])
def test_more_exit_criteria_than_the_limit_are_refused_not_cut(org, sign_in, clock, engine, count):
    before = _counts(engine)
    response = sign_in("lead1@example.com").post(
        "/api/v1/plans", json=_plan(org, _criteria(count), clock.now.date())
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "exit_criteria", "code": "too_many", "message": "at most 20 at once"}
    ]
    assert _counts(engine) == before


def test_the_limit_speaks_the_callers_language(org, sign_in, clock, engine):
    with Session(engine) as session:
        session.execute(update(User).where(User.id == org.user("lead1")).values(locale="zh-CN"))
        session.commit()
    response = sign_in("lead1@example.com").post("/api/v1/plans", json=_plan(org, _criteria(21), clock.now.date()))
    assert response.json()["errors"] == [
        {"field": "exit_criteria", "code": "too_many", "message": "一次最多 20 条"}
    ]


def test_twenty_exit_criteria_are_all_kept(org, sign_in, clock):
    response = sign_in("lead1@example.com").post("/api/v1/plans", json=_plan(org, _criteria(20), clock.now.date()))
    assert response.status_code == 201, response.text
    assert len(response.json()["exit_criteria"]) == 20


@pytest.mark.parametrize(
    ("exit_criteria", "code", "message"),
    [
        ("revenue", "wrong_type", "must be a list"),
        ({"metric": "revenue"}, "wrong_type", "must be a list"),
        (7, "wrong_type", "must be a list"),
        ([], "required", "is required"),
        (None, "required", "is required"),
    ],
)
def test_exit_criteria_of_the_wrong_shape_name_the_field(
    org, sign_in, clock, engine, exit_criteria, code, message
):
    before = _counts(engine)
    response = sign_in("lead1@example.com").post("/api/v1/plans", json=_plan(org, exit_criteria, clock.now.date()))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "exit_criteria", "code": code, "message": message}]
    assert _counts(engine) == before
