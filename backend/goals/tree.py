"""The goal tree of a unit (GET /goals/tree): every unit and person below it with their goal for one metric
and period, what that goal has allocated and split, and the KPI engine's figures, in one answer.

A screen that cascades goals needs the whole subtree at once: walking it a node at a time would ask the
server once per unit and per rep, and a copy kept for offline reading would hold only the nodes visited.
People are the reps of each unit, and anyone else there who has a goal for the metric and period (a goal
someone allocated to a lead still takes its share of the parent's target, so it is shown).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.errors import Forbidden, NotFound
from backend.goals.models import ADDITIVE_METRICS, METRICS, Goal
from backend.goals.schemas import GoalTree, GoalTreeNode
from backend.goals.service import goal_public
from backend.kpi import service as kpi
from backend.kpi.engine import amount_text, figures_public
from backend.kpi.rankings import current_period
from backend.org.models import Unit, User
from backend.policy import Actor, get_unit, require_manager
from backend.validation import Choice, PeriodKey, Uuid, validate
from backend.versioning import wire

TREE_QUERY = {"unit_id": Uuid(), "metric": Choice(choices=METRICS), "period": PeriodKey()}


def _root(session: Session, actor: Actor, unit_id: str) -> Unit:
    """A unit the caller runs: out of sight NotFound; seen but not theirs to run (a lead's region) Forbidden."""
    get_unit(session, actor, unit_id, manage=False)
    require_manager(actor)
    try:
        return get_unit(session, actor, unit_id)
    except NotFound:
        raise Forbidden() from None


def goal_tree(
    session: Session,
    actor: Actor,
    now: datetime,
    unit_id: str | None = None,
    metric: str | None = None,
    period: str | None = None,
) -> GoalTree:
    """The subtree of a unit the caller runs (default: their own) for one metric (default revenue) and period
    (default the unit's month): units first, top down and by name, then people by name."""
    given = {"unit_id": unit_id, "metric": metric, "period": period}
    query = validate({k: v for k, v in given.items() if v not in (None, "")}, TREE_QUERY)
    root = _root(session, actor, query.get("unit_id", actor.unit_id))
    metric_name = query.get("metric", "revenue")
    period_key = query.get("period") or current_period(root, now)

    units = list(session.scalars(select(Unit).where(col(Unit.path).startswith(root.path, autoescape=True))))
    units.sort(key=lambda u: (u.path.count("/"), u.name, u.id))
    unit_ids = [u.id for u in units]
    # The goals set for exactly this period, of the subtree's units and of the people in them.
    in_subtree = or_(
        and_(col(Goal.subject_type) == "unit", col(Goal.subject_id).in_(unit_ids)),
        and_(
            col(Goal.subject_type) == "user",
            col(Goal.subject_id).in_(select(User.id).where(col(User.unit_id).in_(unit_ids))),
        ),
    )
    stored = {
        (g.subject_type, g.subject_id): g
        for g in session.scalars(
            select(Goal).where(Goal.metric == metric_name, Goal.period == period_key, in_subtree)
        )
    }
    members = session.scalars(
        select(User).where(col(User.unit_id).in_(unit_ids)).order_by(col(User.name), col(User.id))
    )
    people = [u for u in members if (u.role == "rep" and u.active) or ("user", u.id) in stored]
    user_ids = [u.id for u in people]

    # Figures from the one computation; a quarter or a year made of its months counts as its goal there too.
    goals = {
        **kpi.goals_of_periods(session, "unit", unit_ids, [period_key], [metric_name]),
        **kpi.goals_of_periods(session, "user", user_ids, [period_key], [metric_name]),
    }
    every = [g for found in goals.values() for g in found]
    computed = kpi.compute(session, every, now)
    figures = {g.subject_id: figures_public(computed[g.id]) for g in every if g.id in computed}

    split = _split_totals(session, [g for g in stored.values() if g.subject_id in set(unit_ids) | set(user_ids)])

    def node(kind: str, subject: tuple[str, str], name: str, parent: str | None, active: bool) -> GoalTreeNode:
        goal = stored.get(subject)
        return GoalTreeNode(
            subject_type=subject[0],
            subject_id=subject[1],
            name=name,
            kind=kind,
            parent_id=parent,
            active=active,
            goal=goal_public(goal) if goal is not None else None,
            split=split.get(goal.id) if goal is not None else None,
            figures=figures.get(subject[1]),
        )

    nodes = [node(u.kind, ("unit", u.id), u.name, u.parent_id if u.id != root.id else None, True) for u in units]
    nodes += [node(u.role, ("user", u.id), u.name, u.unit_id, u.active) for u in people]
    return GoalTree(unit_id=root.id, metric=metric_name, period=period_key, as_of=wire(now), nodes=nodes)


def _split_totals(session: Session, goals: list[Goal]) -> dict[str, str]:
    """Per goal, what its own shorter-period goals (a split in time: a year into months) add up to; additive
    metrics only, and only goals that have such children."""
    additive = {g.id: g for g in goals if g.metric in ADDITIVE_METRICS}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    ids = sorted(additive)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for child in session.scalars(select(Goal).where(col(Goal.parent_id).in_(chunk))):
            parent = additive[child.parent_id or ""]
            if (child.subject_type, child.subject_id) == (parent.subject_type, parent.subject_id):
                totals[parent.id] += child.target
    return {goal_id: amount_text(additive[goal_id].metric, total) for goal_id, total in totals.items()}
