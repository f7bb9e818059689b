"""Rules of the org tree: creating and moving units, managing users and roles.

Moving a unit or a user changes what many people may see; `reset_scope_around` raises the scope epoch of
everyone whose view may have changed, so their next sync starts over from a full pull (SYNC.md rule 8).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.audit.service import record_audit
from backend.auth.passwords import check_password_strength
from backend.auth.service import check_current_password, hash_password, revoke_all
from backend.errors import Forbidden, InvalidInput, NotFound
from backend.kpi import service as kpi  # progress hooks
from backend.org.models import DEFAULT_TIMEZONE, ROLES, UNIT_KINDS, Unit, User
from backend.org.schemas import UnitPublic, UserPublic
from backend.paging import Ordering, Page, PageRequest, SortKey, fetch_page
from backend.policy import Actor, get_unit, get_user, managed_units, require_ranks_above
from backend.settings import Settings
from backend.sync.registry import declare, of_unit
from backend.validation import Choice, Email, Flag, Integer, Text, TimeZone, Uuid, validate

UNIT_FIELDS = {
    "name": Text(required=True, min_len=1, max_len=200, nullable=False),
    "kind": Choice(required=True, choices=UNIT_KINDS, nullable=False),
    "parent_id": Uuid(),
    "timezone": TimeZone(nullable=False),
    # Null: the parent's radius (and at the top, the `check_in_radius_m` setting).
    "check_in_radius_m": Integer(min=10, max=100_000),
}
USER_FIELDS = {
    "email": Email(required=True, nullable=False),
    "name": Text(required=True, min_len=1, max_len=200, nullable=False),
    "role": Choice(required=True, choices=ROLES, nullable=False),
    "unit_id": Uuid(required=True, nullable=False),
    "password": Text(required=True, max_len=200, strip=False, nullable=False),
    "locale": Choice(choices=("zh-CN", "en"), nullable=False),
    "timezone": TimeZone(nullable=False),
    "active": Flag(nullable=False),
}
# What the audit trail keeps of a user's change: the fields that move power or identity (never the hash).
AUDITED_USER_FIELDS = ("email", "role", "unit_id", "active")


def unit_public(unit: Unit) -> UnitPublic:
    return UnitPublic(
        id=unit.id,
        name=unit.name,
        kind=unit.kind,
        parent_id=unit.parent_id,
        timezone=unit.timezone,
        check_in_radius_m=unit.check_in_radius_m,
        version=unit.version,
        updated_at=unit.updated_at.isoformat(),
    )


def user_public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        unit_id=user.unit_id,
        locale=user.locale,
        timezone=user.timezone,
        active=user.active,
        version=user.version,
        updated_at=user.updated_at.isoformat(),
    )


# Units by path (a parent before its children), users by name; ids make each key unique.
UNIT_ORDER = Ordering.of("units", SortKey(Unit.path), SortKey(Unit.id))
USER_ORDER = Ordering.of("users", SortKey(User.name), SortKey(User.id))


def list_units(session: Session, actor: Actor, page: PageRequest) -> Page[Unit]:
    if actor.role not in ("manager", "admin"):
        raise Forbidden()
    return fetch_page(session, select(Unit).where(managed_units(actor)), UNIT_ORDER, page)


def create_unit(session: Session, actor: Actor, data: Any, now: datetime, max_text: int) -> Unit:
    if actor.role not in ("manager", "admin"):
        raise Forbidden()
    values = validate(data, UNIT_FIELDS, max_text=max_text)
    parent: Unit | None = None
    if values.get("parent_id"):
        parent = _parent_in_scope(session, actor, values["parent_id"])
    elif not actor.is_admin:
        raise InvalidInput.one("parent_id", "required")
    unit = Unit(
        name=values["name"],
        kind=values["kind"],
        parent_id=parent.id if parent else None,
        timezone=values.get("timezone") or (parent.timezone if parent else DEFAULT_TIMEZONE),
        check_in_radius_m=values.get("check_in_radius_m"),
        path="",
        updated_at=now,
    )
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.add(unit)
    session.flush()
    return unit


def update_unit(session: Session, actor: Actor, unit_id: str, data: Any, now: datetime, max_text: int) -> Unit:
    if actor.role not in ("manager", "admin"):
        raise Forbidden()
    unit = get_unit(session, actor, unit_id)
    values = validate(data, UNIT_FIELDS, partial=True, max_text=max_text)
    for name in ("name", "kind", "timezone", "check_in_radius_m"):
        if name in values:
            setattr(unit, name, values[name])
    if "parent_id" in values and values["parent_id"] != unit.parent_id:
        _move_unit(session, actor, unit, values["parent_id"])
    unit.version += 1
    unit.updated_at = now
    return unit


def _parent_in_scope(session: Session, actor: Actor, parent_id: str) -> Unit:
    try:
        return get_unit(session, actor, parent_id)
    except NotFound:
        raise InvalidInput.one("parent_id", "not_found") from None


def _move_unit(session: Session, actor: Actor, unit: Unit, parent_id: str | None) -> None:
    if parent_id is None:
        if not actor.is_admin:
            raise InvalidInput.one("parent_id", "required")
        new_prefix = "/"
    else:
        parent = _parent_in_scope(session, actor, parent_id)
        if parent.path.startswith(unit.path):
            raise InvalidInput.one("parent_id", "invalid_parent")
        new_prefix = parent.path
    if unit.id == actor.unit_id and not actor.is_admin:
        raise Forbidden()
    old_path = unit.path
    reset_scope_around(session, unit_ids={unit.id}, subtree_paths={old_path})
    new_path = f"{new_prefix}{unit.id}/"
    for descendant in session.scalars(select(Unit).where(col(Unit.path).startswith(old_path, autoescape=True))):
        descendant.path = new_path + descendant.path[len(old_path) :]
    unit.parent_id = parent_id
    session.flush()
    reset_scope_around(session, unit_ids={unit.id}, subtree_paths={new_path})


def reset_scope_around(
    session: Session,
    *,
    unit_ids: set[str] = frozenset(),  # type: ignore[assignment]
    user_ids: set[str] = frozenset(),  # type: ignore[assignment]
    subtree_paths: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Make everyone whose view may have changed start their next sync with a full pull.

    That is: the users named, the people of the units named (and of the subtrees named), and the leads
    and managers above any of those units. Over-approximating costs one extra full pull; missing someone
    would leave records on a phone that may no longer see them.
    """
    unit_ids = set(unit_ids)
    for user in session.scalars(select(User).where(col(User.id).in_(user_ids))):
        unit_ids.add(user.unit_id)
    clauses: list[ColumnElement[bool]] = [col(User.id).in_(user_ids), col(User.unit_id).in_(unit_ids)]
    ancestors: set[str] = set()
    for path in [*session.scalars(select(Unit.path).where(col(Unit.id).in_(unit_ids))), *subtree_paths]:
        ancestors.update(part for part in path.split("/") if part)
        clauses.append(
            col(User.unit_id).in_(select(Unit.id).where(col(Unit.path).startswith(path, autoescape=True)))
        )
    clauses.append(col(User.role).in_(("lead", "manager")) & col(User.unit_id).in_(ancestors))
    session.execute(update(User).where(or_(*clauses)).values(scope_epoch=User.scope_epoch + 1))


