"""Teams and regions ranked by their own goals (GET /leaderboard/units), and people's rows with their badges."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from backend.kpi.rankings import ranked
from backend.periods import period_containing
from backend.rewards.models import Badge
from tests.conftest import both_databases
from tests.factories import add_unit, add_user
from tests.kpi.helpers import actor, customer, goal, visit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _month(clock):
    return period_containing("month", clock.now.astimezone(SHANGHAI).date()).key


def _approved_visits(session, rep, reviewer, clock, count):
    """`count` approved visits of `rep`, one a day at 10:00 local on the days before the clock's today."""
    buyer = customer(session, rep, clock.now)
    today = clock.now.astimezone(SHANGHAI).date()
    for n in range(1, count + 1):
        at = f"{today - timedelta(days=n)}T10:00:00+08:00"
        visit(session, rep, reviewer, buyer, at, 4, clock.now)


def _seed(org, engine, clock):
    """East's teams: team1 and team2 at 3 of 10 visits (0.3 each), team4 at 1 of 10, team5 without a goal.
    The company's regions: east with a goal (30), south without. A manager of south, for scope."""
    with Session(engine, expire_on_commit=False) as session:
        add_unit(session, org, "team4", "team", "east")
        add_unit(session, org, "team5", "team", "east")
        add_user(session, org, "rep5", "rep", "team4")
        add_user(session, org, "southmgr", "manager", "south")
        boss, east = actor(session, org.user("boss")), actor(session, org.user("eastmgr"))
        month = _month(clock)
        for team, target in (("team1", "10"), ("team2", "10"), ("team4", "10")):
            goal(session, east, ("unit", org.unit(team)), "visits", month, target, clock.now)
        goal(session, boss, ("unit", org.unit("east")), "visits", month, "30", clock.now)
        for rep, count in (("rep1", 2), ("rep2", 1), ("rep3", 3), ("rep5", 1)):
            _approved_visits(session, actor(session, org.user(rep)), east, clock, count)
        session.commit()
    return month


def _board(api, **params):
    response = api.get("/api/v1/leaderboard/units", params=params)
    assert response.status_code == 200, response.text
    return [(row["name"], row["rank"], row["attainment"], row["target"], row["actual"]) for row in response.json()]


@both_databases
def test_teams_rank_by_their_own_goals_ties_share_a_rank_and_teams_without_a_goal_come_last(
    org, engine, sign_in, clock
):
    month = _seed(org, engine, clock)
    east = sign_in("eastmgr@example.com")
    assert _board(east, metric="visits", period=month) == [
        ("team1", 1, 0.3, "10", "3"),
        ("team2", 1, 0.3, "10", "3"),
        ("team4", 3, 0.1, "10", "1"),
        ("team5", None, None, None, None),
    ]
    # The company's regions; south has no goal.
    boss = sign_in("boss@example.com")
    assert _board(boss, metric="visits", period=month) == [
        ("east", 1, 0.2333, "30", "7"),
        ("south", None, None, None, None),
    ]
    # Every team below the company, whichever region: south's team3 has no goal either.
    assert [(name, rank) for name, rank, *_ in _board(boss, metric="visits", period=month, kind="team")] == [
        ("team1", 1),
        ("team2", 1),
        ("team4", 3),
        ("team3", None),
        ("team5", None),
    ]
    # A lead compares their team with its sister teams, theirs marked.
    rows = sign_in("lead1@example.com").get(
        "/api/v1/leaderboard/units", params={"unit_id": org.unit("east"), "metric": "visits"}
    )
    assert rows.status_code == 200, rows.text
    assert [(row["name"], row["is_mine"]) for row in rows.json()][:2] == [("team1", True), ("team2", False)]
    assert {row["period"] for row in rows.json()} == {month}  # this month by default


