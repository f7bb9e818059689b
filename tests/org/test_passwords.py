"""A new password is at least 10 characters and not common or guessable (zxcvbn score 3 or more): the
refusal names the field and the whole rule in the user's language, and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.auth.passwords import MIN_PASSWORD_CHARS, check_password_strength
from backend.demo import DEMO_PASSWORD
from backend.errors import InvalidInput
from backend.org.models import User
from tests.factories import PASSWORD

WEAK = [
    "",
    "short",
    "12345678",
    " " * 8,
    " " * 12,
    "\u200b" * 12,
    "1234567890",
    "password123",
    "Password1!",
    "qwertyuiop",
    "woaini1314520",
    "aaaaaaaaaaaaaaaa",
    "a" * 200,
]
EN = (
    "must be at least 10 characters and not a common or guessable password"
    " (a word, a name, a date, your email, a run like 12345678)"
)
ZH = "至少需要 10 个字符，且不能是常见或容易猜到的密码（如单词、姓名、日期、您的邮箱或 12345678 这样的连续字符）"


def _new_user(org, password: object) -> dict:
    return {
        "email": "new@example.com",
        "name": "新人",
        "role": "rep",
        "unit_id": org.unit("team1"),
        "password": password,
    }


def _users(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def _hash_of(engine, user_id: str) -> str:
    with Session(engine) as session:
        return session.get_one(User, user_id).password_hash


@pytest.mark.parametrize("password", WEAK)
def test_a_weak_password_is_refused_with_the_rule_and_nothing_changes(org, sign_in, engine, password):
    lead = sign_in("lead1@example.com")
    users, old_hash = _users(engine), _hash_of(engine, org.user("rep1"))
    created = lead.post("/api/v1/users", json=_new_user(org, password))
    changed = lead.patch(f"/api/v1/users/{org.user('rep1')}", json={"password": password})
    for response in (created, changed):
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [{"field": "password", "code": "weak_password", "message": EN}]
    assert (_users(engine), _hash_of(engine, org.user("rep1"))) == (users, old_hash)
    # The refused change signed nobody out: the rep's old password and token still work.
    assert sign_in("rep1@example.com").get("/api/v1/me").status_code == 200


def test_the_rule_speaks_chinese_to_a_chinese_user(org, sign_in, engine):
    with Session(engine) as session:
        session.execute(update(User).where(User.email == "lead1@example.com").values(locale="zh-CN"))
        session.commit()
    response = sign_in("lead1@example.com").post("/api/v1/users", json=_new_user(org, "12345678"))
    assert response.json()["errors"] == [{"field": "password", "code": "weak_password", "message": ZH}]


def test_wrong_types_and_huge_passwords_name_the_field(org, sign_in, engine):
    lead = sign_in("lead1@example.com")
    users = _users(engine)
    number = lead.post("/api/v1/users", json=_new_user(org, 1234567890123))
    assert number.json()["errors"] == [{"field": "password", "code": "wrong_type", "message": "must be text"}]
    huge = lead.post("/api/v1/users", json=_new_user(org, "Xq7!" * 2500))
    assert huge.json()["errors"] == [
        {"field": "password", "code": "too_long", "message": "must be at most 200 characters"}
    ]
    assert _users(engine) == users


@pytest.mark.parametrize("password", [PASSWORD, DEMO_PASSWORD, "Plum-orchard-at-dusk-7", "xk9#mPq2vL"])
def test_a_strong_password_is_taken_and_signs_in(org, sign_in, anonymous, password):
    created = sign_in("lead1@example.com").post("/api/v1/users", json=_new_user(org, password))
    assert created.status_code == 201, created.text
    login = anonymous.post("/api/v1/auth/login", json={"email": "new@example.com", "password": password})
    assert login.status_code == 200


def test_a_password_made_of_what_is_known_of_the_user_is_guessable():
    check_password_strength("Zhang.Wei@example.com")  # nobody's address: strong enough on its own
    with pytest.raises(InvalidInput) as refused:
        check_password_strength("Zhang.Wei@example.com", ["zhang.wei@example.com", "张伟"])
    assert [(e.field, e.code, e.params) for e in refused.value.errors] == [
        ("password", "weak_password", {"min": MIN_PASSWORD_CHARS})
    ]
    with pytest.raises(InvalidInput) as named:
        check_password_strength("rep1rep1rep1", ["rep1@example.com"], field="new_password")
    assert named.value.errors[0].field == "new_password"
