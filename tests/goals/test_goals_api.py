"""Goals per CONTRACT.md: set, read, change (history kept), allocate, split by seasonality."""

from __future__ import annotations

from typing import Any


def _goal(api: Any, subject: tuple[str, str], metric: str, period: str, target: Any, **extra: Any) -> Any:
    body = {
        "subject_type": subject[0],
        "subject_id": subject[1],
        "metric": metric,
        "period": period,
        "target": target,
    }
    return api.post("/api/v1/goals", json=body | extra)


def _put(api: Any, path: str, body: Any) -> Any:
    return api.client.put(path, json=body, headers=api.headers())


def test_a_lead_sets_reads_and_changes_a_reps_goal_and_every_change_is_kept(org, sign_in, clock):
    lead = sign_in("lead1@example.com")
    created = _goal(lead, ("user", org.user("rep1")), "revenue", "2026-11", "80000")
    assert created.status_code == 201, created.text
    goal = created.json()
    assert (goal["target"], goal["unallocated"], goal["version"]) == ("80000.00", "80000.00", 1)
    clock.advance(hours=1)
    changed = lead.patch(f"/api/v1/goals/{goal['id']}", json={"target": "90000.50"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["target"], changed.json()["version"]) == ("90000.50", 2)
    listed = lead.get("/api/v1/goals", params={"period": "2026-11", "subject_id": org.user("rep1")}).json()
    assert [g["id"] for g in listed] == [goal["id"]]
    history = lead.get(f"/api/v1/goals/{goal['id']}/history").json()
    assert [(h["from"], h["to"], h["changed_by"], h["via"]) for h in history] == [
        (None, "80000.00", org.user("lead1"), "create"),
        ("80000.00", "90000.50", org.user("lead1"), "update"),
    ]
    assert history[1]["changed_at"] > history[0]["changed_at"]
    # The rep sees their own goal but may not change it.
    rep = sign_in("rep1@example.com")
    assert [g["id"] for g in rep.get("/api/v1/goals").json()] == [goal["id"]]
    assert rep.patch(f"/api/v1/goals/{goal['id']}", json={"target": "1.00"}).status_code == 403


def test_targets_are_checked_per_metric(org, sign_in):
    lead = sign_in("lead1@example.com")
    rep1 = ("user", org.user("rep1"))
    cases = [
        ("visits", "12.5", "wrong_type"),
        ("revenue", 1000.5, "wrong_type"),
        ("conversion", "1.2", "out_of_range"),
        ("satisfaction", "0.5", "out_of_range"),
    ]
    for metric, target, code in cases:
        response = _goal(lead, rep1, metric, "2026-11", target)
        assert response.status_code == 422, (metric, target)
        assert response.json()["errors"][0]["field"] == "target"
        assert response.json()["errors"][0]["code"] == code
    assert _goal(lead, rep1, "visits", "2026-11", 60).json()["target"] == "60"
    bad_period = _goal(lead, rep1, "revenue", "2026-13", "1")
    assert bad_period.json()["errors"][0]["field"] == "period"
    assert _goal(lead, rep1, "visits", "2026-11", 61).json()["errors"][0]["code"] == "taken"


def test_another_teams_goals_are_not_found(org, sign_in):
    lead1, lead2 = sign_in("lead1@example.com"), sign_in("lead2@example.com")
    theirs = _goal(lead2, ("user", org.user("rep3")), "revenue", "2026-11", "100").json()
    assert lead1.patch(f"/api/v1/goals/{theirs['id']}", json={"target": "1"}).status_code == 404
    assert lead1.get(f"/api/v1/goals/{theirs['id']}/history").status_code == 404
    assert lead1.get("/api/v1/goals", params={"subject_id": org.user("rep3")}).json() == []
    refused = _goal(lead1, ("user", org.user("rep3")), "revenue", "2026-11", "100")
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "subject_id")


