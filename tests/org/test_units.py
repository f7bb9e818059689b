"""The org tree over HTTP: who may create, see and move units, and what bad input gets."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.org.models import Unit, User


def test_admin_creates_units_at_any_depth(org, sign_in):
    admin = sign_in("admin@example.com")
    response = admin.post(
        "/api/v1/units", json={"name": "销售五部", "kind": "team", "parent_id": org.unit("team1")}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["parent_id"] == org.unit("team1")
    assert body["timezone"] == "Asia/Shanghai"  # inherited from the parent
    root = admin.post(
        "/api/v1/units", json={"name": "Second company", "kind": "company", "timezone": "Europe/Berlin"}
    )
    assert root.status_code == 201
    assert root.json()["parent_id"] is None


def test_manager_works_only_inside_own_subtree(org, sign_in):
    east = sign_in("eastmgr@example.com")
    inside = east.post("/api/v1/units", json={"name": "销售四部", "kind": "team", "parent_id": org.unit("east")})
    assert inside.status_code == 201
    outside = east.post("/api/v1/units", json={"name": "x", "kind": "team", "parent_id": org.unit("south")})
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "parent_id"
    assert outside.json()["errors"][0]["code"] == "not_found"
    names = {u["name"] for u in east.get("/api/v1/units").json()}
    assert names == {"east", "team1", "team2", "销售四部"}
    # A unit outside the subtree answers exactly like one that does not exist.
    foreign = east.patch(f"/api/v1/units/{org.unit('team3')}", json={"name": "mine now"})
    missing = east.patch("/api/v1/units/00000000-0000-4000-8000-000000000000", json={"name": "mine now"})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    root = east.post("/api/v1/units", json={"name": "rogue", "kind": "company"})
    assert root.status_code == 422
    assert root.json()["errors"][0] == {"field": "parent_id", "code": "required", "message": "is required"}


def test_leads_and_reps_may_not_manage_units(org, sign_in):
    for who in ("lead1", "rep1"):
        api = sign_in(f"{who}@example.com")
        assert api.get("/api/v1/units").status_code == 403
        assert (
            api.post(
                "/api/v1/units", json={"name": "x", "kind": "team", "parent_id": org.unit("team1")}
            ).status_code
            == 403
        )


def test_moving_a_unit_rewrites_the_subtree_and_refuses_cycles(org, sign_in, engine):
    admin = sign_in("admin@example.com")
    cycle = admin.patch(f"/api/v1/units/{org.unit('east')}", json={"parent_id": org.unit("team1")})
    assert cycle.status_code == 422
    assert cycle.json()["errors"][0]["code"] == "invalid_parent"
    moved = admin.patch(f"/api/v1/units/{org.unit('team1')}", json={"parent_id": org.unit("south")})
    assert moved.status_code == 200
    with Session(engine) as session:
        team1 = session.get(Unit, org.unit("team1"))
        assert team1 is not None
        assert team1.path == f"/{org.unit('company')}/{org.unit('south')}/{org.unit('team1')}/"
    # The south manager now manages team1; the east manager no longer does.
    assert (
        sign_in("eastmgr@example.com").patch(f"/api/v1/units/{org.unit('team1')}", json={"name": "a"}).status_code
        == 404
    )


def test_moving_a_unit_resets_the_sync_scope_of_its_people(org, sign_in, engine):
    with Session(engine) as session:
        before = {u.email: u.scope_epoch for u in session.scalars(select(User))}
    sign_in("admin@example.com").patch(f"/api/v1/units/{org.unit('team2')}", json={"parent_id": org.unit("south")})
    with Session(engine) as session:
        after = {u.email: u.scope_epoch for u in session.scalars(select(User))}
    changed = {email for email in after if after[email] != before[email]}
    assert {"lead2@example.com", "rep3@example.com", "eastmgr@example.com"} <= changed
    assert "rep1@example.com" not in changed


def test_bad_unit_input_names_every_broken_field(org, sign_in):
    admin = sign_in("admin@example.com")
    response = admin.post(
        "/api/v1/units",
        json={
            "name": "x" * 201,
            "kind": "galaxy",
            "parent_id": "not-a-uuid",
            "timezone": "Mars/Olympus",
            "color": 1,
        },
    )
    assert response.status_code == 422
    assert sorted((e["field"], e["code"]) for e in response.json()["errors"]) == [
        ("color", "unknown_field"),
        ("kind", "invalid_choice"),
        ("name", "too_long"),
        ("parent_id", "wrong_type"),
        ("timezone", "invalid_timezone"),
    ]
    empty = admin.post("/api/v1/units", json={})
    assert sorted(e["field"] for e in empty.json()["errors"]) == ["kind", "name"]
    blank = admin.post("/api/v1/units", json={"name": "   ", "kind": "team"})
    assert blank.json()["errors"][0] == {"field": "name", "code": "required", "message": "is required"}
    nul = admin.post("/api/v1/units", json={"name": "a\u0000b", "kind": "team"})
    assert nul.json()["errors"][0]["code"] == "invalid_text"
    with_list = admin.post("/api/v1/units", json=[1, 2])
    assert with_list.status_code == 422
    assert with_list.json()["errors"][0]["field"] == "body"
