"""The goal tree (GET /goals/tree): a unit's subtree with each node's goal, allocation, split and figures."""

from __future__ import annotations

from typing import Any

from tests.conftest import both_databases


def _goal(api: Any, subject: tuple[str, str], metric: str, period: str, target: Any) -> Any:
    body = {"subject_type": subject[0], "subject_id": subject[1], "metric": metric, "period": period}
    created = api.post("/api/v1/goals", json=body | {"target": target})
    assert created.status_code == 201, created.text
    return created.json()


def _allocate(api: Any, goal: dict[str, Any], *children: tuple[str, str, str]) -> Any:
    allocations = [{"subject_type": t, "subject_id": i, "target": v} for t, i, v in children]
    answer = api.post(f"/api/v1/goals/{goal['id']}/allocate", json={"allocations": allocations})
    assert answer.status_code == 200, answer.text
    return answer.json()


@both_databases
def test_a_manager_reads_the_whole_cascade_with_each_nodes_gap_and_figures(org, sign_in):
    boss = sign_in("boss@example.com")
    company = _goal(boss, ("unit", org.unit("company")), "revenue", "2026-11", "1000000")
    _allocate(boss, company, ("unit", org.unit("east"), "600000"), ("unit", org.unit("south"), "300000"))
    east = boss.get("/api/v1/goals", params={"subject_id": org.unit("east"), "period": "2026-11"}).json()[0]
    _allocate(boss, east, ("unit", org.unit("team1"), "500000"))
    team1 = boss.get("/api/v1/goals", params={"subject_id": org.unit("team1"), "period": "2026-11"}).json()[0]
    _allocate(boss, team1, ("user", org.user("rep1"), "200000.50"), ("user", org.user("rep2"), "250000"))

    answer = boss.get("/api/v1/goals/tree", params={"period": "2026-11"})
    assert answer.status_code == 200, answer.text
    tree = answer.json()
    assert (tree["unit_id"], tree["metric"], tree["period"]) == (org.unit("company"), "revenue", "2026-11")
    nodes = {n["subject_id"]: n for n in tree["nodes"]}
    # Units top down, then the reps (leads, managers and the admin have no goal here, so are left out).
    assert [n["subject_type"] for n in tree["nodes"]] == ["unit"] * 6 + ["user"] * 4
    assert set(nodes) >= {org.user(r) for r in ("rep1", "rep2", "rep3", "rep4")}
    assert org.user("lead1") not in nodes
    assert nodes[org.unit("company")]["parent_id"] is None
    assert nodes[org.unit("team1")]["parent_id"] == org.unit("east")
    assert nodes[org.user("rep1")]["parent_id"] == org.unit("team1")
    assert nodes[org.unit("team1")]["kind"] == "team"
    assert nodes[org.user("rep1")]["kind"] == "rep"
    figures = {
        key: (n["goal"]["target"], n["goal"]["allocated"], n["goal"]["unallocated"])
        for key, n in nodes.items()
        if n["goal"]
    }
    assert figures == {
        org.unit("company"): ("1000000.00", "900000.00", "100000.00"),
        org.unit("east"): ("600000.00", "500000.00", "100000.00"),
        org.unit("south"): ("300000.00", "0.00", "300000.00"),
        org.unit("team1"): ("500000.00", "450000.50", "49999.50"),
        org.user("rep1"): ("200000.50", "0.00", "200000.50"),
        org.user("rep2"): ("250000.00", "0.00", "250000.00"),
    }
    assert nodes[org.unit("team2")]["goal"] is None and nodes[org.unit("team2")]["figures"] is None
    # The figures are GET /progress's, the one computation.
    for subject_type, key in (("unit", org.unit("east")), ("user", org.user("rep1"))):
        progress = boss.get(
            "/api/v1/progress", params={"subject_type": subject_type, "subject_id": key, "period": "2026-11"}
        ).json()[0]
        shown = nodes[key]["figures"]
        for name in ("target", "actual", "attainment", "expected_by_today", "pace", "working_days_left"):
            assert shown[name] == progress[name], name


def test_a_year_split_into_months_says_what_the_months_add_up_to(org, sign_in):
    boss = sign_in("boss@example.com")
    year = _goal(boss, ("unit", org.unit("east")), "revenue", "2026", "1200000")
    assert boss.post(f"/api/v1/goals/{year['id']}/split").status_code == 200
    tree = boss.get("/api/v1/goals/tree", params={"unit_id": org.unit("east"), "period": "2026"}).json()
    east = next(n for n in tree["nodes"] if n["subject_id"] == org.unit("east"))
    assert (east["split"], east["goal"]["unallocated"]) == ("1200000.00", "1200000.00")
    assert east["parent_id"] is None
    assert {n["subject_id"] for n in tree["nodes"] if n["subject_type"] == "unit"} == {
        org.unit("east"),
        org.unit("team1"),
        org.unit("team2"),
    }
    # A month of it: the month's own goal.
    month = boss.get("/api/v1/goals/tree", params={"unit_id": org.unit("east"), "period": "2026-11"}).json()
    east_month = next(n for n in month["nodes"] if n["subject_id"] == org.unit("east"))
    assert east_month["goal"]["parent_id"] == year["id"]
    assert east_month["split"] is None


def test_a_lead_reads_their_team_only(org, sign_in):
    lead = sign_in("lead1@example.com")
    _goal(lead, ("user", org.user("rep1")), "visits", "2026-11", 60)
    tree = lead.get("/api/v1/goals/tree", params={"metric": "visits", "period": "2026-11"}).json()
    assert tree["unit_id"] == org.unit("team1")
    assert [n["subject_id"] for n in tree["nodes"]] == [org.unit("team1"), org.user("rep1"), org.user("rep2")]
    assert tree["nodes"][1]["goal"]["target"] == "60"
    # The team's region is seen but not run by a lead; another team is out of sight; reps run nothing.
    assert lead.get("/api/v1/goals/tree", params={"unit_id": org.unit("east")}).status_code == 403
    assert lead.get("/api/v1/goals/tree", params={"unit_id": org.unit("team2")}).status_code == 404
    assert sign_in("rep1@example.com").get("/api/v1/goals/tree").status_code == 403


def test_bad_queries_name_their_field(org, sign_in):
    boss = sign_in("boss@example.com")
    for params, field in (({"metric": "profit"}, "metric"), ({"period": "2026-13"}, "period")):
        answer = boss.get("/api/v1/goals/tree", params=params)
        assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, field)
