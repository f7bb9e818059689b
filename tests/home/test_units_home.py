"""A manager's home (GET /home/units): each unit below theirs, its trend, and the units at risk.

The clock's day is Friday 20 November 2026 in Shanghai (tests/conftest.py `clock`): of November's 21 working
days 14 have passed and 7 are left, so a goal of T expects T × 14 / 21 by today.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from backend.periods import period_containing
from tests.conftest import both_databases
from tests.factories import add_user
from tests.kpi.helpers import actor, customer, deal, goal, visit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(day, hour):
    return datetime.combine(day, time(hour), SHANGHAI).isoformat()


def _seed(org, engine, clock):
    """East's two teams:

    - team1, visits: 15 this month, 11 approved (expected 10.00, pace 1.1000, attainment 0.7333); last
      month 20, 5 approved (0.25); no goal before that.
    - team2, revenue: 30000, 5000 won (expected 20000.00, pace 0.2500: at risk; 25000 / 7 = 3571.43 a day);
      visits: 10, none (pace 0: at risk; 10 / 7 = 1.43, so 2 a day); conversion: 0.5, 1 won of 4 closed
      (0.25, pace 0.5, but a ratio is never "behind").
    """
    today = clock.now.astimezone(SHANGHAI).date()
    month = period_containing("month", today)
    last = month.previous()
    with Session(engine, expire_on_commit=False) as session:
        add_user(session, org, "southmgr", "manager", "south")
        east, lead1 = actor(session, org.user("eastmgr")), actor(session, org.user("lead1"))
        team1, team2 = ("unit", org.unit("team1")), ("unit", org.unit("team2"))
        goal(session, east, team1, "visits", month.key, "15", clock.now)
        goal(session, east, team1, "visits", last.key, "20", clock.now)
        goal(session, east, team2, "revenue", month.key, "30000", clock.now)
        goal(session, east, team2, "revenue", last.key, "30000", clock.now)
        goal(session, east, team2, "visits", month.key, "10", clock.now)
        goal(session, east, team2, "conversion", month.key, "0.5", clock.now)
        for name, count in (("rep1", 6), ("rep2", 5)):
            rep = actor(session, org.user(name))
            shop = customer(session, rep, clock.now)
            for n in range(1, count + 1):
                visit(session, rep, lead1, shop, _local(today - timedelta(days=n), 10), 4, clock.now)
        rep1 = actor(session, org.user("rep1"))
        shop = customer(session, rep1, clock.now, "上海华联超市")
        for n in range(5):
            visit(session, rep1, lead1, shop, _local(last.start + timedelta(days=n + 5), 10), 4, clock.now)
        rep3 = actor(session, org.user("rep3"))
        buyer = customer(session, rep3, clock.now)
        deal(session, rep3, buyer, "5000.00", "won", _local(today - timedelta(days=2), 15), clock.now)
        for _ in range(3):
            deal(session, rep3, buyer, "800.00", "lost", _local(today - timedelta(days=3), 15), clock.now, "价格")
        session.commit()
    return month, last


def _home(api, **params):
    response = api.get("/api/v1/home/units", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@both_databases
def test_the_managers_home_shows_each_teams_trend_and_the_teams_at_risk(org, engine, sign_in, clock):
    month, last = _seed(org, engine, clock)
    home = _home(sign_in("eastmgr@example.com"))
    assert (home["unit_id"], home["period"], home["behind_below"]) == (org.unit("east"), month.key, 0.85)
    units = {u["name"]: {m["metric"]: m for m in u["metrics"]} for u in home["units"]}
    assert list(units) == ["team1", "team2"]
    visits = units["team1"]["visits"]
    assert (visits["actual"], visits["expected_by_today"], visits["attainment"], visits["pace"]) == (
        "11",
        "10.00",
        0.7333,
        1.1,
    )
    assert visits["at_risk"] is False
    # Six months, oldest first: nothing before last month's goal.
    assert [(p["period"], p["attainment"]) for p in visits["trend"]][-2:] == [
        (last.key, 0.25),
        (month.key, 0.7333),
    ]
    assert [p["attainment"] for p in visits["trend"]][:4] == [None] * 4
    assert len({p["period"] for p in visits["trend"]}) == 6
    assert list(units["team2"]) == ["revenue", "visits", "conversion"]
    assert [p["attainment"] for p in units["team2"]["revenue"]["trend"]][-2:] == [0.0, 0.1667]
    conversion = units["team2"]["conversion"]
    assert (conversion["actual"], conversion["pace"], conversion["at_risk"]) == ("0.2500", 0.5, False)
    assert [
        (r["name"], r["metric"], r["actual"], r["pace"], r["needed_per_working_day"]) for r in home["at_risk"]
    ] == [
        ("team2", "visits", "0", 0.0, "2"),
        ("team2", "revenue", "5000.00", 0.25, "3571.43"),
    ]
    # The company's manager sees the regions; east adds up its teams' work, with no goal of its own.
    regions = _home(sign_in("boss@example.com"))
    assert [(u["name"], u["metrics"]) for u in regions["units"]] == [("east", []), ("south", [])]


@both_databases
def test_only_managers_open_the_units_home_and_only_for_units_they_run(org, engine, sign_in, clock):
    _seed(org, engine, clock)
    east = {"unit_id": org.unit("east")}
    south = sign_in("southmgr@example.com").get("/api/v1/home/units", params=east)
    assert (south.status_code, south.json()["code"]) == (404, "not_found")
    for email, params in (
        ("lead1@example.com", {}),
        ("rep1@example.com", east),
        ("eastmgr@example.com", {"unit_id": org.unit("company")}),  # above them: seen, not theirs
    ):
        response = sign_in(email).get("/api/v1/home/units", params=params)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden"), email
    bad = sign_in("eastmgr@example.com").get("/api/v1/home/units", params={"unit_id": "east", "period": "Q4"})
    assert {e["field"] for e in bad.json()["errors"]} == {"unit_id", "period"}
