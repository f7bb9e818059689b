"""Sign-in from the outside: tokens, expiry, revocation, throttling, hashing, the same answer for all failures."""

from __future__ import annotations

import hashlib
import statistics
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.models import AuthToken
from backend.org.models import User
from tests.factories import PASSWORD


def _login(anonymous, email, password, **kwargs):
    return anonymous.post("/api/v1/auth/login", json={"email": email, "password": password}, **kwargs)


def test_login_answers_token_and_user(org, anonymous):
    response = _login(anonymous, "REP1@example.com ", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("fg_")
    assert {k: body["user"][k] for k in ("email", "role", "unit_id", "locale", "timezone")} == {
        "email": "rep1@example.com",
        "role": "rep",
        "unit_id": org.unit("team1"),
        "locale": "en",
        "timezone": "Asia/Shanghai",
    }


def test_unknown_email_and_wrong_password_get_the_same_answer(org, anonymous):
    unknown = _login(anonymous, "nobody@example.com", PASSWORD)
    wrong = _login(anonymous, "rep1@example.com", "not-the-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert unknown.headers["content-type"].startswith("application/problem+json")


def test_unknown_email_takes_about_as_long_as_a_wrong_password(org, anonymous):
    def timed(email):
        start = time.perf_counter()
        _login(anonymous, email, "wrong-password-1")
        return time.perf_counter() - start

    # Alternate the two so that machine noise hits both alike; medians of several tries.
    unknown, wrong = [], []
    for i in range(5):
        unknown.append(timed(f"ghost{i}@example.com"))
        wrong.append(timed("rep2@example.com"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.33 < ratio < 3, ratio


def test_tokens_and_passwords_are_stored_only_as_hashes(org, anonymous, engine):
    token = _login(anonymous, "rep1@example.com", PASSWORD).json()["token"]
    with Session(engine) as session:
        rows = session.scalars(select(AuthToken)).all()
        user = session.scalars(select(User).where(User.email == "rep1@example.com")).one()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_me_needs_a_valid_token(org, anonymous, sign_in):
    assert anonymous.get("/api/v1/me").status_code == 401
    assert anonymous.get("/api/v1/me", headers={"Authorization": "Bearer fg_forged"}).status_code == 401
    assert anonymous.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    me = sign_in("lead1@example.com").get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["role"] == "lead"


def test_logout_revokes_the_token_and_a_replay_fails(org, sign_in):
    api = sign_in("rep1@example.com")
    assert api.post("/api/v1/auth/logout").status_code == 204
    assert api.get("/api/v1/me").status_code == 401
    assert api.post("/api/v1/auth/logout").status_code == 401


def test_token_expires_after_thirty_days_unused(org, sign_in, clock):
    api = sign_in("rep1@example.com")
    clock.advance(days=29)
    assert api.get("/api/v1/me").status_code == 200
    clock.advance(days=31)
    assert api.get("/api/v1/me").status_code == 401


def test_expiry_slides_while_the_phone_keeps_using_it(org, sign_in, clock):
    api = sign_in("rep1@example.com")
    for _ in range(4):  # 100 days in all, used every 25 days
        clock.advance(days=25)
        assert api.get("/api/v1/me").status_code == 200


def test_ten_failures_lock_the_account_for_fifteen_minutes(org, anonymous, clock):
    for _ in range(10):
        assert _login(anonymous, "rep1@example.com", "wrong-password").status_code == 401
    locked = _login(anonymous, "rep1@example.com", PASSWORD)
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 15 * 60
    assert locked.json()["code"] == "too_many_attempts"
    # Another account from the same address is not affected.
    assert _login(anonymous, "rep2@example.com", PASSWORD).status_code == 200
    clock.advance(minutes=15, seconds=1)
    assert _login(anonymous, "rep1@example.com", PASSWORD).status_code == 200


def test_successful_sign_ins_never_count(org, anonymous):
    for _ in range(15):
        assert _login(anonymous, "rep1@example.com", PASSWORD).status_code == 200


def test_one_address_is_limited_only_far_above_the_account_limit(org, anonymous):
    for i in range(100):
        assert _login(anonymous, f"typo{i % 20}@example.com", "wrong-password").status_code == 401
    assert _login(anonymous, "rep1@example.com", PASSWORD).status_code == 429


def test_error_messages_follow_accept_language_before_sign_in(org, anonymous):
    english = _login(anonymous, "x@example.com", "bad-password", headers={"Accept-Language": "en-US,en;q=0.9"})
    chinese = _login(anonymous, "x@example.com", "bad-password", headers={"Accept-Language": "zh-CN"})
    default = _login(anonymous, "x@example.com", "bad-password")
    assert english.json()["title"] == "Email or password is wrong."
    assert chinese.json()["title"] == "邮箱或密码错误。"
    assert default.json()["title"] == chinese.json()["title"]


def test_login_refuses_bad_bodies_with_field_errors(org, anonymous):
    empty = anonymous.post("/api/v1/auth/login", json={})
    assert empty.status_code == 422
    assert sorted((e["field"], e["code"]) for e in empty.json()["errors"]) == [
        ("email", "required"),
        ("password", "required"),
    ]
    typed = anonymous.post("/api/v1/auth/login", json={"email": 5, "password": ["x"]})
    assert {e["code"] for e in typed.json()["errors"]} == {"wrong_type"}
    huge = anonymous.post("/api/v1/auth/login", json={"email": "a" * 5000, "password": "x"})
    assert huge.status_code == 422
    assert huge.json()["errors"][0] == {"field": "email", "code": "too_long", "message": "不能超过 254 个字符"}
    garbage = anonymous.post(
        "/api/v1/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 400
    assert garbage.json()["code"] == "malformed_request"