def test_allocation_adds_up_and_shows_the_unallocated_gap(org, sign_in):
    boss = sign_in("boss@example.com")
    east = _goal(boss, ("unit", org.unit("east")), "revenue", "2026", "1000000").json()
    response = boss.post(
        f"/api/v1/goals/{east['id']}/allocate",
        json={
            "allocations": [
                {"subject_type": "unit", "subject_id": org.unit("team1"), "target": "400000"},
                {"subject_type": "unit", "subject_id": org.unit("team2"), "target": "350000.50"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unallocated"] == "249999.50"
    assert body["parent"]["allocated"] == "750000.50"
    assert sorted(c["target"] for c in body["children"]) == ["350000.50", "400000.00"]
    assert {c["parent_id"] for c in body["children"]} == {east["id"]}
    listed = {g["id"]: g for g in boss.get("/api/v1/goals", params={"period": "2026"}).json()}
    assert listed[east["id"]]["unallocated"] == "249999.50"

    # Raising team2 past what is left is refused whole, with the field and the figures; nothing changes.
    over = boss.post(
        f"/api/v1/goals/{east['id']}/allocate",
        json={"allocations": [{"subject_type": "unit", "subject_id": org.unit("team2"), "target": "600000.01"}]},
    )
    assert over.status_code == 422
    problem = over.json()
    assert problem["code"] == "over_allocated"
    assert problem["errors"][0]["field"] == "allocations"
    assert (problem["allocated"], problem["target"], problem["over_by"]) == ("1000000.01", "1000000.00", "0.01")
    assert "1000000.01" in problem["errors"][0]["message"]
    team2 = next(c for c in body["children"] if c["subject_id"] == org.unit("team2"))
    assert boss.get(f"/api/v1/goals/{team2['id']}/history").json()[-1]["to"] == "350000.50"

    # Exactly the parent is fine; a child's own change that would overflow the parent is refused too.
    exact = boss.post(
        f"/api/v1/goals/{east['id']}/allocate",
        json={"allocations": [{"subject_type": "unit", "subject_id": org.unit("team2"), "target": "600000"}]},
    )
    assert exact.json()["unallocated"] == "0.00"
    raised = boss.patch(f"/api/v1/goals/{team2['id']}", json={"target": "600001"})
    assert (raised.status_code, raised.json()["code"], raised.json()["errors"][0]["field"]) == (
        422,
        "over_allocated",
        "target",
    )
    # Lowering the parent below what its children hold is refused as well.
    lowered = boss.patch(f"/api/v1/goals/{east['id']}", json={"target": "900000"})
    assert (lowered.status_code, lowered.json()["code"]) == (422, "over_allocated")


def test_allocation_errors_name_the_allocation(org, sign_in):
    lead1 = sign_in("lead1@example.com")
    team = _goal(lead1, ("unit", org.unit("team1")), "visits", "2026-11", 100).json()
    response = lead1.post(
        f"/api/v1/goals/{team['id']}/allocate",
        json={
            "allocations": [
                {"subject_type": "user", "subject_id": org.user("rep1"), "target": 50},
                {"subject_type": "user", "subject_id": org.user("rep3"), "target": 10},
                {"subject_type": "user", "subject_id": org.user("rep2"), "target": "x"},
                {"subject_type": "user", "subject_id": org.user("rep1"), "target": 5},
            ]
        },
    )
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("allocations.1.subject_id", "not_found"),  # another team's rep: outside the lead's scope
        ("allocations.2.target", "wrong_type"),
        ("allocations.3.subject_id", "taken"),
    }
    boss = sign_in("boss@example.com")
    company = _goal(boss, ("unit", org.unit("company")), "visits", "2026-11", 100).json()
    not_a_child = boss.post(
        f"/api/v1/goals/{company['id']}/allocate",
        json={"allocations": [{"subject_type": "unit", "subject_id": org.unit("team1"), "target": 1}]},
    )
    assert not_a_child.json()["errors"][0] == {
        "field": "allocations.0.subject_id",
        "code": "not_a_child",
        "message": not_a_child.json()["errors"][0]["message"],
    }
    # A rep may see the team's goal but not allocate it; another team's lead does not see it at all.
    rep = sign_in("rep1@example.com")
    body = {"allocations": [{"subject_type": "user", "subject_id": org.user("rep1"), "target": 1}]}
    assert rep.post(f"/api/v1/goals/{team['id']}/allocate", json=body).status_code == 403
    assert sign_in("lead2@example.com").post(f"/api/v1/goals/{team['id']}/allocate", json=body).status_code == 404


def test_ratio_goals_cascade_as_thresholds_not_sums(org, sign_in):
    lead = sign_in("lead1@example.com")
    team = _goal(lead, ("unit", org.unit("team1")), "conversion", "2026-11", "0.35").json()
    assert team["unallocated"] is None
    response = lead.post(
        f"/api/v1/goals/{team['id']}/allocate",
        json={
            "allocations": [
                {"subject_type": "user", "subject_id": org.user("rep1"), "target": "0.40"},
                {"subject_type": "user", "subject_id": org.user("rep2"), "target": "0.35"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["unallocated"] is None
    assert sorted(c["target"] for c in response.json()["children"]) == ["0.3500", "0.4000"]


def test_a_year_splits_into_months_flat_by_default_and_by_a_units_profile(org, sign_in):
    boss = sign_in("boss@example.com")
    year = _goal(boss, ("unit", org.unit("east")), "revenue", "2026", "1200000.10").json()
    flat = boss.post(f"/api/v1/goals/{year['id']}/split").json()
    months = {c["period"]: c["target"] for c in flat["children"]}
    assert len(months) == 12 and flat["unallocated"] == "0.00"
    assert months["2026-01"] == "100000.01" and months["2026-12"] == "100000.00"  # the spare cent goes first
    assert flat["parent"]["unallocated"] == "1200000.10"  # a split in time is not an allocation to others

    # 华东: February (春节) weighs half, November and December double; inherited by the teams below.
    weights = [2, 1, 2, 2, 2, 2, 2, 2, 2, 2, 4, 4]
    assert _put(boss, f"/api/v1/seasonality/{org.unit('east')}", {"weights": weights}).status_code == 200
    team = sign_in("lead1@example.com").get(f"/api/v1/seasonality/{org.unit('team1')}").json()
    assert (team["set_on"], team["weights"][1]) == (org.unit("east"), "1.0000")
    visits = _goal(boss, ("unit", org.unit("team1")), "visits", "2026", 2700).json()
    split = boss.post(f"/api/v1/goals/{visits['id']}/split").json()
    by_month = {c["period"]: c["target"] for c in split["children"]}
    assert (by_month["2026-02"], by_month["2026-03"], by_month["2026-11"]) == ("100", "200", "400")
    # Splitting again after the profile changed updates the months in place, and keeps each change.
    _put(boss, f"/api/v1/seasonality/{org.unit('east')}", {"weights": None})
    again = boss.post(f"/api/v1/goals/{visits['id']}/split").json()
    assert {c["period"]: c["target"] for c in again["children"]}["2026-02"] == "225"
    february = next(c for c in again["children"] if c["period"] == "2026-02")
    assert [(h["from"], h["to"]) for h in boss.get(f"/api/v1/goals/{february['id']}/history").json()] == [
        (None, "100"),
        ("100", "225"),
    ]
    month = _goal(boss, ("unit", org.unit("team2")), "visits", "2026-11", 10).json()
    assert boss.post(f"/api/v1/goals/{month['id']}/split").json()["errors"][0]["field"] == "period"
