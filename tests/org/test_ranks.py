"""Nobody acts on someone above them: a user changes another only when the other is in their scope and ranks
below them; only an admin changes an admin; users change themselves at /me, and a password set by someone
else is theirs to replace."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEntry
from backend.db import session_scope
from backend.errors import InvalidInput
from backend.org.models import User
from backend.org.service import update_user
from backend.policy import Actor
from tests.factories import PASSWORD

NEW_PASSWORD = "Plum-orchard-at-dusk-7"


def _user(unit_id: str, role: str, email: str) -> dict[str, Any]:
    return {"email": email, "name": "新人", "role": role, "unit_id": unit_id, "password": NEW_PASSWORD}


def _audit(engine: Any, record_id: str) -> list[AuditEntry]:
    with Session(engine) as session:
        query = select(AuditEntry).where(AuditEntry.record_id == record_id).order_by(AuditEntry.at)
        return list(session.scalars(query))


def test_a_manager_cannot_take_over_an_admin(org, sign_in, anonymous, engine):
    boss = sign_in("boss@example.com")
    admin_id = org.user("admin")
    for change in ({"password": NEW_PASSWORD}, {"role": "rep"}, {"active": False}, {"email": "me@evil.example"}):
        answer = boss.patch(f"/api/v1/users/{admin_id}", json=change)
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden"), change
    taken = anonymous.post("/api/v1/auth/login", json={"email": "admin@example.com", "password": NEW_PASSWORD})
    assert taken.status_code == 401
    still = anonymous.post("/api/v1/auth/login", json={"email": "admin@example.com", "password": PASSWORD})
    assert still.status_code == 200
    assert still.json()["user"]["role"] == "admin"
    assert _audit(engine, admin_id) == []


def test_peers_and_bosses_are_out_of_reach_and_units_below_are_not(org, sign_in):
    admin, boss, east = sign_in("admin@example.com"), sign_in("boss@example.com"), sign_in("eastmgr@example.com")
    peer = admin.post("/api/v1/users", json=_user(org.unit("east"), "manager", "eastpeer@example.com")).json()
    # Same role, same unit: a peer.
    assert east.patch(f"/api/v1/users/{peer['id']}", json={"active": False}).status_code == 403
    # The company's manager is above the region's: not even in its scope.
    assert east.patch(f"/api/v1/users/{org.user('boss')}", json={"name": "x"}).status_code == 404
    # The company's manager over a region's manager: allowed.
    renamed = boss.patch(f"/api/v1/users/{org.user('eastmgr')}", json={"name": "华东经理"})
    assert (renamed.status_code, renamed.json()["name"]) == (200, "华东经理")
    # A second lead of the same team is the lead's peer; another team's lead is out of scope.
    lead1 = sign_in("lead1@example.com")
    twin = east.post("/api/v1/users", json=_user(org.unit("team1"), "lead", "twin@example.com")).json()
    assert lead1.patch(f"/api/v1/users/{twin['id']}", json={"name": "x"}).status_code == 403
    assert lead1.patch(f"/api/v1/users/{org.user('lead2')}", json={"name": "x"}).status_code == 404
    # Nobody edits themselves here (that is /me), not even an admin.
    assert admin.patch(f"/api/v1/users/{org.user('admin')}", json={"name": "x"}).status_code == 403


def test_nobody_makes_a_peer_or_a_superior(org, sign_in):
    east = sign_in("eastmgr@example.com")
    peer = east.post("/api/v1/users", json=_user(org.unit("east"), "manager", "p@example.com"))
    assert peer.status_code == 403
    promoted = east.patch(
        f"/api/v1/users/{org.user('lead1')}", json={"unit_id": org.unit("east"), "role": "manager"}
    )
    assert promoted.status_code == 403
    # A manager for a unit below is fine, and so is moving a rep between the manager's teams.
    below = east.post("/api/v1/users", json=_user(org.unit("team2"), "manager", "below@example.com"))
    assert below.status_code == 201, below.text
    moved = east.patch(f"/api/v1/users/{org.user('rep1')}", json={"unit_id": org.unit("team2")})
    assert (moved.status_code, moved.json()["unit_id"]) == (200, org.unit("team2"))


def test_only_an_admin_changes_an_admin_and_never_the_last_active_one(org, sign_in, engine, clock):
    admin = sign_in("admin@example.com")
    second = admin.post("/api/v1/users", json=_user(org.unit("company"), "admin", "admin2@example.com")).json()
    off = admin.patch(f"/api/v1/users/{second['id']}", json={"active": False})
    assert (off.status_code, off.json()["active"]) == (200, False)
    # The command line acts as an admin of the tree: it too may not leave the company without one.
    operator = Actor(
        "cli", "cli@localhost", "cli", "admin", org.unit("company"), org.units["company"].path, "en", "UTC"
    )
    for change, field in (({"role": "manager"}, "role"), ({"active": False}, "active")):
        with pytest.raises(InvalidInput) as refused, session_scope(engine, clock) as session:
            update_user(session, operator, org.user("admin"), change, clock.now, 4000)
        assert [(e.field, e.code) for e in refused.value.errors] == [(field, "last_admin")]
    with Session(engine) as session:
        assert (
            session.get_one(User, org.user("admin")).role,
            session.get_one(User, org.user("admin")).active,
        ) == (
            "admin",
            True,
        )


def test_a_password_set_by_someone_else_must_be_replaced(org, sign_in, anonymous, engine):
    lead = sign_in("lead1@example.com")
    old_phone = sign_in("rep1@example.com")
    assert lead.patch(f"/api/v1/users/{org.user('rep1')}", json={"password": NEW_PASSWORD}).status_code == 200
    assert old_phone.get("/api/v1/me").status_code == 401
    login = anonymous.post("/api/v1/auth/login", json={"email": "rep1@example.com", "password": NEW_PASSWORD})
    assert login.status_code == 200
    assert login.json()["must_change_password"] is True
    anonymous.token = login.json()["token"]
    other_device = sign_in("rep1@example.com", NEW_PASSWORD)
    assert anonymous.get("/api/v1/me").json()["must_change_password"] is True

    missing = anonymous.patch("/api/v1/me", json={"password": "Another-quiet-river-3"})
    assert [(e["field"], e["code"]) for e in missing.json()["errors"]] == [("current_password", "required")]
    wrong = anonymous.patch("/api/v1/me", json={"current_password": PASSWORD, "password": "Another-quiet-river-3"})
    assert (wrong.status_code, wrong.json()["errors"][0]["code"]) == (422, "wrong_password")
    weak = anonymous.patch("/api/v1/me", json={"current_password": NEW_PASSWORD, "password": "12345678"})
    assert (weak.status_code, weak.json()["errors"][0]["field"]) == (422, "password")

    chosen = anonymous.patch(
        "/api/v1/me", json={"current_password": NEW_PASSWORD, "password": "Another-quiet-river-3"}
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["must_change_password"] is False
    # This device stays signed in; every other one is signed out.
    assert anonymous.get("/api/v1/me").json()["must_change_password"] is False
    assert other_device.get("/api/v1/me").status_code == 401
    again = anonymous.post(
        "/api/v1/auth/login", json={"email": "rep1@example.com", "password": "Another-quiet-river-3"}
    )
    assert again.json()["must_change_password"] is False

    trail = [(e.action, e.actor_id, e.after) for e in _audit(engine, org.user("rep1"))]
    assert trail == [
        ("user.update", org.user("lead1"), {"password": "set"}),
        ("user.password", org.user("rep1"), {"password": "set"}),
    ]
    assert not any("argon2" in str(e.before) + str(e.after) for e in _audit(engine, org.user("rep1")))


def test_users_change_their_own_locale_and_nothing_else_at_me(org, sign_in):
    rep = sign_in("rep1@example.com")
    changed = rep.patch("/api/v1/me", json={"locale": "zh-CN"})
    assert (changed.status_code, changed.json()["locale"]) == (200, "zh-CN")
    assert rep.get("/api/v1/me").json()["locale"] == "zh-CN"
    for field, value in (
        ("role", "admin"),
        ("unit_id", org.unit("company")),
        ("active", True),
        ("email", "x@y.z"),
    ):
        refused = rep.patch("/api/v1/me", json={field: value})
        assert refused.status_code == 422
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [(field, "unknown_field")]
    assert rep.get("/api/v1/me").json()["role"] == "rep"
    assert rep.patch("/api/v1/me", json=[]).status_code == 422


def test_every_change_of_email_unit_role_or_active_is_audited(org, sign_in, engine):
    east = sign_in("eastmgr@example.com")
    rep = org.user("rep3")
    changes = [
        {"email": "rep3.new@example.com"},
        {"unit_id": org.unit("team1")},
        {"role": "lead"},
        {"active": False},
    ]
    for change in changes:
        assert east.patch(f"/api/v1/users/{rep}", json=change).status_code == 200, change
    trail = [(e.before, e.after) for e in _audit(engine, rep)]
    assert trail == [
        ({"email": "rep3@example.com"}, {"email": "rep3.new@example.com"}),
        ({"unit_id": org.unit("team2")}, {"unit_id": org.unit("team1")}),
        ({"role": "rep"}, {"role": "lead"}),
        ({"active": True}, {"active": False}),
    ]


def test_seasonality_and_review_dimensions_are_for_managers(org, sign_in):
    lead, boss = sign_in("lead1@example.com"), sign_in("boss@example.com")
    weights = {"weights": ["1"] * 11 + ["99"]}
    path = f"/api/v1/seasonality/{org.unit('team1')}"
    assert lead.client.put(path, json=weights, headers=lead.headers()).status_code == 403
    assert lead.get(path).json()["set_on"] is None
    dimension = {
        "unit_id": org.unit("team1"),
        "key": "revenue",
        "source": "kpi",
        "metric": "revenue",
        "name_en": "Revenue",
        "name_zh": "营收",
        "weight": 99,
    }
    assert lead.post("/api/v1/review-dimensions", json=dimension).status_code == 403
    assert boss.client.put(path, json=weights, headers=boss.headers()).status_code == 200
    assert boss.post("/api/v1/review-dimensions", json=dimension).status_code == 200


def test_a_goal_leaving_its_parent_is_audited(org, sign_in, engine):
    lead = sign_in("lead1@example.com")
    east = sign_in("eastmgr@example.com")
    body = {"subject_type": "unit", "subject_id": org.unit("team1"), "metric": "visits", "period": "2026-11"}
    parent = east.post("/api/v1/goals", json=body | {"target": "100"}).json()
    child_body = body | {"subject_type": "user", "subject_id": org.user("rep1"), "target": "10"}
    child = lead.post("/api/v1/goals", json=child_body | {"parent_id": parent["id"]}).json()
    detached = lead.patch(f"/api/v1/goals/{child['id']}", json={"parent_id": None})
    assert (detached.status_code, detached.json()["parent_id"]) == (200, None)
    trail = [(e.action, e.actor_id, e.before, e.after) for e in _audit(engine, child["id"])]
    assert ("goal.parent", org.user("lead1"), {"parent_id": parent["id"]}, {"parent_id": None}) in trail
