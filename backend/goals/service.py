"""Rules for goals: setting them, changing them (every change of a target kept), allocating a parent goal
to its children, splitting a year into months by a seasonality profile.

Additive metrics (revenue, visits, new customers) must add up: a parent's children may take at most its
target, and what they do not take is the parent's `unallocated` gap, always shown. A parent has two kinds of
children, checked separately: other subjects' goals for the same period (an allocation: region → teams →
reps) and the subject's own goals for shorter periods (a split over time: a year into months). Ratio
metrics (conversion, satisfaction) cascade as thresholds: each child has its own, and nothing is summed.

Who: goals are set and changed by whoever manages their subject (policy.py): a lead for the team and its
reps, a manager for the subtree. Everyone sees the goals of the units above them and their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.audit.service import record_audit
from backend.errors import FieldError, Forbidden, InvalidInput, NotFound, OverAllocated
from backend.goals.models import ADDITIVE_METRICS, METRICS, SUBJECT_TYPES, Goal, GoalChange, Seasonality
from backend.goals.schemas import GoalChangePublic, GoalFamily, GoalPublic, SeasonalityPublic
from backend.kpi import service as kpi
from backend.kpi.engine import amount_text
from backend.org.models import Unit, User
from backend.paging import Ordering, Page, PageRequest, SortKey, fetch_page
from backend.periods import parse_period, period_ends_at, split_target
from backend.policy import (
    Actor,
    get_unit,
    get_user,
    owners,
    require_manager,
    require_unit_manager,
    visible_units,
)
from backend.sync.registry import by_subject, declare
from backend.validation import Choice, Money, PeriodKey, Rule, Uuid, validate
from backend.versioning import wire

# What a target may be, per metric: yuan to the cent, whole counts, a conversion 0–1, a satisfaction 1–5.
_COUNT = Money(required=True, nullable=False, places=0, whole_numbers=True, max=Decimal(10**9))
TARGET_RULES: dict[str, Rule] = {
    "revenue": Money(required=True, nullable=False),
    "visits": _COUNT,
    "new_customers": _COUNT,
    "conversion": Money(required=True, nullable=False, places=4, whole_numbers=True, max=Decimal(1)),
    "satisfaction": Money(
        required=True, nullable=False, places=2, whole_numbers=True, min=Decimal(1), max=Decimal(5)
    ),
}
GOAL_FIELDS: dict[str, Rule] = {
    "subject_type": Choice(required=True, nullable=False, choices=SUBJECT_TYPES),
    "subject_id": Uuid(required=True, nullable=False),
    "metric": Choice(required=True, nullable=False, choices=METRICS),
    "period": PeriodKey(required=True, nullable=False),
    "parent_id": Uuid(),
}
ALLOCATION_FIELDS: dict[str, Rule] = {
    "subject_type": Choice(required=True, nullable=False, choices=SUBJECT_TYPES),
    "subject_id": Uuid(required=True, nullable=False),
}
MAX_ALLOCATIONS = 1000


class GoalOverAllocated(OverAllocated):
    """Children that add up to more than their parent: the figures go in the problem document too."""

    def __init__(self, field: str, metric: str, total: Decimal, target: Decimal):
        figures = {"total": amount_text(metric, total), "target": amount_text(metric, target)}
        super().__init__(errors=[FieldError(field, "over_allocated", figures)], **figures)
        self.over_by = amount_text(metric, total - target)

    def extra(self) -> dict[str, Any]:
        return {"allocated": self.params["total"], "target": self.params["target"], "over_by": self.over_by}


# --- shapes ------------------------------------------------------------------------------------------------


def unallocated(goal: Goal) -> Decimal | None:
    """The part of an additive target not allocated to other subjects; None for a ratio (a threshold)."""
    return goal.target - goal.allocated if goal.metric in ADDITIVE_METRICS else None


def goal_public(goal: Goal) -> GoalPublic:
    gap = unallocated(goal)
    return GoalPublic(
        id=goal.id,
        subject_type=goal.subject_type,
        subject_id=goal.subject_id,
        metric=goal.metric,
        period=goal.period,
        target=amount_text(goal.metric, goal.target),
        parent_id=goal.parent_id,
        allocated=amount_text(goal.metric, goal.allocated) if gap is not None else None,
        unallocated=amount_text(goal.metric, gap) if gap is not None else None,
        version=goal.version,
        updated_at=goal.updated_at.isoformat(),
    )


def change_public(change: GoalChange, names: dict[str, str], metric: str) -> GoalChangePublic:
    return GoalChangePublic(
        id=change.id,
        goal_id=change.goal_id,
        changed_by=change.changed_by,
        changed_by_name=names.get(change.changed_by),
        changed_at=wire(change.changed_at),
        old_target=amount_text(metric, change.old_target) if change.old_target is not None else None,
        new_target=amount_text(metric, change.new_target),
        via=change.via,
    )


# --- scope -------------------------------------------------------------------------------------------------


def visible_goals(actor: Actor) -> ColumnElement[bool]:
    """Goals of the units the actor sees, and of the people whose work they see (themselves included)."""
    return or_(
        and_(
            col(Goal.subject_type) == "unit", col(Goal.subject_id).in_(select(Unit.id).where(visible_units(actor)))
        ),
        and_(col(Goal.subject_type) == "user", owners(actor, col(Goal.subject_id))),
    )


def _manages_subject(session: Session, actor: Actor, subject_type: str, subject_id: str) -> bool:
    try:
        if subject_type == "unit":
            get_unit(session, actor, subject_id)
        else:
            get_user(session, actor, subject_id)
    except NotFound:
        return False
    return True


def get_goal(session: Session, actor: Actor, goal_id: str, *, manage: bool = False) -> Goal:
    """A goal the actor sees (NotFound otherwise); with `manage`, Forbidden unless they manage its subject."""
    goal = session.scalars(select(Goal).where(Goal.id == goal_id, visible_goals(actor))).first()
    if goal is None:
        raise NotFound()
    if manage and not (
        actor.manages_people and _manages_subject(session, actor, goal.subject_type, goal.subject_id)
    ):
        raise Forbidden()
    return goal


# By period, then subject kind and metric; the id makes the key unique, so a page never ends between equals.
GOAL_ORDER = Ordering.of(
    "goals", SortKey(Goal.period), SortKey(Goal.subject_type), SortKey(Goal.metric), SortKey(Goal.id)
)


def list_goals(
    session: Session,
    actor: Actor,
    period: str | None,
    subject_type: str | None,
    subject_id: str | None,
    page: PageRequest,
) -> Page[Goal]:
    given = {
        k: v for k, v in {"period": period, "subject_type": subject_type, "subject_id": subject_id}.items() if v
    }
    spec = {"period": PeriodKey(), "subject_type": Choice(choices=SUBJECT_TYPES), "subject_id": Uuid()}
    filters = validate(given, spec)
    query = select(Goal).where(visible_goals(actor))
    for name, value in filters.items():
        query = query.where(getattr(Goal, name) == value)
    return fetch_page(session, query, GOAL_ORDER, page)


# --- targets and their history -----------------------------------------------------------------------------


def _set_target(session: Session, goal: Goal, target: Decimal, actor: Actor, now: datetime, via: str) -> bool:
    """Change a goal's target and keep the change (who, when, from, to); False when it is the same."""
    if goal.target == target:
        return False
    session.add(
        GoalChange(
            goal_id=goal.id,
            changed_by=actor.id,
            changed_at=now,
            old_target=goal.target,
            new_target=target,
            via=via,
        )
    )
    # the audit trail keeps every goal change with the other decisions managers read (GET /audit).
    record_audit(
        session,
        actor.id,
        "goal.target",
        "goal",
        goal.id,
        {"target": amount_text(goal.metric, goal.target)},
        {"target": amount_text(goal.metric, target), "via": via},
    )
    goal.target = target
    return True


