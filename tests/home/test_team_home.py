"""A lead's home (GET /home/team): figures checked by hand on a small team, around the team's midnight.

The clock's day is Friday 20 November 2026 in Shanghai (tests/conftest.py `clock`). November 2026 has 21
working days (no holidays; the 1st is a Sunday); before the 20th, 14 of them have passed, 7 are left
counting the 20th itself (today's work is not done yet). So a goal of T expects T × 14 / 21 by today.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from backend.home.service import needed_per_day
from backend.kpi.engine import Tally, figures
from backend.kpi.workdays import WorkCalendar
from backend.periods import parse_period, period_containing
from backend.sync.models import SyncClient
from backend.visits.models import Visit
from backend.visits.service import propose_amendment
from tests.conftest import both_databases
from tests.factories import add_user
from tests.kpi.helpers import actor, customer, deal, goal, visit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(day, hour, minute=0):
    """A local Shanghai time of `day`, in RFC 3339."""
    return datetime.combine(day, time(hour, minute), SHANGHAI).isoformat()


def _seed(org, engine, clock):
    """team1 as the lead finds it at 23:50 on the clock's day:

    - rep1: visits goal 22; approved on the six days before today and at 00:10 today (7 approved); one
      submitted at 23:55 yesterday (the oldest waiting) and one at 23:40 today; an amendment waiting.
      Expected by today 22 × 14 / 21 = 14.67, pace 7 / 14.67 = 0.4772: behind. Needed (22 − 7) / 7 = 2.14…
      a day: 3 whole visits.
    - rep2: revenue goal 100000, 50000 won. Expected 66666.67, pace 0.7500: behind. Needed 50000 / 7 =
      7142.857… yuan a day: 7142.86. Visits goal 6 with 4 approved: expected 4.00, pace 1.0000, on pace.
    - rep6 (a new rep): no goal, no visit, no phone.
    """
    today = clock.now.astimezone(SHANGHAI).date()
    clock.now = datetime.combine(today + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC) - timedelta(
        minutes=10
    )
    now = clock.now
    month = period_containing("month", today).key
    with Session(engine, expire_on_commit=False) as session:
        add_user(session, org, "rep6", "rep", "team1")
        lead = actor(session, org.user("lead1"))
        rep1, rep2 = actor(session, org.user("rep1")), actor(session, org.user("rep2"))
        goal(session, lead, ("user", rep1.id), "visits", month, "22", now)
        goal(session, lead, ("user", rep2.id), "revenue", month, "100000", now)
        goal(session, lead, ("user", rep2.id), "visits", month, "6", now)
        shop = customer(session, rep1, now)
        approved = [
            visit(session, rep1, lead, shop, _local(today - timedelta(days=n), 10), 4, now) for n in range(1, 7)
        ]
        visit(session, rep1, lead, shop, _local(today, 0, 10), 5, now)
        oldest = visit(session, rep1, lead, shop, _local(today - timedelta(days=1), 23, 55), 4, now, approve=None)
        visit(session, rep1, lead, shop, _local(today, 23, 40), 4, now, approve=None)
        propose_amendment(session, rep1, session.get_one(Visit, approved[0]), {"notes": "补充"}, now)
        market = customer(session, rep2, now, "上海华联超市")
        for n in range(8, 12):
            visit(session, rep2, lead, market, _local(today - timedelta(days=n), 10), 4, now)
        deal(session, rep2, market, "50000.00", "won", _local(today - timedelta(days=3), 15), now)
        # rep1's phone synced yesterday; rep2's a day and a half ago; rep6 never had one.
        session.add(SyncClient(client_id="rep1-phone", user_id=rep1.id, last_seen_at=now - timedelta(days=1)))
        session.add(SyncClient(client_id="rep2-old", user_id=rep2.id, last_seen_at=now - timedelta(days=9)))
        session.add(SyncClient(client_id="rep2-new", user_id=rep2.id, last_seen_at=now - timedelta(hours=36)))
        session.commit()
    return month, oldest


def _home(api, **params):
    response = api.get("/api/v1/home/team", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@both_databases
def test_the_leads_home_shows_what_waits_who_is_behind_todays_visits_and_silent_phones(
    org, engine, sign_in, clock
):
    month, oldest = _seed(org, engine, clock)
    today = clock.now.astimezone(SHANGHAI).date()
    home = _home(sign_in("lead1@example.com"))
    assert (home["unit_id"], home["today"], home["period"], home["behind_below"]) == (
        org.unit("team1"),
        today.isoformat(),
        month,
        0.85,
    )
    approvals = home["approvals"]
    assert (approvals["visits"], approvals["oldest_visit_id"], approvals["amendments"]) == (2, oldest, 1)
    waited = datetime.fromisoformat(home["approvals"]["oldest_check_in_at"])
    assert waited == datetime.combine(today - timedelta(days=1), time(23, 55), SHANGHAI)
    assert [
        (r["name"], r["metric"], r["actual"], r["expected_by_today"], r["pace"], r["needed_per_working_day"])
        for r in home["behind"]
    ] == [
        ("Rep1", "visits", "7", "14.67", 0.4772, "3"),
        ("Rep2", "revenue", "50000.00", "66666.67", 0.75, "7142.86"),
    ]
    assert {r["working_days_left"] for r in home["behind"]} == {7}
    # Today in Shanghai: rep1's 00:10 (approved) and 23:40 (waiting); yesterday's 23:55 is not today's, though
    # it is the same UTC day as 00:10.
    assert [(r["name"], r["visits"], r["approved"]) for r in home["visits_today"]] == [
        ("Rep1", 2, 1),
        ("Rep2", 0, 0),
        ("Rep6", 0, 0),
    ]
    assert [(r["name"], r["last_seen_at"]) for r in home["not_synced"]] == [("Rep6", None)]

    # Twenty minutes later it is tomorrow in Shanghai: nobody has visited anyone yet.
    clock.advance(minutes=20)
    home = _home(sign_in("lead1@example.com"))
    assert home["today"] == (today + timedelta(days=1)).isoformat()
    assert [r["visits"] for r in home["visits_today"]] == [0, 0, 0]

    # Two days on, rep1's phone (last seen a day before) and rep2's (a day and a half) have gone quiet too.
    clock.advance(days=2)
    quiet = _home(sign_in("lead1@example.com"))["not_synced"]
    assert [r["name"] for r in quiet] == ["Rep6", "Rep2", "Rep1"]
    assert datetime.fromisoformat(quiet[1]["last_seen_at"]) == clock.now - timedelta(days=2, minutes=20, hours=36)


@both_databases
def test_who_may_open_a_teams_home(org, engine, sign_in, clock):
    _seed(org, engine, clock)
    team1 = {"unit_id": org.unit("team1")}
    # A manager opens any team of their subtree, and must say which.
    east = sign_in("eastmgr@example.com")
    assert _home(east, **team1)["name"] == "team1"
    needs_team = east.get("/api/v1/home/team")
    assert (needs_team.status_code, needs_team.json()["errors"][0]) == (
        422,
        {"field": "unit_id", "code": "required", "message": "is required"},
    )
    region = east.get("/api/v1/home/team", params={"unit_id": org.unit("east")})
    assert (region.status_code, region.json()["errors"][0]["code"]) == (422, "not_a_team")
    # Another team's lead, and a manager of another region: 404, as for a team that does not exist.
    with Session(engine, expire_on_commit=False) as session:
        add_user(session, org, "southmgr", "manager", "south")
        session.commit()
    for email in ("lead2@example.com", "southmgr@example.com"):
        response = sign_in(email).get("/api/v1/home/team", params=team1)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    # A rep sees their team but does not run it; a lead sees their region but does not run it.
    for email, params in (("rep1@example.com", {}), ("lead1@example.com", {"unit_id": org.unit("east")})):
        response = sign_in(email).get("/api/v1/home/team", params=params)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")


@given(
    target=st.integers(min_value=1, max_value=500),
    done=st.integers(min_value=0, max_value=600),
    today=st.integers(min_value=1, max_value=30),
)
def test_what_a_rep_needs_per_day_is_the_fewest_whole_visits_that_reach_the_target(target, done, today):
    """Doing the shown number every working day left reaches the target; one fewer does not."""
    month = parse_period("2031-05")
    day = month.start + timedelta(days=today - 1)
    result = figures("visits", Decimal(target), Tally(visits=done), month, WorkCalendar({}), day)
    shown = needed_per_day(result)
    if result.working_days_left == 0:
        assert shown is None
        return
    assert shown is not None and shown == str(int(shown))
    needed, left, missing = int(shown), result.working_days_left, max(target - done, 0)
    assert needed * left >= missing
    assert needed == 0 or (needed - 1) * left < missing
