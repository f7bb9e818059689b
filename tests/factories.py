"""Factories: a small org tree with every role, built through the same services the app uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from backend.auth.service import hash_password
from backend.org.models import Unit, User

PASSWORD = "correct-horse-9"
# One hash for every factory user: argon2 is slow on purpose, and tests make many users.
_HASH = hash_password(PASSWORD)


@dataclass
class Org:
    """company → east (team1: lead1, rep1, rep2; team2: lead2, rep3) and south (team3: rep4)."""

    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def unit(self, name: str) -> str:
        return self.units[name].id

    def user(self, name: str) -> str:
        return self.users[name].id

    def email(self, name: str) -> str:
        return self.users[name].email


def add_unit(
    session: Session, org: Org, key: str, kind: str, parent: str | None, timezone: str = "Asia/Shanghai"
) -> Unit:
    parent_unit = org.units.get(parent) if parent else None
    unit = Unit(name=key, kind=kind, parent_id=parent_unit.id if parent_unit else None, timezone=timezone, path="")
    unit.path = f"{parent_unit.path if parent_unit else '/'}{unit.id}/"
    session.add(unit)
    session.flush()
    org.units[key] = unit
    return unit


def add_user(session: Session, org: Org, key: str, role: str, unit: str, locale: str = "en") -> User:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    user = User(
        email=f"{key}@example.com",
        name=key.title(),
        role=role,
        unit_id=org.unit(unit),
        locale=locale,
        password_hash=_HASH,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    org.users[key] = user
    return user


def build_org(session: Session) -> Org:
    org = Org()
    add_unit(session, org, "company", "company", None)
    add_unit(session, org, "east", "region", "company")
    add_unit(session, org, "south", "region", "company")
    add_unit(session, org, "team1", "team", "east")
    add_unit(session, org, "team2", "team", "east")
    add_unit(session, org, "team3", "team", "south")
    add_user(session, org, "admin", "admin", "company")
    add_user(session, org, "boss", "manager", "company")
    add_user(session, org, "eastmgr", "manager", "east")
    add_user(session, org, "lead1", "lead", "team1")
    add_user(session, org, "rep1", "rep", "team1")
    add_user(session, org, "rep2", "rep", "team1", locale="zh-CN")
    add_user(session, org, "lead2", "lead", "team2")
    add_user(session, org, "rep3", "rep", "team2")
    add_user(session, org, "rep4", "rep", "team3")
    return org