def _touch(session: Session, goal: Goal, now: datetime) -> None:
    goal.version += 1
    goal.updated_at = now


def _new_goal(
    session: Session,
    actor: Actor,
    subject: tuple[str, str],
    metric: str,
    period: str,
    target: Decimal,
    parent_id: str | None,
    now: datetime,
    via: str,
) -> Goal:
    goal = Goal(
        subject_type=subject[0],
        subject_id=subject[1],
        metric=metric,
        period=period,
        target=target,
        parent_id=parent_id,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(goal)
    session.flush()
    session.add(
        GoalChange(
            goal_id=goal.id, changed_by=actor.id, changed_at=now, old_target=None, new_target=target, via=via
        )
    )
    return goal


def _existing(session: Session, subject: tuple[str, str], metric: str, period: str) -> Goal | None:
    return session.scalars(
        select(Goal).where(
            Goal.subject_type == subject[0],
            Goal.subject_id == subject[1],
            Goal.metric == metric,
            Goal.period == period,
        )
    ).first()


def _children(session: Session, parent: Goal) -> tuple[list[Goal], list[Goal]]:
    """A parent's children: (other subjects' goals: the allocation, the subject's own goals: a split in time)."""
    children = list(session.scalars(select(Goal).where(Goal.parent_id == parent.id)))
    own = [c for c in children if (c.subject_type, c.subject_id) == (parent.subject_type, parent.subject_id)]
    return [c for c in children if c not in own], own


def _check_fits(session: Session, parent: Goal, field: str, now: datetime) -> None:
    """Additive children must add up to at most the parent; keeps the parent's `allocated` up to date."""
    if parent.metric not in ADDITIVE_METRICS:
        return
    others, own = _children(session, parent)
    allocated = sum((c.target for c in others), Decimal(0))
    for total in (allocated, sum((c.target for c in own), Decimal(0))):
        if total > parent.target:
            raise GoalOverAllocated(field, parent.metric, total, parent.target)
    if parent.allocated != allocated:
        parent.allocated = allocated
        _touch(session, parent, now)


def recount_allocations(session: Session, now: datetime) -> int:
    """Recompute every parent's `allocated` from its children (after a bulk import such as the demo's)."""
    parents = list(session.scalars(select(Goal).where(col(Goal.id).in_(select(Goal.parent_id)))))
    before = {p.id: p.allocated for p in parents}
    for parent in parents:
        others, _ = _children(session, parent)
        allocated = sum((c.target for c in others), Decimal(0))
        if parent.metric in ADDITIVE_METRICS and parent.allocated != allocated:
            parent.allocated = allocated
            _touch(session, parent, now)
    return sum(1 for p in parents if p.allocated != before[p.id])


def _valid_parent(
    session: Session, actor: Actor, parent_id: str, goal: dict[str, Any], goal_id: str | None
) -> Goal:
    """A parent the actor sees, of the same metric, whose period contains the child's, and not a descendant."""
    try:
        parent = get_goal(session, actor, parent_id)
    except NotFound:
        raise InvalidInput.one("parent_id", "not_found") from None
    outer, inner = parse_period(parent.period), parse_period(goal["period"])
    if parent.metric != goal["metric"] or not (outer.start <= inner.start and inner.end <= outer.end):
        raise InvalidInput.one("parent_id", "parent_mismatch", metric=parent.metric, period=parent.period)
    ancestor: Goal | None = parent
    while ancestor is not None and goal_id is not None:
        if ancestor.id == goal_id:
            raise InvalidInput.one("parent_id", "invalid_parent")
        ancestor = session.get(Goal, ancestor.parent_id) if ancestor.parent_id else None
    return parent


def _target(metric: str, data: Any, field: str = "target", required: bool = True) -> dict[str, Any]:
    rule = TARGET_RULES.get(metric, TARGET_RULES["revenue"])
    return validate(data, {field: rule}, partial=not required)


# --- the operations ----------------------------------------------------------------------------------------


def create_goal(session: Session, actor: Actor, data: Any, now: datetime) -> Goal:
    """A new goal for a subject the actor manages; with `parent_id`, it must fit in the parent."""
    require_manager(actor)
    if not isinstance(data, dict):
        raise InvalidInput.one("body", "wrong_type", expected="object")
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    metric = data.get("metric")
    target_rule = (
        TARGET_RULES.get(metric, TARGET_RULES["revenue"]) if isinstance(metric, str) else TARGET_RULES["revenue"]
    )
    for spec in (GOAL_FIELDS, {"target": target_rule}):
        try:
            values |= validate({k: v for k, v in data.items() if k in spec}, spec)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    errors.extend(FieldError(k[:100], "unknown_field") for k in data if k not in GOAL_FIELDS and k != "target")
    if errors:
        raise InvalidInput(errors=errors)
    subject = (values["subject_type"], values["subject_id"])
    if not _manages_subject(session, actor, *subject):
        raise InvalidInput.one("subject_id", "not_found")
    if _existing(session, subject, values["metric"], values["period"]) is not None:
        raise InvalidInput.one("period", "taken")
    parent = _valid_parent(session, actor, values["parent_id"], values, None) if values.get("parent_id") else None
    goal = _new_goal(
        session,
        actor,
        subject,
        values["metric"],
        values["period"],
        values["target"],
        parent.id if parent else None,
        now,
        "create",
    )
    if parent is not None:
        _check_fits(session, parent, "target", now)
    kpi.goals_changed(session, [goal], now)
    return goal


def update_goal(session: Session, actor: Actor, goal_id: str, data: Any, now: datetime) -> Goal:
    """Change a goal's target (kept in its history) or its parent; both sides must still add up."""
    goal = get_goal(session, actor, goal_id, manage=True)
    if not isinstance(data, dict):
        raise InvalidInput.one("body", "wrong_type", expected="object")
    values = validate(data, {"target": TARGET_RULES[goal.metric], "parent_id": Uuid()}, partial=True)
    changed = False
    old_parent_id = goal.parent_id
    if "parent_id" in values and values["parent_id"] != goal.parent_id:
        if values["parent_id"] is not None:
            shape = {"metric": goal.metric, "period": goal.period}
            _valid_parent(session, actor, values["parent_id"], shape, goal.id)
        # A goal leaving its parent stops counting against the parent's allocation: managers read who did it.
        record_audit(
            session,
            actor.id,
            "goal.parent",
            "goal",
            goal.id,
            {"parent_id": goal.parent_id},
            {"parent_id": values["parent_id"]},
        )
        goal.parent_id = values["parent_id"]
        changed = True
    if "target" in values:
        changed = _set_target(session, goal, values["target"], actor, now, "update") or changed
    if not changed:
        return goal
    _touch(session, goal, now)
    session.flush()
    for parent_id in {old_parent_id, goal.parent_id} - {None}:
        parent = session.get(Goal, parent_id)
        if parent is not None:
            _check_fits(session, parent, "target", now)
    _check_fits(session, goal, "target", now)
    kpi.goals_changed(session, [goal], now)
    return goal


def _child_subject(session: Session, actor: Actor, parent: Goal, subject_type: str, subject_id: str) -> str | None:
    """None when the subject is a direct child of the parent's unit (a unit below it, or a member); else a code."""
    if parent.subject_type != "unit":
        return "not_a_child"
    try:
        if subject_type == "unit":
            parent_of = get_unit(session, actor, subject_id).parent_id
        else:
            parent_of = get_user(session, actor, subject_id).unit_id
    except NotFound:
        return "not_found"
    return None if parent_of == parent.subject_id else "not_a_child"


def allocate(session: Session, actor: Actor, goal_id: str, data: Any, now: datetime) -> GoalFamily:
    """Create or update the child goals of a unit's goal, one per `{subject_type, subject_id, target}`.

    Children are the units directly below the goal's unit and its members, for the same metric and period.
    An additive allocation that would add up to more than the parent is refused whole (`over_allocated`),
    before anything is written; children not named keep their targets.
    """
    parent = get_goal(session, actor, goal_id, manage=True)
    if not isinstance(data, dict) or set(data) - {"allocations"}:
        raise InvalidInput.one("body", "wrong_type", expected="object")
    items = data.get("allocations")
    if not isinstance(items, list) or not items:
        raise InvalidInput.one("allocations", "required" if not items else "wrong_type", expected="list")
    if len(items) > MAX_ALLOCATIONS:
        raise InvalidInput.one("allocations", "too_long", max=MAX_ALLOCATIONS)
    errors: list[FieldError] = []
    wanted: dict[tuple[str, str], Decimal] = {}
    for index, item in enumerate(items):
        prefix = f"allocations.{index}."
        try:
            if not isinstance(item, dict):
                raise InvalidInput.one(prefix.rstrip("."), "wrong_type", expected="object")
            values = validate({k: v for k, v in item.items() if k != "target"}, ALLOCATION_FIELDS, prefix=prefix)
            values |= validate(
                {"target": item.get("target")}, {"target": TARGET_RULES[parent.metric]}, prefix=prefix
            )
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        subject = (values["subject_type"], values["subject_id"])
        problem = _child_subject(session, actor, parent, *subject)
        if problem:
            errors.append(FieldError(f"{prefix}subject_id", problem))
        elif subject in wanted:
            errors.append(FieldError(f"{prefix}subject_id", "taken"))
        else:
            wanted[subject] = values["target"]
    if errors:
        raise InvalidInput(errors=errors)

    existing = {(c.subject_type, c.subject_id): c for c in _children(session, parent)[0]}
    if parent.metric in ADDITIVE_METRICS:
        kept = sum((c.target for key, c in existing.items() if key not in wanted), Decimal(0))
        total = kept + sum(wanted.values(), Decimal(0))
        if total > parent.target:
            raise GoalOverAllocated("allocations", parent.metric, total, parent.target)

    touched: list[Goal] = []
    old_parents: set[str] = set()
    for subject, target in wanted.items():
        child = _existing(session, subject, parent.metric, parent.period)
        if child is None:
            touched.append(
                _new_goal(
                    session, actor, subject, parent.metric, parent.period, target, parent.id, now, "allocate"
                )
            )
            continue
        changed = _set_target(session, child, target, actor, now, "allocate")
        if child.parent_id != parent.id:
            if child.parent_id:
                old_parents.add(child.parent_id)
            child.parent_id = parent.id
            changed = True
        if changed:
            _touch(session, child, now)
            touched.append(child)
    session.flush()
    for old_id in old_parents:
        old = session.get(Goal, old_id)
        if old is not None:
            _check_fits(session, old, "allocations", now)
    _check_fits(session, parent, "allocations", now)
    kpi.goals_changed(session, touched, now)
    children = _children(session, parent)[0]
    return _family(parent, children, unallocated(parent))


def _family(parent: Goal, children: Sequence[Goal], gap: Decimal | None) -> GoalFamily:
    ordered = sorted(children, key=lambda c: (c.period, c.subject_type, c.subject_id))
    return GoalFamily(
        parent=goal_public(parent),
        children=[goal_public(c) for c in ordered],
        unallocated=amount_text(parent.metric, gap) if gap is not None else None,
    )


def split(session: Session, actor: Actor, goal_id: str, now: datetime) -> GoalFamily:
    """Split a year's (or a quarter's) goal into the subject's month goals, by its seasonality profile.

    Additive targets are cut with `split_target` (to the cent for revenue, whole for counts; the months add
    up exactly to the target); a ratio's months each get the same threshold. Existing month goals are
    updated (their change kept) and become children of this goal.
    """
    goal = get_goal(session, actor, goal_id, manage=True)
    period = parse_period(goal.period)
    if period.kind not in ("year", "quarter"):
        raise InvalidInput.one("period", "invalid_choice", choices="year, quarter")
    months = period.months()
    profile = seasonality_weights(session, goal)
    weights = [profile[m.start.month - 1] for m in months]
    if goal.metric in ADDITIVE_METRICS:
        quantum = Decimal("0.01") if goal.metric == "revenue" else Decimal(1)
        try:
            parts = split_target(goal.target, months, weights, quantum=quantum)
        except ValueError:
            raise InvalidInput.one("weights", "out_of_range", min=0, max="…") from None
    else:
        parts = [goal.target] * len(months)
    subject = (goal.subject_type, goal.subject_id)
    touched: list[Goal] = []
    for month, target in zip(months, parts, strict=True):
        child = _existing(session, subject, goal.metric, month.key)
        if child is None:
            touched.append(
                _new_goal(session, actor, subject, goal.metric, month.key, target, goal.id, now, "split")
            )
            continue
        changed = _set_target(session, child, target, actor, now, "split")
        if child.parent_id != goal.id:
            child.parent_id = goal.id
            changed = True
        if changed:
            _touch(session, child, now)
            touched.append(child)
    session.flush()
    _check_fits(session, goal, "target", now)
    kpi.goals_changed(session, touched, now)
    own = _children(session, goal)[1]
    gap = goal.target - sum((c.target for c in own), Decimal(0)) if goal.metric in ADDITIVE_METRICS else None
    return _family(goal, own, gap)


# Oldest first, and the creation (it has no old target) first even when several changes share one instant.
_IS_CHANGE = case((col(GoalChange.old_target).is_(None), 0), else_=1)
HISTORY_ORDER = Ordering.of(
    "goal_history",
    SortKey(GoalChange.changed_at),
    SortKey(_IS_CHANGE, value=lambda c: int(c.old_target is not None)),
    SortKey(GoalChange.id),
)


def history(session: Session, actor: Actor, goal_id: str, page: PageRequest) -> Page[GoalChangePublic]:
    """Every change of the goal's target, oldest first: who, when, from, to."""
    goal = get_goal(session, actor, goal_id)
    changes = fetch_page(session, select(GoalChange).where(GoalChange.goal_id == goal.id), HISTORY_ORDER, page)
    authors = {c.changed_by for c in changes.rows}
    names = dict(session.execute(select(User.id, User.name).where(col(User.id).in_(authors))).all())
    return changes.map(lambda c: change_public(c, names, goal.metric))


# --- seasonality -------------------------------------------------------------------------------------------

FLAT = [Decimal(1)] * 12


def _profile_for_path(session: Session, path: str) -> tuple[list[Decimal], str | None]:
    """The nearest profile at or above the unit (its weights and whose it is); flat when none is set."""
    ancestors = [part for part in path.split("/") if part]
    profiles = {
        p.unit_id: p for p in session.scalars(select(Seasonality).where(col(Seasonality.unit_id).in_(ancestors)))
    }
    for unit_id in reversed(ancestors):
        if unit_id in profiles:
            return [Decimal(w) for w in profiles[unit_id].weights], unit_id
    return list(FLAT), None


def seasonality_weights(session: Session, goal: Goal) -> list[Decimal]:
    """The twelve month weights that apply to a goal's subject (a rep: their unit's)."""
    if goal.subject_type == "unit":
        path = session.execute(select(Unit.path).where(Unit.id == goal.subject_id)).scalar_one()
    else:
        path = session.execute(
            select(Unit.path).join(User, col(User.unit_id) == Unit.id).where(User.id == goal.subject_id)
        ).scalar_one()
    return _profile_for_path(session, path)[0]


def get_seasonality(session: Session, actor: Actor, unit_id: str) -> SeasonalityPublic:
    unit = get_unit(session, actor, unit_id, manage=False)
    weights, source = _profile_for_path(session, unit.path)
    return SeasonalityPublic(unit_id=unit.id, weights=[str(w) for w in weights], set_on=source)


def set_seasonality(session: Session, actor: Actor, unit_id: str, data: Any, now: datetime) -> SeasonalityPublic:
    """Set (or, with `weights: null`, remove) a unit's profile: twelve non-negative weights, not all zero."""
    require_unit_manager(actor)
    unit = get_unit(session, actor, unit_id)
    if not isinstance(data, dict) or set(data) != {"weights"}:
        raise InvalidInput.one("weights", "required")
    weights = data["weights"]
    profile = session.get(Seasonality, unit.id)
    if weights is None:
        if profile is not None:
            session.delete(profile)
        return get_seasonality(session, actor, unit.id)
    if not isinstance(weights, list) or len(weights) != 12:
        raise InvalidInput.one("weights", "wrong_type", expected="list")
    rule = Money(required=True, nullable=False, places=4, whole_numbers=True, max=Decimal(1_000_000))
    cleaned = validate(
        {str(i): w for i, w in enumerate(weights)}, {str(i): rule for i in range(12)}, prefix="weights."
    )
    values = [cleaned[str(i)] for i in range(12)]
    if not any(values):
        raise InvalidInput.one("weights", "out_of_range", min="0", max="1000000")
    if profile is None:
        profile = Seasonality(unit_id=unit.id, updated_by=actor.id)
        session.add(profile)
    profile.weights = [str(w) for w in values]
    profile.updated_by = actor.id
    profile.updated_at = now
    session.flush()
    return get_seasonality(session, actor, unit.id)


# A goal ages from the end of its period: a manager's phone holds the goals of recent periods.
declare("goal", Goal, goal_public, by_subject, ages=lambda goal: period_ends_at(goal.period))
