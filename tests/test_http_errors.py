"""Litestar's own refusals as the product's problem details: a query parameter of the wrong type names that
parameter, valid JSON of the wrong shape names the body or the field, and only a body that is not JSON at
all is titled "not valid JSON". Each is in the caller's language and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.org.models import User
from tests.conftest import Api

INVALID_FIELDS = {"en": "The request has invalid fields.", "zh-CN": "请求中有无效的字段。"}
NOT_JSON = {"en": "The request body is not valid JSON.", "zh-CN": "请求体不是有效的 JSON。"}
MALFORMED = {"en": "The request is malformed, so nothing was applied.", "zh-CN": "请求格式有误，未执行任何操作。"}


def _raw(api: Api, path: str, content: bytes, language: str = "en") -> Any:
    # A body that cannot be read fails before the caller is known: Accept-Language decides its language.
    headers = {"Content-Type": "application/json", "Accept-Language": language}
    return api.client.post(path, content=content, headers=api.headers(headers))


def _users(engine: Any) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def _errors(response: Any) -> list[tuple[str, str, str]]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return [(e["field"], e["code"], e["message"]) for e in response.json()["errors"]]


def _speak_chinese(engine: Any, who: str) -> None:
    with Session(engine) as session:
        session.execute(update(User).where(User.email == f"{who}@example.com").values(locale="zh-CN"))
        session.commit()


@pytest.mark.parametrize(
    ("who", "path", "errors"),
    [
        ("rep1", "/api/v1/notifications?limit=abc", [("limit", "wrong_type", "must be a whole number")]),
        ("rep1", "/api/v1/notifications?limit=1.5", [("limit", "wrong_type", "must be a whole number")]),
        (
            "lead1",
            "/api/v1/visits?min_distance_m=near&max_accuracy_m=lots",
            [
                ("min_distance_m", "wrong_type", "must be a number"),
                ("max_accuracy_m", "wrong_type", "must be a number"),
            ],
        ),
        ("admin", "/api/v1/calendars/{team1}?year=MMXXVI", [("year", "wrong_type", "must be a whole number")]),
        ("admin", f"/api/v1/calendars/{{team1}}?year={'9' * 5000}", [("year", "invalid", "is not a valid value")]),
    ],
)
def test_a_query_parameter_of_the_wrong_type_is_named(org, sign_in, who, path, errors):
    response = sign_in(f"{who}@example.com").get(path.format(team1=org.unit("team1")))
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["title"]) == ("validation_failed", INVALID_FIELDS["en"])
    assert sorted(_errors(response)) == sorted(errors)


def test_the_query_parameter_error_speaks_chinese(org, sign_in, engine):
    _speak_chinese(engine, "rep1")
    response = sign_in("rep1@example.com").get("/api/v1/notifications?limit=abc")
    assert response.json()["title"] == INVALID_FIELDS["zh-CN"]
    assert _errors(response) == [("limit", "wrong_type", "必须是整数")]


@pytest.mark.parametrize(
    ("content", "errors"),
    [
        (b"[1, 2]", [("body", "wrong_type", "must be an object")]),
        (b'"a user"', [("body", "wrong_type", "must be an object")]),
        (b"42", [("body", "wrong_type", "must be an object")]),
        (b"", [("body", "required", "is required")]),
        (
            b'{"email": 5, "name": "x", "role": "rep", "unit_id": "%s", "password": "long-enough-1"}',
            [("email", "wrong_type", "must be text")],
        ),
        (b'{"email": "new@example.com", "name": ["x"]}', None),
    ],
)
def test_valid_json_of_the_wrong_shape_names_the_body_or_the_field(org, sign_in, engine, content, errors):
    before = _users(engine)
    response = _raw(
        sign_in("admin@example.com"), "/api/v1/users", content.replace(b"%s", org.unit("team1").encode())
    )
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["title"]) == ("validation_failed", INVALID_FIELDS["en"])
    if errors is None:  # several broken fields: each named, none of them the body
        assert {"name", "role", "unit_id", "password"} <= {field for field, _, _ in _errors(response)}
        assert "body" not in {field for field, _, _ in _errors(response)}
    else:
        assert _errors(response) == errors
    assert _users(engine) == before


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"email": "a@example.com",', b'{"limit": NaN}', b"[" * 5000 + b"]" * 5000, b'{"a": "\xff"}'],
)
def test_only_a_body_that_is_not_json_is_called_so(org, sign_in, engine, content):
    before = _users(engine)
    response = _raw(sign_in("admin@example.com"), "/api/v1/users", content)
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["title"]) == ("malformed_request", NOT_JSON["en"])
    assert _errors(response) == [("body", "invalid_json", "is not valid JSON")]
    assert _users(engine) == before


def test_not_json_speaks_the_language_the_client_asks_for(org, sign_in):
    response = _raw(sign_in("admin@example.com"), "/api/v1/users", b"{not json", language="zh-CN,zh;q=0.9")
    assert response.json()["title"] == NOT_JSON["zh-CN"]
    assert _errors(response) == [("body", "invalid_json", "不是有效的 JSON")]


def test_a_sync_envelope_of_valid_json_is_malformed_not_unreadable(org, sign_in):
    rep = sign_in("rep1@example.com")
    envelope = _raw(rep, "/api/v1/sync", b'{"protocol": 1, "client_id": 5, "mutations": []}')
    assert envelope.status_code == 400
    assert (envelope.json()["code"], envelope.json()["title"]) == ("malformed_request", MALFORMED["en"])
    assert _errors(envelope) == [("client_id", "wrong_type", "must be text")]
    unreadable = _raw(rep, "/api/v1/sync", b'{"protocol": 1, "client_id": "abcdefgh", "mutations": [')
    assert (unreadable.status_code, unreadable.json()["title"]) == (400, NOT_JSON["en"])


def test_a_method_the_address_does_not_answer_names_the_ones_it_does(org, sign_in):
    admin = sign_in("admin@example.com")
    response = admin.client.put("/api/v1/units", headers=admin.headers())
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "method_not_allowed"
    assert sorted(method.strip() for method in response.headers["allow"].split(",")) == ["GET", "OPTIONS", "POST"]
