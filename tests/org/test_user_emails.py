"""Email addresses are checked by email-validator and kept in one normalised form (NFKC, case-folded local
part, lower-case IDNA domain): markup is refused, and a full-width look-alike of an address in use is that
address, so it is `taken`, and signing in with it finds the same account."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.org.models import User
from tests.factories import PASSWORD

NOT_ADDRESSES = [
    'a@b.c"<script>',
    "<script>@example.com",
    "a@b",
    "rep9@example.com\u200b",
    "rep9\u200b@example.com",
    "two@@example.com",
    "rep9@example.test",  # a special-use name: mail can never reach it
    "x" * 65 + "@example.com",  # a local part is at most 64 characters
    "",
    "\u200b",
]
LOOK_ALIKES = [
    "ｒｅｐ1@example.com",
    "ＲＥＰ1＠ＥＸＡＭＰＬＥ．ＣＯＭ",
    "rep1@ｅｘａｍｐｌｅ.com",
    " Rep1@Example.com ",
]


def _new_user(org, email: object) -> dict:
    return {
        "email": email,
        "name": "新人",
        "role": "rep",
        "unit_id": org.unit("team1"),
        "password": "long-enough-1",
    }


def _users(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


@pytest.mark.parametrize("email", NOT_ADDRESSES)
def test_what_is_not_an_address_is_refused_and_nothing_is_stored(org, sign_in, engine, email):
    before = _users(engine)
    response = sign_in("admin@example.com").post("/api/v1/users", json=_new_user(org, email))
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["field"] == "email"
    assert error["code"] in ("invalid_format", "required")
    assert _users(engine) == before


def test_the_refusal_names_the_rule_in_both_languages(org, sign_in, engine):
    bad = _new_user(org, 'a@b.c"<script>')
    english = sign_in("admin@example.com").post("/api/v1/users", json=bad)
    assert english.json()["errors"] == [
        {"field": "email", "code": "invalid_format", "message": "is not a valid email address"}
    ]
    with Session(engine) as session:
        session.execute(update(User).where(User.email == "admin@example.com").values(locale="zh-CN"))
        session.commit()
    chinese = sign_in("admin@example.com").post("/api/v1/users", json=bad)
    assert chinese.json()["errors"] == [
        {"field": "email", "code": "invalid_format", "message": "不是有效的邮箱地址"}
    ]
    wrong_type = sign_in("admin@example.com").post("/api/v1/users", json=_new_user(org, ["rep9@example.com"]))
    assert wrong_type.json()["errors"] == [{"field": "email", "code": "wrong_type", "message": "必须是文本"}]
    huge = sign_in("admin@example.com").post("/api/v1/users", json=_new_user(org, "a" * 10_000 + "@example.com"))
    assert huge.json()["errors"] == [{"field": "email", "code": "too_long", "message": "不能超过 254 个字符"}]


@pytest.mark.parametrize("email", LOOK_ALIKES)
def test_a_look_alike_of_an_address_in_use_is_taken(org, sign_in, engine, email):
    admin = sign_in("admin@example.com")
    before = _users(engine)
    created = admin.post("/api/v1/users", json=_new_user(org, email))
    assert created.status_code == 422
    assert created.json()["errors"] == [{"field": "email", "code": "taken", "message": "is already in use"}]
    moved = admin.patch(f"/api/v1/users/{org.user('rep2')}", json={"email": email})
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["code"] == "taken"
    assert _users(engine) == before
    with Session(engine) as session:
        assert session.get_one(User, org.user("rep2")).email == "rep2@example.com"


def test_addresses_are_stored_normalised_and_found_in_any_spelling(org, sign_in, anonymous, engine):
    admin = sign_in("admin@example.com")
    created = admin.post("/api/v1/users", json=_new_user(org, "Ｚｈａｎｇ.Wei@Bücher.COM"))
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "zhang.wei@bücher.com"
    # The same address again, spelt with the ASCII form of its domain: one address, taken.
    punycode = admin.post("/api/v1/users", json=_new_user(org, "ZHANG.WEI@xn--bcher-kva.com"))
    assert punycode.json()["errors"][0]["code"] == "taken"
    for spelling in (
        "zhang.wei@bücher.com",
        "ZHANG.WEI@XN--BCHER-KVA.COM",
        "ｚｈａｎｇ.ｗｅｉ＠ｂüｃｈｅｒ.ｃｏｍ",
    ):
        login = anonymous.post("/api/v1/auth/login", json={"email": spelling, "password": "long-enough-1"})
        assert login.status_code == 200, (spelling, login.text)
        assert login.json()["user"]["email"] == "zhang.wei@bücher.com"


def test_signing_in_with_a_look_alike_is_the_same_account(org, anonymous):
    login = anonymous.post("/api/v1/auth/login", json={"email": "ＲＥＰ1＠example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["id"] == org.user("rep1")
    garbage = anonymous.post("/api/v1/auth/login", json={"email": 'a@b.c"<script>', "password": PASSWORD})
    assert (garbage.status_code, garbage.json()["code"]) == (401, "invalid_credentials")
