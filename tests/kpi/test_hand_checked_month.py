"""September 2026 in Shanghai, checked by hand: a weekday holiday (Fri 25, 中秋) and a make-up workday
(Sun 20, 调休), so 22 working days. "Today" is Monday 21 September, 10:00: 15 working days have passed
(1–4, 7–11, 14–18 and Sunday 20) and 7 are left (21–24, 28–30).
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.kpi.models import Progress
from backend.kpi.service import progress_public
from tests.kpi.helpers import actor, customer, deal, goal, visit

NOW = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _september(engine, org) -> None:
    with Session(engine, expire_on_commit=False) as session:
        rep, lead = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        rep1 = ("user", org.user("rep1"))
        for metric, target in [
            ("revenue", "110000"),
            ("visits", "44"),
            ("conversion", "0.6"),
            ("satisfaction", "4.5"),
            ("new_customers", "4"),
        ]:
            goal(session, lead, rep1, metric, "2026-09", target, NOW)
        a, b, c = (customer(session, rep, NOW, name) for name in ("甲", "乙", "丙"))
        # 12 approved visits in September, 10 of them scored (sum 43): the first at 00:10 on 1 September in
        # Shanghai, which is still 31 August in UTC.
        scores = [4, 5, 4, 5, 4, 5, 4, 5, 4, 3, None, None]
        days = ["01T00:10", "02T10:00", "03T10:00", "04T10:00", "07T10:00", "08T10:00"]
        days += ["09T10:00", "10T10:00", "11T10:00", "14T10:00", "18T17:00", "20T09:00"]
        for day, score in zip(days, scores, strict=True):
            visit(session, rep, lead, a, f"2026-09-{day}+08:00", score, NOW)
        # Not counted: 23:30 on 31 August in Shanghai, one waiting for approval, one rejected.
        visit(session, rep, lead, a, "2026-08-31T23:30:00+08:00", 1, NOW)
        visit(session, rep, lead, a, "2026-09-15T10:00:00+08:00", 1, NOW, approve=None)
        visit(session, rep, lead, a, "2026-09-16T10:00:00+08:00", 1, NOW, approve=False)
        # Won 30000.00 (甲's first) and 25000.50 (乙's first), lost one; 丙 was first won in August.
        deal(session, rep, c, "9999.00", "won", "2026-08-28T15:00:00+08:00", NOW)
        deal(session, rep, a, "30000.00", "won", "2026-09-10T15:00:00+08:00", NOW)
        deal(session, rep, b, "25000.50", "won", "2026-09-18T15:00:00+08:00", NOW)
        deal(session, rep, c, "5000.00", "lost", "2026-09-15T15:00:00+08:00", NOW)
        session.commit()


EXPECTED = {
    "revenue": {
        "target": "110000.00",
        "actual": "55000.50",
        "attainment": 0.5,  # 0.500005
        "expected_by_today": "75000.00",  # 110000 × 15/22
        "pace": 0.7333,  # 55000.50 / 75000
        "forecast": "80667.40",  # 55000.50 + 55000.50/15 × 7
        "needed_per_working_day": "7857.08",  # 54999.50 / 7 = 7857.0714…, rounded up
        "working_days_left": 7,
        "working_days_total": 22,
    },
    "visits": {
        "target": "44",
        "actual": "12",
        "attainment": 0.2727,
        "expected_by_today": "30.00",  # 44 × 15/22
        "pace": 0.4,
        "forecast": "17.60",  # 12 + 12/15 × 7
        "needed_per_working_day": "4.58",  # 32 / 7 = 4.571…, rounded up
        "working_days_left": 7,
        "working_days_total": 22,
    },
    "conversion": {
        "target": "0.6000",
        "actual": "0.6667",  # 2 won of 3 closed
        "attainment": 1.1111,  # (2/3) / 0.6
        "expected_by_today": "0.6000",  # a threshold
        "pace": 1.1111,
        "forecast": "0.6667",
        "needed_per_working_day": None,
        "working_days_left": 7,
        "working_days_total": 22,
    },
    "satisfaction": {
        "target": "4.50",
        "actual": "4.30",  # 43 / 10 scored visits
        "attainment": 0.9556,
        "expected_by_today": "4.50",
        "pace": 0.9556,
        "forecast": "4.30",
        "needed_per_working_day": None,
        "working_days_left": 7,
        "working_days_total": 22,
    },
    "new_customers": {
        "target": "4",
        "actual": "2",  # 甲 and 乙; 丙's first win was in August
        "attainment": 0.5,
        "expected_by_today": "2.73",  # 4 × 15/22 = 2.7272…
        "pace": 0.7326,  # 2 / 2.73
        "forecast": "2.93",  # 2 + 2/15 × 7
        "needed_per_working_day": "0.29",  # 2 / 7, rounded up
        "working_days_left": 7,
        "working_days_total": 22,
    },
}


def test_a_hand_checked_month_with_a_holiday_and_a_make_up_workday(engine, org, sign_in, clock):
    _september(engine, org)
    clock.now = NOW
    lead = sign_in("lead1@example.com")
    response = lead.get(
        "/api/v1/progress", params={"subject_type": "user", "subject_id": org.user("rep1"), "period": "2026-09"}
    )
    assert response.status_code == 200, response.text
    figures = {p["metric"]: {k: p[k] for k in EXPECTED["revenue"]} for p in response.json()}
    assert figures == EXPECTED
    assert [p["metric"] for p in response.json()] == [
        "revenue",
        "visits",
        "conversion",
        "satisfaction",
        "new_customers",
    ]


def test_the_synced_records_carry_the_same_figures_as_the_api(engine, org, sign_in, clock):
    _september(engine, org)
    clock.now = NOW
    live = sign_in("rep1@example.com").get("/api/v1/progress", params={"period": "2026-09"}).json()
    with Session(engine) as session:
        stored = {
            p.metric: msgspec.to_builtins(progress_public(p))
            for p in session.scalars(select(Progress).where(Progress.subject_id == org.user("rep1")))
        }
    for record in live:
        synced = stored[record["metric"]]
        assert synced["id"] == record["id"]
        assert {k: synced[k] for k in EXPECTED["revenue"]} == EXPECTED[record["metric"]]


def test_the_team_and_its_region_roll_up_from_the_rep(engine, org, sign_in, clock):
    _september(engine, org)
    with Session(engine, expire_on_commit=False) as session:
        boss = actor(session, org.user("boss"))
        goal(session, boss, ("unit", org.unit("east")), "revenue", "2026-09", "200000", NOW)
        goal(session, boss, ("unit", org.unit("east")), "conversion", "2026-09", "0.5", NOW)
        session.commit()
    clock.now = NOW
    east = sign_in("eastmgr@example.com").get(
        "/api/v1/progress", params={"subject_type": "unit", "subject_id": org.unit("east"), "period": "2026-09"}
    )
    by_metric = {p["metric"]: p for p in east.json()}
    assert by_metric["revenue"]["actual"] == "55000.50"
    assert by_metric["revenue"]["attainment"] == 0.275  # 55000.50 / 200000 = 0.2750025
    assert by_metric["conversion"]["actual"] == "0.6667"
