"""Who may see and change what: the one authorisation policy every feature uses.

- a rep sees and changes only their own work;
- a lead manages the team unit they belong to (its users and their work);
- a manager manages the subtree of their unit, at any depth;
- an admin manages everything.

People rank by role (rep < lead < manager < admin). A user changes another user only when the other is in
their scope and ranks below them: a lower role, or the same role in a unit strictly below theirs (the
company's manager over a region's manager). Only an admin changes an admin. Users change themselves only at
`/me`. Seasonality profiles and review dimensions shape everyone's figures below a unit: managers only.

Everyone also sees the units above them (and their goals), and the directory of the units they see.

A record outside the caller's scope answers `NotFound`, exactly like an id that does not exist, so ids
leak nothing. `Forbidden` is only for what the caller can see but may not do (a rep approving a visit).
Features build their queries from the clauses here instead of repeating role checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.errors import Forbidden, InvalidInput, NotFound
from backend.org.models import Unit, User

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """The signed-in caller, with what the policy needs to know about their place in the tree."""

    id: str
    email: str
    name: str
    role: str
    unit_id: str
    unit_path: str
    locale: str
    timezone: str
    # Someone else set their password: the app asks them to choose their own.
    must_change_password: bool = False

    @property
    def ancestor_unit_ids(self) -> list[str]:
        """Own unit and every unit above it."""
        return [part for part in self.unit_path.split("/") if part]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def manages_people(self) -> bool:
        return self.role in ("lead", "manager", "admin")


def actor_for(user: User, unit: Unit) -> Actor:
    return Actor(
        user.id,
        user.email,
        user.name,
        user.role,
        user.unit_id,
        unit.path,
        user.locale,
        user.timezone,
        user.must_change_password,
    )


def managed_units(actor: Actor) -> ColumnElement[bool]:
    """Units whose people and work the actor manages."""
    if actor.role == "admin":
        return true()
    if actor.role == "manager":
        return col(Unit.path).startswith(actor.unit_path, autoescape=True)
    if actor.role == "lead":
        return col(Unit.id) == actor.unit_id
    return false()


def visible_units(actor: Actor) -> ColumnElement[bool]:
    """Units the actor sees: the ones they manage and the ones above them."""
    return or_(managed_units(actor), col(Unit.id).in_(actor.ancestor_unit_ids))


def owners(actor: Actor, owner_column: Any) -> ColumnElement[bool]:
    """Rows owned by a user whose work the actor may see: their own, or their managed units' people."""
    if actor.role == "admin":
        return true()
    others = others_owned(actor, owner_column)
    return owner_column == actor.id if others is None else or_(owner_column == actor.id, others)


def others_owned(actor: Actor, owner_column: Any) -> ColumnElement[bool] | None:
    """Rows owned by the people the actor may see besides themselves; None when there are none (a rep)."""
    if actor.role == "admin":
        return true()
    if actor.role == "rep":
        return None
    team = select(User.id).join(Unit, col(Unit.id) == User.unit_id).where(managed_units(actor))
    return owner_column.in_(team)


def require_manager(actor: Actor) -> None:
    """Leads and above: what CONTRACT.md lets a lead do for their team (goals, customers, the desk)."""
    if not actor.manages_people:
        raise Forbidden()


def require_unit_manager(actor: Actor) -> None:
    """Managers and admins only: rules that reach beyond one team (seasonality, review dimensions)."""
    if actor.role not in ("manager", "admin"):
        raise Forbidden()


RANK = {"rep": 0, "lead": 1, "manager": 2, "admin": 3}


def ranks_above(actor: Actor, role: str, unit_path: str) -> bool:
    """Whether the actor ranks above someone of `role` in the unit at `unit_path` (in the actor's scope).

    An admin ranks above everyone but admins, who are changed only by an admin (the caller checks the last
    active one). Among equals, only a unit strictly below the actor's counts."""
    if actor.is_admin:
        return True
    if RANK[role] != RANK[actor.role]:
        return RANK[role] < RANK[actor.role]
    return unit_path != actor.unit_path and unit_path.startswith(actor.unit_path)