@both_databases
def test_another_regions_manager_gets_404_and_a_rep_is_refused(org, engine, sign_in, clock):
    _seed(org, engine, clock)
    south = sign_in("southmgr@example.com")
    for unit in ("east", "team1"):
        response = south.get("/api/v1/leaderboard/units", params={"unit_id": org.unit(unit)})
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    rep = sign_in("rep1@example.com")
    # Their own region they see, but ranking units is for the people who run them.
    refused = rep.get("/api/v1/leaderboard/units", params={"unit_id": org.unit("east")})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    # A region they do not see is 404, like one that does not exist.
    hidden = rep.get("/api/v1/leaderboard/units", params={"unit_id": org.unit("south")})
    assert hidden.status_code == 404
    bad = sign_in("eastmgr@example.com").get(
        "/api/v1/leaderboard/units", params={"kind": "company", "metric": "speed", "period": "2026-13"}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"kind", "metric", "period"}


def test_a_quarter_with_goals_only_in_its_months_ranks_by_the_months_together(org, engine, sign_in, clock):
    """The same rule as GET /progress: a quarter without a goal of its own but one in each of its months."""
    month = period_containing("month", clock.now.astimezone(SHANGHAI).date())
    quarter = period_containing("quarter", month.start)
    with Session(engine, expire_on_commit=False) as session:
        east = actor(session, org.user("eastmgr"))
        for part in quarter.months():
            goal(session, east, ("unit", org.unit("team1")), "visits", part.key, "4", clock.now)
            goal(session, east, ("unit", org.unit("team2")), "visits", part.key, "2", clock.now)
        _approved_visits(session, actor(session, org.user("rep1")), east, clock, 3)
        session.commit()
    rows = _board(sign_in("eastmgr@example.com"), metric="visits", period=quarter.key)
    assert rows == [("team1", 1, 0.25, "12", "3"), ("team2", 2, 0.0, "6", "0")]


def test_each_persons_row_carries_their_badges_named_in_the_readers_language(org, engine, sign_in, clock):
    month = _month(clock)
    with Session(engine, expire_on_commit=False) as session:
        lead = actor(session, org.user("lead1"))
        for rep in ("rep1", "rep2"):
            goal(session, lead, ("user", org.user(rep)), "visits", month, "10", clock.now)
        earlier = period_containing("month", clock.now.astimezone(SHANGHAI).date()).previous()
        before = earlier.previous()
        for kind, key in (("first_order", ""), ("month_100", before.key), ("month_100", earlier.key)):
            session.add(
                Badge(rep_id=org.user("rep1"), kind=kind, key=key, earned_at=clock.now, updated_at=clock.now)
            )
        session.commit()

    def badges(email):
        response = sign_in(email).get("/api/v1/leaderboard", params={"metric": "visits", "period": month})
        assert response.status_code == 200, response.text
        return {row["name"]: row["badges"] for row in response.json()}

    assert badges("lead1@example.com") == {
        "Rep1": [
            {"kind": "first_order", "label": "First order", "count": 1, "last_key": ""},
            {"kind": "month_100", "label": "100 % month", "count": 2, "last_key": earlier.key},
        ],
        "Rep2": [],
    }
    # rep2 reads Chinese; a teammate sees the same marks.
    assert [b["label"] for b in badges("rep2@example.com")["Rep1"]] == ["首单", "月度达成 100%"]


@given(
    st.lists(
        st.one_of(st.none(), st.integers(min_value=0, max_value=6).map(lambda n: n / 4), st.just("no goal")),
        max_size=12,
    )
)
def test_a_rank_is_one_more_than_the_rows_strictly_ahead(values):
    # Sorted as the service sorts: measured best first, then goals with nothing measured, then no goal.
    rows = sorted(
        [(v if v != "no goal" else None, v != "no goal") for v in values],
        key=lambda r: (not r[1], r[0] is None, -(r[0] or 0)),
    )
    ranks = ranked(rows)
    for (attainment, has_goal), rank in zip(rows, ranks, strict=True):
        if not has_goal:
            assert rank is None
            continue
        if attainment is None:  # behind every measured row
            ahead = [r for r in rows if r[1] and r[0] is not None]
        else:
            ahead = [r for r in rows if r[1] and r[0] is not None and r[0] > attainment]
        assert rank == len(ahead) + 1
