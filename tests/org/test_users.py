"""Users over HTTP: each role manages only its own people and never grants more than it has."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEntry
from tests.factories import PASSWORD


def _new_user(unit_id: str, role: str = "rep", email: str = "new@example.com") -> dict:
    return {"email": email, "name": "新人", "role": role, "unit_id": unit_id, "password": "long-enough-1"}


def test_lead_adds_a_rep_to_own_team_only(org, sign_in, anonymous):
    lead = sign_in("lead1@example.com")
    created = lead.post("/api/v1/users", json=_new_user(org.unit("team1")))
    assert created.status_code == 201
    assert created.json()["role"] == "rep"
    assert "password" not in created.json() and "password_hash" not in created.json()
    login = anonymous.post("/api/v1/auth/login", json={"email": "new@example.com", "password": "long-enough-1"})
    assert login.status_code == 200
    elsewhere = lead.post("/api/v1/users", json=_new_user(org.unit("team2"), email="b@example.com"))
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errors"][0] == {"field": "unit_id", "code": "not_found", "message": "does not exist"}
    promote = lead.post("/api/v1/users", json=_new_user(org.unit("team1"), role="manager", email="c@example.com"))
    assert promote.status_code == 403


def test_each_role_lists_only_its_people(org, sign_in):
    def emails(who):
        return {u["email"].split("@")[0] for u in sign_in(f"{who}@example.com").get("/api/v1/users").json()}

    assert emails("lead1") == {"lead1", "rep1", "rep2"}
    assert emails("eastmgr") == {"eastmgr", "lead1", "rep1", "rep2", "lead2", "rep3"}
    assert len(emails("admin")) == 9
    assert sign_in("rep1@example.com").get("/api/v1/users").status_code == 403


def test_another_teams_user_answers_not_found(org, sign_in):
    lead = sign_in("lead1@example.com")
    foreign = lead.patch(f"/api/v1/users/{org.user('rep3')}", json={"name": "x"})
    missing = lead.patch("/api/v1/users/6f1c1c8e-0000-4000-8000-000000000000", json={"name": "x"})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_email_must_be_unique_and_valid_and_password_long(org, sign_in):
    admin = sign_in("admin@example.com")
    taken = admin.post("/api/v1/users", json=_new_user(org.unit("team1"), email="REP1@example.com"))
    assert taken.status_code == 422
    assert taken.json()["errors"][0]["code"] == "taken"
    bad = admin.post("/api/v1/users", json=_new_user(org.unit("team1"), email="not-an-email"))
    assert bad.json()["errors"][0] == {
        "field": "email",
        "code": "invalid_format",
        "message": "is not a valid email address",
    }
    short = admin.post("/api/v1/users", json={**_new_user(org.unit("team1")), "password": "short"})
    assert short.json()["errors"][0]["code"] == "weak_password"
    role = admin.post("/api/v1/users", json={**_new_user(org.unit("team1")), "role": "king", "active": "yes"})
    assert sorted(e["code"] for e in role.json()["errors"]) == ["invalid_choice", "wrong_type"]


def test_new_password_signs_the_user_out_everywhere(org, sign_in, anonymous):
    phone = sign_in("rep1@example.com")
    assert (
        sign_in("lead1@example.com")
        .patch(f"/api/v1/users/{org.user('rep1')}", json={"password": "brand-new-pass"})
        .status_code
        == 200
    )
    assert phone.get("/api/v1/me").status_code == 401
    old = anonymous.post("/api/v1/auth/login", json={"email": "rep1@example.com", "password": PASSWORD})
    assert old.status_code == 401


def test_deactivated_user_cannot_sign_in_or_use_a_token(org, sign_in, anonymous):
    phone = sign_in("rep2@example.com")
    assert (
        sign_in("lead1@example.com").patch(f"/api/v1/users/{org.user('rep2')}", json={"active": False}).status_code
        == 200
    )
    assert phone.get("/api/v1/me").status_code == 401
    assert (
        anonymous.post("/api/v1/auth/login", json={"email": "rep2@example.com", "password": PASSWORD}).status_code
        == 401
    )


def test_role_changes_are_audited_and_nobody_promotes_themselves(org, sign_in, engine):
    manager = sign_in("eastmgr@example.com")
    assert manager.patch(f"/api/v1/users/{org.user('rep1')}", json={"role": "lead"}).status_code == 200
    assert manager.patch(f"/api/v1/users/{org.user('eastmgr')}", json={"role": "admin"}).status_code == 403
    assert manager.patch(f"/api/v1/users/{org.user('rep3')}", json={"role": "admin"}).status_code == 403
    with Session(engine) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.record_id == org.user("rep1"))).all()
    assert [(e.action, e.before["role"], e.after["role"], e.actor_id) for e in entries] == [
        ("user.update", "rep", "lead", org.user("eastmgr"))
    ]


def test_user_messages_follow_their_locale(org, sign_in):
    chinese = sign_in("rep2@example.com")  # locale zh-CN
    response = chinese.get("/api/v1/users")
    assert response.status_code == 403
    assert response.json()["title"] == "您无权执行此操作"