def require_ranks_above(actor: Actor, role: str, unit_path: str) -> None:
    """A user the actor can see but does not rank above (their boss, a peer, an admin): visible, so Forbidden."""
    if not ranks_above(actor, role, unit_path):
        raise Forbidden()


def get_unit(session: Session, actor: Actor, unit_id: str, *, manage: bool = True) -> Unit:
    clause = managed_units(actor) if manage else visible_units(actor)
    unit = session.scalars(select(Unit).where(Unit.id == unit_id, clause)).first()
    if unit is None:
        raise NotFound()
    return unit


def get_user(session: Session, actor: Actor, user_id: str, *, manage: bool = True) -> User:
    """A user the actor manages (or, with manage=False, may see in the directory)."""
    clause = managed_units(actor) if manage else visible_units(actor)
    query = select(User).join(Unit, col(Unit.id) == User.unit_id).where(User.id == user_id)
    if not (not manage and user_id == actor.id):
        query = query.where(clause)
    user = session.scalars(query).first()
    if user is None:
        raise NotFound()
    return user


def owner_ids(session: Session, actor: Actor) -> frozenset[str] | None:
    """Whose work the actor may see, as user ids (None: everyone's); the same rule as `owners`.

    Kept for the session (one request): a sync batch checks it for every mutation, and nothing in a
    request moves people between teams halfway through.
    """
    if actor.role == "admin":
        return None
    cache: dict[str, frozenset[str]] = session.info.setdefault("fieldgoal.owner_ids", {})
    if actor.id not in cache:
        if actor.role == "rep":
            cache[actor.id] = frozenset({actor.id})
        else:
            team = session.scalars(
                select(User.id).join(Unit, col(Unit.id) == User.unit_id).where(managed_units(actor))
            )
            cache[actor.id] = frozenset({actor.id, *team})
    return cache[actor.id]


# The records a session was asked for by id, kept by it (`get_owned`, `preload`).
_LOADED = "fieldgoal.loaded"


def preload(session: Session, wanted: dict[type[Any], set[str]]) -> None:
    """Load the named records in one query per model (of 500 ids), for `get_owned` to find without one each:
    a sync batch names hundreds of customers and visits, and a query per record was a third of its time."""
    loaded: dict[tuple[type[Any], str], Any] = session.info.setdefault(_LOADED, {})
    for model, ids in wanted.items():
        missing = sorted(record_id for record_id in ids if (model, record_id) not in loaded)
        for start in range(0, len(missing), 500):
            for record in session.scalars(select(model).where(model.id.in_(missing[start : start + 500]))):
                loaded[(model, record.id)] = record


def get_owned(session: Session, actor: Actor, model: type[T], record_id: str, owner_column: Any) -> T:
    """A record owned by someone whose work the actor may see; NotFound otherwise (deleted ones too)."""
    # The identity map holds records weakly: the session keeps those it loaded here, so the next mutation of
    # a batch that names one (a visit's customer, hundreds of times) finds it without another query or
    # `Session.get`'s own cost. One rolled back with its savepoint has left the session: it is read again.
    loaded: dict[tuple[type[Any], str], Any] = session.info.setdefault(_LOADED, {})
    record = loaded.get((model, record_id))
    if record is None or record not in session:
        record = loaded[(model, record_id)] = session.get(model, record_id)
    if record is None or getattr(record, "deleted_at", None) is not None:
        raise NotFound()
    allowed = owner_ids(session, actor)
    if allowed is not None and getattr(record, owner_column.key) not in allowed:
        raise NotFound()
    return record


def get_referenced(
    session: Session, actor: Actor, model: type[T], record_id: str, owner_column: Any, field: str
) -> T:
    """A record that another one names by id (a visit's `customer_id`): missing or outside the actor's scope,
    it is the naming field that is refused, `not_found`, so the user learns which reference is wrong."""
    try:
        return get_owned(session, actor, model, record_id, owner_column)
    except NotFound:
        raise InvalidInput.one(field, "not_found") from None
