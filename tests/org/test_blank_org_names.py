"""A name made only of invisible characters (zero-width spaces, joiners, BOM, ideographic spaces) is no
name: it is refused as `required`, in the user's language, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.org.models import Unit, User

INVISIBLE_NAMES = [
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width non-joiner and joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u200b \u3000\u200b\t",  # mixed with ordinary and ideographic spaces
    "\u202e\u200e",  # direction overrides and marks
    "\u3164",  # Hangul filler: a letter that draws nothing
]


def _counts(engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(User)) or 0,
            session.scalar(select(func.count()).select_from(Unit)) or 0,
        )


def _speak(engine, who: str, locale: str) -> None:
    with Session(engine) as session:
        session.execute(update(User).where(User.email == f"{who}@example.com").values(locale=locale))
        session.commit()


@pytest.mark.parametrize("name", INVISIBLE_NAMES)
def test_an_invisible_user_or_unit_name_is_required_and_nothing_is_stored(org, sign_in, engine, name):
    admin = sign_in("admin@example.com")
    before = _counts(engine)
    user = admin.post(
        "/api/v1/users",
        json={
            "email": "new@example.com",
            "name": name,
            "role": "rep",
            "unit_id": org.unit("team1"),
            "password": "long-enough-1",
        },
    )
    unit = admin.post("/api/v1/units", json={"name": name, "kind": "team", "parent_id": org.unit("east")})
    for response in (user, unit):
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [{"field": "name", "code": "required", "message": "is required"}]
    renamed = admin.patch(f"/api/v1/units/{org.unit('team1')}", json={"name": name})
    assert renamed.status_code == 422
    assert _counts(engine) == before
    with Session(engine) as session:
        assert session.get_one(Unit, org.unit("team1")).name == "team1"


def test_the_refusal_speaks_chinese_to_a_chinese_user(org, sign_in, engine):
    _speak(engine, "admin", "zh-CN")
    response = sign_in("admin@example.com").post(
        "/api/v1/units", json={"name": "\u200b\u200b", "kind": "team", "parent_id": org.unit("east")}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "name", "code": "required", "message": "为必填项"}]


def test_a_name_keeps_its_inner_joiners_and_loses_invisible_edges(org, sign_in):
    admin = sign_in("admin@example.com")
    # A zero-width joiner inside an emoji sequence is part of the name; at its ends it is only noise.
    response = admin.post(
        "/api/v1/units",
        json={"name": "\u200b华东\u200d👩\u200d💻\ufeff", "kind": "team", "parent_id": org.unit("east")},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "华东\u200d👩\u200d💻"
