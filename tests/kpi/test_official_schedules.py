"""China's holidays after chinesecalendar's last year: estimated until an admin enters the official notice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEntry
from backend.kpi.models import OfficialSchedule, Progress
from backend.kpi.service import progress_id
from tests.conftest import both_databases
from tests.kpi.helpers import actor, customer, deal, goal

# Wednesday 3 February 2027, 10:00 in Shanghai: two working days (Mon 1, Tue 2) of February are done.
FEB_3_2027 = datetime(2027, 2, 3, 2, 0, tzinfo=UTC)
# A notice as the State Council might publish it: Fri 5 to Fri 12 off, Saturday 20 worked instead.
NOTICE_2027 = {
    "days_off": [f"{FEB_3_2027.year}-01-01", *(f"2027-02-{d:02d}" for d in range(5, 13)), "2027-10-01"],
    "make_up_workdays": ["2027-02-20"],
}


def _put(api: Any, year: int | str, body: Any) -> Any:
    return api.client.put(f"/api/v1/calendars/official/{year}", json=body, headers=api.headers())


def _february_progress(api: Any) -> dict[str, Any]:
    [figures] = api.get("/api/v1/progress", params={"period": "2027-02"}).json()
    return figures


def test_the_calendar_says_2027_is_estimated_and_2026_official(org, sign_in):
    rep = sign_in("rep1@example.com")
    team = f"/api/v1/calendars/{org.unit('team1')}"

    estimated = rep.get(team, params={"year": 2027}).json()
    assert (estimated["holidays"], estimated["holidays_source"]) == ("estimated", "estimate")
    sources = {d["date"]: (d["working"], d["source"]) for d in estimated["days"]}
    assert sources["2027-02-05"] == (False, "estimated")  # New Year's Eve, a Friday
    official = rep.get(team, params={"year": 2026}).json()
    assert (official["holidays"], official["holidays_source"]) == ("official", "chinesecalendar")
    assert {d["source"] for d in official["days"]} == {"official"}

    schedule = rep.get("/api/v1/calendars/official/2027").json()
    assert schedule["holidays"] == "estimated"
    assert [d for d in schedule["days_off"] if d.startswith("2027-02")] == [
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-02-09",
        "2027-02-10",
    ]
    assert schedule["make_up_workdays"] == []
    assert (schedule["entered_by"], schedule["entered_at"]) == (None, None)


@both_databases
def test_february_2027_pace_counts_the_spring_festival_and_then_the_entered_notice(org, engine, sign_in, clock):
    clock.now = FEB_3_2027
    with Session(engine, expire_on_commit=False) as session:
        lead, rep = actor(session, org.user("lead1")), actor(session, org.user("rep1"))
        goal(session, lead, ("user", rep.id), "revenue", "2027-02", "16000", FEB_3_2027)
        deal(
            session,
            rep,
            customer(session, rep, FEB_3_2027),
            "1000",
            "won",
            "2027-02-01T10:00:00+08:00",
            FEB_3_2027,
        )
        session.commit()
    rep_api = sign_in("rep1@example.com")

    # The estimate: 20 weekdays less Fri 5 and Mon 8 to Wed 10 is 16 working days, 2 done and 14 left.
    before = _february_progress(rep_api)
    assert (before["working_days_total"], before["working_days_left"]) == (16, 14)
    assert before["expected_by_today"] == "2000.00"  # 16000 x 2 / 16 (Monday to Friday alone: 1600.00)
    assert before["pace"] == 0.5
    assert before["forecast"] == "8000.00"  # 1000 + 500 a day x 14
    assert before["needed_per_working_day"] == "1071.43"  # 15000 / 14, rounded up (Monday to Friday: 833.34)

    admin = sign_in("admin@example.com")
    entered = _put(admin, 2027, NOTICE_2027)
    assert entered.status_code == 200, entered.text
    assert (entered.json()["holidays"], entered.json()["holidays_source"]) == ("official", "entered")
    assert entered.json()["days_off"] == NOTICE_2027["days_off"]
    assert entered.json()["entered_by"] == org.user("admin")

    # The notice: 20 weekdays less Fri 5 and Mon 8 to Fri 12, plus Saturday 20: 15 working days, 13 left.
    after = _february_progress(rep_api)
    assert (after["working_days_total"], after["working_days_left"]) == (15, 13)
    assert after["needed_per_working_day"] == "1153.85"  # 15000 / 13
    team = admin.get(f"/api/v1/calendars/{org.unit('team1')}", params={"year": 2027}).json()
    assert (team["holidays"], team["holidays_source"]) == ("official", "entered")
    assert {d["date"]: d["working"] for d in team["days"]}["2027-02-20"] is True
    with Session(engine) as session:
        # The synced progress record was rewritten in the same request, and the change is audited.
        record = session.get(Progress, progress_id("user", org.user("rep1"), "revenue", "2027-02"))
        assert record is not None and record.working_days_total == 15
        [audit] = session.scalars(select(AuditEntry).where(AuditEntry.entity == "official_schedule")).all()
        assert (audit.actor_id, audit.action, audit.record_id) == (
            org.user("admin"),
            "calendar.official_schedule",
            "2027",
        )
        assert audit.before["holidays_source"] == "estimate" and "2027-02-05" in audit.before["days_off"]
        assert audit.after == {"holidays_source": "entered", **NOTICE_2027}

    # Entering the same notice again changes nothing and is not audited twice.
    assert _put(admin, 2027, NOTICE_2027).status_code == 200
    with Session(engine) as session:
        assert len(session.scalars(select(AuditEntry).where(AuditEntry.entity == "official_schedule")).all()) == 1


@pytest.mark.parametrize("who", ["boss@example.com", "lead1@example.com", "rep1@example.com"])
def test_only_an_admin_enters_an_official_schedule(org, engine, sign_in, who):
    refused = _put(sign_in(who), 2027, NOTICE_2027)

    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    with Session(engine) as session:
        assert session.scalars(select(OfficialSchedule)).all() == []


@pytest.mark.parametrize(
    ("year", "body", "broken"),
    [
        (2027, {"days_off": ["2026-02-16"], "make_up_workdays": []}, {("days_off[0]", "not_in_year")}),
        (
            2027,
            {"days_off": ["2027-02-05", "2027-02-08"], "make_up_workdays": ["2027-02-20", "2027-02-08"]},
            {("make_up_workdays[1]", "in_both_lists")},
        ),
        (2027, {"days_off": ["2027-02-05", "2027-02-05"], "make_up_workdays": []}, {("days_off[1]", "duplicate")}),
        (
            2027,
            {"days_off": "2027-02-05", "make_up_workdays": [20270220, None, "2027-02-30"]},
            {
                ("days_off", "wrong_type"),
                ("make_up_workdays[0]", "wrong_type"),
                ("make_up_workdays[1]", "required"),
                ("make_up_workdays[2]", "wrong_type"),
            },
        ),
        (2027, {}, {("days_off", "required"), ("make_up_workdays", "required")}),
        (
            2027,
            {"days_off": [], "make_up_workdays": [], "year": 2027},
            {("days_off", "required"), ("year", "unknown_field")},
        ),
        (1999, NOTICE_2027, {("year", "out_of_range")}),
    ],
)
def test_a_bad_schedule_answers_422_naming_the_field_and_changes_nothing(org, engine, sign_in, year, body, broken):
    admin = sign_in("admin@example.com")

    refused = _put(admin, year, body)

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "validation_failed"
    assert {(e["field"], e["code"]) for e in problem["errors"]} == broken
    assert all(e["message"] for e in problem["errors"])
    assert admin.get("/api/v1/calendars/official/2027").json()["holidays"] == "estimated"
    with Session(engine) as session:
        assert session.scalars(select(OfficialSchedule)).all() == []
        assert session.scalars(select(AuditEntry).where(AuditEntry.entity == "official_schedule")).all() == []


def test_a_request_without_a_body_answers_422_naming_the_body(org, sign_in):
    admin = sign_in("admin@example.com")
    headers = admin.headers({"Content-Type": "application/json"})

    refused = admin.client.put("/api/v1/calendars/official/2027", content=b"", headers=headers)

    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("body", "required")]


def test_a_schedule_error_names_the_rule_in_the_callers_language(org, sign_in):
    refused = _put(sign_in("rep2@example.com"), 2027, NOTICE_2027)
    assert refused.json()["title"] == "您无权执行此操作"
    admin = sign_in("admin@example.com")
    both = _put(admin, 2027, {"days_off": ["2027-02-20"], "make_up_workdays": ["2027-02-20"]})
    # The message names the other list's row as a form counts it, never its path (`days_off[0]`).
    assert both.json()["errors"][0]["message"] == (
        "is also a day off (row 1 of the days off): a day is off or working, not both"
    )
    twice = _put(admin, 2027, {"days_off": ["2027-02-05", "2027-02-06", "2027-02-05"], "make_up_workdays": []})
    assert [(e["field"], e["message"]) for e in twice.json()["errors"]] == [("days_off[2]", "repeats row 1")]
    outside = _put(admin, 2027, {"days_off": ["2028-01-01"], "make_up_workdays": []})
    assert outside.json()["errors"][0]["message"] == "must be a date in 2027"