def list_users(session: Session, actor: Actor, page: PageRequest) -> Page[User]:
    if not actor.manages_people:
        raise Forbidden()
    query = select(User).join(Unit, col(Unit.id) == User.unit_id).where(managed_units(actor))
    return fetch_page(session, query, USER_ORDER, page)


def _unit_for_user(session: Session, actor: Actor, unit_id: str) -> Unit:
    try:
        return get_unit(session, actor, unit_id)
    except NotFound:
        raise InvalidInput.one("unit_id", "not_found") from None


def _check_password(password: str, *user_inputs: str) -> None:
    """A new password: long enough and not guessable (backend/auth/passwords.py), also from `user_inputs`,
    what is known of its user (email, name)."""
    check_password_strength(password, user_inputs)


def create_user(
    session: Session,
    actor: Actor,
    data: Any,
    now: datetime,
    max_text: int,
    *,
    audit: bool = True,
    must_change_password: bool = True,
) -> User:
    """A new user of a role and unit the actor ranks above. Their password was chosen by someone else, so
    they are asked to choose their own (the operator's command-line and demo accounts are not)."""
    if not actor.manages_people:
        raise Forbidden()
    values = validate(data, USER_FIELDS, max_text=max_text)
    unit = _unit_for_user(session, actor, values["unit_id"])
    require_ranks_above(actor, values["role"], unit.path)
    _check_password(values["password"], values["email"], values["name"])
    if session.scalars(select(User.id).where(User.email == values["email"])).first():
        raise InvalidInput.one("email", "taken")
    user = User(
        email=values["email"],
        name=values["name"],
        role=values["role"],
        unit_id=unit.id,
        locale=values.get("locale", "zh-CN"),
        timezone=values.get("timezone") or unit.timezone,
        password_hash=hash_password(values["password"]),
        must_change_password=must_change_password,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    if audit:
        record_audit(
            session, actor.id, "user.create", "user", user.id, {}, {"role": user.role, "unit_id": unit.id}
        )
    return user


def _audited(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in AUDITED_USER_FIELDS}


def _unit_path(session: Session, unit_id: str) -> str:
    return session.get_one(Unit, unit_id).path


def _check_not_last_admin(session: Session, user: User, values: dict[str, Any]) -> None:
    """Someone must always be able to manage everyone: the last active admin keeps the role and stays on."""
    if user.role != "admin" or not user.active:
        return
    field = (
        "role" if values.get("role", "admin") != "admin" else "active" if values.get("active") is False else None
    )
    if field is None:
        return
    others = select(User.id).where(User.role == "admin", col(User.active), User.id != user.id)
    if session.scalars(others).first() is None:
        raise InvalidInput.one(field, "last_admin")


def update_user(session: Session, actor: Actor, user_id: str, data: Any, now: datetime, max_text: int) -> User:
    """Change someone the actor ranks above (policy.ranks_above), before and after the change alike; users
    change themselves at `/me` (`update_me`). A password set here is known to the actor: it signs the user
    out and asks them to choose their own."""
    if not actor.manages_people:
        raise Forbidden()
    user = get_user(session, actor, user_id)
    if user.id == actor.id:
        raise Forbidden()
    require_ranks_above(actor, user.role, _unit_path(session, user.unit_id))
    values = validate(data, USER_FIELDS, partial=True, max_text=max_text)
    before = _audited(user)
    previous_timezone = user.timezone
    email_changes = "email" in values and values["email"] != user.email
    if email_changes and session.scalars(select(User.id).where(User.email == values["email"])).first():
        raise InvalidInput.one("email", "taken")
    unit_path = _unit_path(session, user.unit_id)
    if "unit_id" in values and values["unit_id"] != user.unit_id:
        unit_path = _unit_for_user(session, actor, values["unit_id"]).path
    require_ranks_above(actor, values.get("role", user.role), unit_path)
    _check_not_last_admin(session, user, values)
    if "password" in values:
        _check_password(values["password"], values.get("email", user.email), values.get("name", user.name))
        user.password_hash = hash_password(values["password"])
        user.must_change_password = True
        revoke_all(session, user.id, now)
    if values.get("active") is False:
        revoke_all(session, user.id, now)
    for name in ("email", "name", "role", "unit_id", "locale", "timezone", "active"):
        if name in values:
            setattr(user, name, values[name])
    user.version += 1
    user.updated_at = now
    session.flush()
    after = _audited(user)
    if (before["role"], before["unit_id"], before["active"]) != (user.role, user.unit_id, user.active):
        reset_scope_around(session, unit_ids={before["unit_id"], user.unit_id}, user_ids={user.id})
    changed = {name for name in AUDITED_USER_FIELDS if before[name] != after[name]}
    if changed or "password" in values:
        audit_after = {name: after[name] for name in changed} | (
            {"password": "set"} if "password" in values else {}
        )
        audit_before = {name: before[name] for name in changed}
        record_audit(session, actor.id, "user.update", "user", user.id, audit_before, audit_after)
    if before["unit_id"] != user.unit_id or previous_timezone != user.timezone:
        # the rollups of both units (and, with a new zone, the rep's local days) change.
        kpi.user_changed(session, user, before["unit_id"], previous_timezone, now)
    return user


ME_FIELDS = {
    "locale": USER_FIELDS["locale"],
    "password": USER_FIELDS["password"],
    "current_password": Text(max_len=200, strip=False, nullable=False),
}


def update_me(
    session: Session, settings: Settings, actor: Actor, data: Any, now: datetime, address: str, token: str
) -> User:
    """The signed-in user's own locale and password. A new password needs the current one (a stolen token
    alone must not take the account), signs out every other device and ends `must_change_password`."""
    values = validate(data, ME_FIELDS, partial=True, max_text=settings.max_text_chars)
    user = session.get_one(User, actor.id)
    if "password" in values:
        if "current_password" not in values:
            raise InvalidInput.one("current_password", "required")
        check_current_password(session, settings, user, values["current_password"], address, now)
        _check_password(values["password"], user.email, user.name)
        user.password_hash = hash_password(values["password"])
        user.must_change_password = False
        revoke_all(session, user.id, now, keep=token)
        record_audit(session, actor.id, "user.password", "user", user.id, {}, {"password": "set"})
    if "locale" in values:
        user.locale = values["locale"]
    user.version += 1
    user.updated_at = now
    session.flush()
    return user


# Phones hold every unit their user sees, and each person they see (the person's own record is theirs).
declare("unit", Unit, unit_public, of_unit("id"))
declare("user", User, user_public, lambda user: (user.id, user.unit_id))
