"""Commissions: plans and their assignment, statements per rep and period, clawbacks, the phone's estimate.

Every revenue figure comes from the KPI engine (`kpi.service.compute` for a goal, `rep_tallies` for an
earlier period's revenue as it stands now): a commission never counts deals its own way.

A statement is a draft (computed on each read) until a manager issues it; an issued statement is stored
with its plan, target, revenue, the deals counted and every line, and never changes. Clawback and back-pay:
when a later statement is computed, each issued earlier statement of the rep is recomputed with the revenue
the engine now gives its period against the target and plan it was issued with. What was paid above that,
less what later statements already settled for that period, is a negative `clawback` line naming the deals
no longer won; what is owed above what was paid (a deal won late, its won date inside the issued period) is
a positive `back_pay` line naming the deals won late. Both are settled once: the next statement sees them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.audit.service import record_audit
from backend.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from backend.goals.models import Goal
from backend.kpi import service as kpi
from backend.kpi.engine import amount_text
from backend.opportunities.models import Opportunity
from backend.org.models import Unit, User
from backend.paging import Ordering, Page, PageRequest, SortKey, fetch_page
from backend.periods import Period, parse_period, period_containing
from backend.policy import Actor, get_unit, get_user, visible_units
from backend.rewards.models import PLAN_MODES, CommissionAssignment, CommissionPlan, Statement
from backend.rewards.schemas import (
    AssignmentPublic,
    CommissionPlanPublic,
    EstimatePublic,
    NoEstimate,
    PlanSnapshot,
    StatementLine,
    StatementPublic,
    TierPublic,
)
from backend.rewards.tiers import CENT, ZERO, Tier, TierLine, commission, commission_lines, next_step, parse_tiers
from backend.validation import Choice, Money, PeriodKey, Text, Uuid, validate
from backend.versioning import wire

MAX_TIERS = 10
PLAN_FIELDS = {
    "name": Text(required=True, nullable=False, min_len=1, max_len=200),
    "unit_id": Uuid(required=True, nullable=False),
    "mode": Choice(required=True, nullable=False, choices=PLAN_MODES),
}
TIER_FIELDS = {
    # Present on every tier; null only on the last (checked below: `validate` treats required as non-null).
    "up_to_attainment": Money(places=4, max=Decimal(100)),
    "rate": Money(required=True, nullable=False, places=4, max=Decimal(1)),
}
ASSIGN_FIELDS = {
    "subject_type": Choice(required=True, nullable=False, choices=("unit", "user")),
    "subject_id": Uuid(required=True, nullable=False),
}
STATEMENT_FIELDS = {
    "user_id": Uuid(required=True, nullable=False),
    "period": PeriodKey(required=True, nullable=False),
}


def _chain(path: str) -> list[str]:
    """A unit path's ids, the root first."""
    return [part for part in path.split("/") if part]


# --- plans -------------------------------------------------------------------------------------------------


def plan_public(plan: CommissionPlan) -> CommissionPlanPublic:
    return CommissionPlanPublic(
        id=plan.id,
        name=plan.name,
        unit_id=plan.unit_id,
        mode=plan.mode,
        tiers=msgspec.convert(plan.tiers, list[TierPublic]),
        created_at=wire(plan.created_at),
        updated_at=wire(plan.updated_at),
    )


def assignment_public(assignment: CommissionAssignment) -> AssignmentPublic:
    return AssignmentPublic(
        plan_id=assignment.plan_id, subject_type=assignment.subject_type, subject_id=assignment.subject_id
    )


def _require_plan_maker(actor: Actor) -> None:
    # Setting commission plans is a manager's job (PRODUCT.md): leads run a team, they do not set pay.
    if actor.role not in ("manager", "admin"):
        raise Forbidden()


def _clean_tiers(raw: Any) -> list[dict[str, Any]]:
    """Ascending bounds, the last one open: every attainment falls in exactly one tier."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TIERS:
        raise InvalidInput.one("tiers", "out_of_range", min=1, max=MAX_TIERS)
    tiers: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    previous = ZERO
    for index, item in enumerate(raw):
        prefix = f"tiers.{index}."
        try:
            tier = validate(item, TIER_FIELDS, prefix=prefix)
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        if isinstance(item, dict) and "up_to_attainment" not in item:
            errors.append(FieldError(f"{prefix}up_to_attainment", "required"))
            continue
        bound = tier["up_to_attainment"]
        last = index == len(raw) - 1
        if last and bound is not None:
            errors.append(FieldError(f"{prefix}up_to_attainment", "top_tier_open"))
        elif not last and (bound is None or bound <= previous):
            errors.append(FieldError(f"{prefix}up_to_attainment", "tiers_not_ascending"))
        else:
            previous = bound if bound is not None else previous
        tiers.append({"up_to_attainment": None if bound is None else str(bound), "rate": str(tier["rate"])})
    if errors:
        raise InvalidInput(errors=errors)
    return tiers


def create_plan(session: Session, actor: Actor, data: Any, now: datetime) -> CommissionPlan:
    """{name, unit_id, mode: marginal|whole, tiers: [{up_to_attainment: "0.8"|null, rate: "0.03"}, ...]}."""
    _require_plan_maker(actor)
    if not isinstance(data, dict):
        raise InvalidInput.one("body", "wrong_type", expected="object")
    values = validate({k: v for k, v in data.items() if k != "tiers"}, PLAN_FIELDS)
    tiers = _clean_tiers(data.get("tiers"))
    unit = get_unit(session, actor, values["unit_id"])
    plan = CommissionPlan(
        name=values["name"],
        unit_id=unit.id,
        mode=values["mode"],
        tiers=tiers,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    session.flush()
    return plan


def update_plan(session: Session, actor: Actor, plan_id: str, data: Any, now: datetime) -> CommissionPlan:
    """Change a plan's name, mode or tiers (any of them; tiers as a whole list, checked as on creation).
    Issued statements keep the plan as it stood: only drafts and later statements see the change."""
    _require_plan_maker(actor)
    plan = get_plan(session, actor, plan_id)
    try:
        get_unit(session, actor, plan.unit_id)
    except NotFound:
        raise Forbidden() from None  # a plan of a unit above the caller's: they see it, they do not set it
    if not isinstance(data, dict):
        raise InvalidInput.one("body", "wrong_type", expected="object")
    if not data:
        raise InvalidInput.one("body", "required")
    fields = {k: v for k, v in PLAN_FIELDS.items() if k != "unit_id"}
    # A plan stays in its unit: moving it would change who may read and set it.
    values = validate(
        {k: v for k, v in data.items() if k != "tiers"}, fields, partial=True, read_only=("unit_id",)
    )
    tiers = _clean_tiers(data["tiers"]) if "tiers" in data else None
    before = msgspec.to_builtins(plan_public(plan))
    plan.name = values.get("name", plan.name)
    plan.mode = values.get("mode", plan.mode)
    if tiers is not None:
        plan.tiers = tiers
    plan.updated_at = now
    session.flush()
    after = msgspec.to_builtins(plan_public(plan))
    changed = [k for k in ("name", "mode", "tiers") if before[k] != after[k]]
    record_audit(
        session,
        actor.id,
        "commission_plan.update",
        "commission_plan",
        plan.id,
        {k: before[k] for k in changed},
        {k: after[k] for k in changed},
    )
    return plan


PLAN_ORDER = Ordering.of("commission_plans", SortKey(CommissionPlan.name), SortKey(CommissionPlan.id))


def list_plans(session: Session, actor: Actor, page: PageRequest) -> Page[CommissionPlan]:
    """Plans of the units the caller sees (the ones they manage and the ones above them), by name."""
    units = select(Unit.id).where(visible_units(actor))
    query = select(CommissionPlan).where(col(CommissionPlan.unit_id).in_(units))
    return fetch_page(session, query, PLAN_ORDER, page)


def get_plan(session: Session, actor: Actor, plan_id: str) -> CommissionPlan:
    units = select(Unit.id).where(visible_units(actor))
    plan = session.scalars(
        select(CommissionPlan).where(CommissionPlan.id == plan_id, col(CommissionPlan.unit_id).in_(units))
    ).first()
    if plan is None:
        raise NotFound()
    return plan


def assign_plan(session: Session, actor: Actor, plan_id: str, data: Any, now: datetime) -> CommissionAssignment:
    """Apply a plan to a unit the caller manages (and everyone below it) or to one rep they manage; the
    subject must lie inside the plan's unit. Replaces the subject's previous plan."""
    _require_plan_maker(actor)
    plan = get_plan(session, actor, plan_id)
    values = validate(data, ASSIGN_FIELDS)
    kind, subject_id = values["subject_type"], values["subject_id"]
    if kind == "unit":
        path = get_unit(session, actor, subject_id).path
    else:
        user = get_user(session, actor, subject_id)
        unit = session.get(Unit, user.unit_id)
        assert unit is not None
        path = unit.path
    if plan.unit_id not in _chain(path):
        raise InvalidInput.one("subject_id", "outside_plan_unit")
    found = session.scalars(
        select(CommissionAssignment).where(
            CommissionAssignment.subject_type == kind, CommissionAssignment.subject_id == subject_id
        )
    ).first()
    if found is None:
        found = CommissionAssignment(
            subject_type=kind, subject_id=subject_id, plan_id=plan.id, assigned_by=actor.id
        )
        session.add(found)
    found.plan_id, found.assigned_by, found.assigned_at = plan.id, actor.id, now
    session.flush()
    return found


def plan_for_rep(session: Session, rep: User) -> CommissionPlan | None:
    """The rep's own plan, else the plan of the nearest unit above them that has one."""
    own = session.scalars(
        select(CommissionAssignment).where(
            CommissionAssignment.subject_type == "user", CommissionAssignment.subject_id == rep.id
        )
    ).first()
    if own is not None:
        return session.get(CommissionPlan, own.plan_id)
    unit = session.get(Unit, rep.unit_id)
    assert unit is not None
    chain = _chain(unit.path)
    rows = {
        a.subject_id: a.plan_id
        for a in session.scalars(
            select(CommissionAssignment).where(
                CommissionAssignment.subject_type == "unit", col(CommissionAssignment.subject_id).in_(chain)
            )
        )
    }
    for unit_id in reversed(chain):  # the nearest unit first
        if unit_id in rows:
            return session.get(CommissionPlan, rows[unit_id])
    return None


# --- statements ----------------------------------------------------------------------------------------------


def _revenue_goal_if_any(session: Session, rep_id: str, period: str) -> Goal | None:
    """The person's revenue goal for the period, if it has a target to compute attainment and tiers against."""
    goal = session.scalars(
        select(Goal).where(
            Goal.subject_type == "user", Goal.subject_id == rep_id, Goal.metric == "revenue", Goal.period == period
        )
    ).first()
    return None if goal is None or goal.target <= 0 else goal


def _revenue_goal(session: Session, rep_id: str, period: str) -> Goal:
    goal = _revenue_goal_if_any(session, rep_id, period)
    if goal is None:
        raise Conflict("no_revenue_goal", period=period)
    return goal


def _won_deals(session: Session, rep: User, period: Period) -> list[dict[str, Any]]:
    """The won opportunities the engine counts in the rep's revenue for the period (their local days)."""
    start, end = period.bounds(ZoneInfo(rep.timezone))
    rows = session.scalars(
        select(Opportunity)
        .where(
            Opportunity.owner_id == rep.id,
            Opportunity.stage == "won",
            col(Opportunity.deleted_at).is_(None),
            col(Opportunity.closed_at) >= start,
            col(Opportunity.closed_at) < end,
        )
        .order_by(col(Opportunity.closed_at), col(Opportunity.id))
    )
    return [{"id": o.id, "title": o.title, "amount": str(o.amount or ZERO)} for o in rows]


def _revenue_now(session: Session, rep_id: str, period: Period) -> Decimal:
    tally = kpi.rep_tallies(session, [rep_id], period.start, period.end).get(rep_id, kpi.EMPTY)
    return tally.won_amount


def _no_longer_won(
    session: Session, deals: list[dict[str, Any]], rep: User, period: Period
) -> list[dict[str, Any]]:
    start, end = period.bounds(ZoneInfo(rep.timezone))
    gone: list[dict[str, Any]] = []
    for deal in deals:
        opportunity = session.get(Opportunity, deal["id"])
        if opportunity is None or opportunity.deleted_at is not None:
            gone.append({**deal, "stage": "deleted"})
        elif (
            opportunity.stage != "won" or opportunity.closed_at is None or not start <= opportunity.closed_at < end
        ):
            gone.append({**deal, "stage": opportunity.stage, "closed_at": wire(opportunity.closed_at)})
    return gone


def _won_late(session: Session, paid: list[dict[str, Any]], rep: User, period: Period) -> list[dict[str, Any]]:
    """The deals the engine now counts in the period that were not paid for it yet."""
    ids = {deal["id"] for deal in paid}
    return [deal for deal in _won_deals(session, rep, period) if deal["id"] not in ids]


ADJUSTMENTS = ("clawback", "back_pay")


def _adjustment_lines(session: Session, rep: User, period: Period) -> list[dict[str, Any]]:
    """For each issued statement of an earlier period: what its period's revenue now earns (same plan, same
    target) against what it paid plus what later statements already adjusted. Less: a clawback line naming
    the deals no longer won; more (a deal won late into that period): a back-pay line naming those deals."""
    issued = list(session.scalars(select(Statement).where(Statement.rep_id == rep.id)))
    settled: dict[str, Decimal] = {}
    paid_late: dict[str, list[dict[str, Any]]] = {}  # deals a back-pay line already paid, by period
    for statement in issued:
        if statement.period == period.key:
            continue
        for line in statement.lines:
            if line["kind"] in ADJUSTMENTS:
                settled[line["period"]] = settled.get(line["period"], ZERO) + Decimal(line["amount"])
            if line["kind"] == "back_pay":
                paid_late.setdefault(line["period"], []).extend(line["deals"])
    lines: list[dict[str, Any]] = []
    for statement in sorted(issued, key=lambda s: parse_period(s.period).start):
        earlier = parse_period(statement.period)
        if earlier.end > period.start:
            continue
        revenue = _revenue_now(session, rep.id, earlier)
        tiers = parse_tiers(statement.plan["tiers"])
        owed = commission(statement.plan["mode"], tiers, revenue, statement.target)
        before = settled.get(statement.period, ZERO)
        paid = statement.deals + paid_late.get(statement.period, [])
        amount = owed - statement.commission - before
        if amount == 0:
            continue
        line = {
            "kind": "back_pay" if amount > 0 else "clawback",
            "period": statement.period,
            "statement_id": statement.id,
            "paid": str(statement.commission),
            "revenue_paid": str(statement.revenue),
            "revenue_now": str(revenue),
            "owed_now": str(owed),
            "adjusted_before": str(before),
            "deals": (
                _won_late(session, paid, rep, earlier)
                if amount > 0
                else _no_longer_won(session, paid, rep, earlier)
            ),
            "amount": str(amount),
        }
        if amount < 0:
            line["clawed_back_before"] = str(-before)
        lines.append(line)
    return lines


def _sum(lines: list[dict[str, Any]], kind: str) -> Decimal:
    return sum((Decimal(line["amount"]) for line in lines if line["kind"] == kind), ZERO)


def _plan_of(session: Session, rep: User) -> CommissionPlan:
    """The plan a statement computes with; none is a conflict there (the estimate answers it instead)."""
    plan = plan_for_rep(session, rep)
    if plan is None:
        raise Conflict("no_commission_plan")
    return plan


def _draft(session: Session, rep: User, period: Period, now: datetime, plan: CommissionPlan) -> dict[str, Any]:
    goal = _revenue_goal(session, rep.id, period.key)
    figures = kpi.compute(session, [goal], now)[goal.id]
    revenue = (figures.actual if figures.actual is not None else ZERO).quantize(CENT)
    tier_lines: list[TierLine] = commission_lines(plan.mode, parse_tiers(plan.tiers), revenue, goal.target)
    adjustments = _adjustment_lines(session, rep, period)
    earned = sum((line.amount for line in tier_lines), ZERO)
    clawback, back_pay = -_sum(adjustments, "clawback"), _sum(adjustments, "back_pay")
    return {
        "id": None,
        "status": "draft",
        "user_id": rep.id,
        "period": period.key,
        "plan_id": plan.id,
        "plan": {"name": plan.name, "mode": plan.mode, "tiers": plan.tiers},
        "target": goal.target,
        "revenue": revenue,
        "attainment": figures.attainment,
        "commission": earned,
        "clawback": clawback,
        "back_pay": back_pay,
        "total": earned - clawback + back_pay,
        "deals": _won_deals(session, rep, period),
        "lines": [msgspec.to_builtins(line.public()) for line in tier_lines] + adjustments,
        "issued_at": None,
    }


def _wire(statement: dict[str, Any]) -> StatementPublic:
    out = dict(statement)
    out["target"] = amount_text("revenue", statement["target"])
    for name in ("revenue", "commission", "clawback", "back_pay", "total"):
        out[name] = str(statement[name])
    attainment = statement["attainment"]
    out["attainment"] = None if attainment is None else str(attainment)
    return msgspec.convert(out, StatementPublic)


def statement_public(statement: Statement) -> StatementPublic:
    target = statement.target
    return _wire(
        {
            "id": statement.id,
            "status": "issued",
            "user_id": statement.rep_id,
            "period": statement.period,
            "plan_id": statement.plan_id,
            "plan": statement.plan,
            "target": target,
            "revenue": statement.revenue,
            "attainment": (statement.revenue / target).quantize(Decimal("0.0001")) if target else None,
            "commission": statement.commission,
            "clawback": statement.clawback,
            # Not a column of its own: an issued statement's back-pay is the sum of its back-pay lines.
            "back_pay": _sum(statement.lines, "back_pay"),
            "total": statement.total,
            "deals": statement.deals,
            "lines": statement.lines,
            "issued_at": wire(statement.issued_at),
        }
    )


def _rep_in_view(session: Session, actor: Actor, user_id: str | None) -> User:
    """The caller themselves, or someone they manage; anyone else is NotFound, exactly like no one."""
    if user_id is None or user_id == actor.id:
        user = session.get(User, actor.id)
        assert user is not None
        return user
    return get_user(session, actor, user_id)


def _period(session: Session, rep: User, period: str | None, now: datetime) -> Period:
    if period is None or period == "":
        return period_containing("month", now.astimezone(ZoneInfo(rep.timezone)).date())
    return parse_period(validate({"period": period}, {"period": PeriodKey()})["period"])


def get_statement(
    session: Session, actor: Actor, user_id: str | None, period: str | None, now: datetime
) -> StatementPublic:
    """The issued statement of the rep and period, or the draft as it stands now (default: own, this month)."""
    if user_id is not None:
        user_id = validate({"user_id": user_id}, {"user_id": Uuid()})["user_id"]
    rep = _rep_in_view(session, actor, user_id)
    key = _period(session, rep, period, now)
    issued = session.scalars(
        select(Statement).where(Statement.rep_id == rep.id, Statement.period == key.key)
    ).first()
    if issued is not None:
        return statement_public(issued)
    return _wire(_draft(session, rep, key, now, _plan_of(session, rep)))


def issue_statement(session: Session, actor: Actor, data: Any, now: datetime) -> Statement:
    """A manager issues a rep's statement for a period that has ended: it is stored as computed, and later
    statements claw back against it."""
    _require_plan_maker(actor)
    values = validate(data, STATEMENT_FIELDS)
    rep = get_user(session, actor, values["user_id"])
    period = parse_period(values["period"])
    if now.astimezone(ZoneInfo(rep.timezone)).date() < period.end:
        raise Conflict("period_not_ended", period=period.key)
    if session.scalars(
        select(Statement.id).where(Statement.rep_id == rep.id, Statement.period == period.key)
    ).first():
        raise Conflict("statement_issued", period=period.key)
    draft = _draft(session, rep, period, now, _plan_of(session, rep))
    statement = Statement(
        rep_id=rep.id,
        period=period.key,
        plan_id=draft["plan_id"],
        plan=draft["plan"],
        target=draft["target"],
        revenue=draft["revenue"],
        commission=draft["commission"],
        clawback=draft["clawback"],
        total=draft["total"],
        deals=draft["deals"],
        lines=draft["lines"],
        issued_by=actor.id,
        issued_at=now,
    )
    session.add(statement)
    session.flush()
    return statement


# --- the phone's estimate -----------------------------------------------------------------------------------


def estimate(session: Session, actor: Actor, period: str | None, now: datetime) -> EstimatePublic | NoEstimate:
    """The caller's own commission so far this period, from their provisional revenue as the engine counts
    it now, and what the next tier takes: "¥more_revenue more pays ¥pays_total" (None in the top tier).
    Without a plan applying, or without a revenue target for the period, that is the answer (what is
    missing, no figures), not a conflict: the phone asks on every visit to Me, whoever signs in."""
    rep = _rep_in_view(session, actor, None)
    key = _period(session, rep, period, now)
    applies = plan_for_rep(session, rep)
    if applies is None:
        return NoEstimate(user_id=rep.id, period=key.key, plan=None, missing="commission_plan", as_of=wire(now))
    if _revenue_goal_if_any(session, rep.id, key.key) is None:
        named = msgspec.convert({"name": applies.name, "mode": applies.mode, "tiers": applies.tiers}, PlanSnapshot)
        return NoEstimate(user_id=rep.id, period=key.key, plan=named, missing="revenue_goal", as_of=wire(now))
    draft = _draft(session, rep, key, now, applies)
    plan = draft["plan"]
    tiers: list[Tier] = parse_tiers(plan["tiers"])
    step = next_step(plan["mode"], tiers, draft["revenue"], draft["target"])
    return EstimatePublic(
        user_id=rep.id,
        period=key.key,
        plan=msgspec.convert(plan, PlanSnapshot),
        mode=plan["mode"],
        target=amount_text("revenue", draft["target"]),
        revenue=str(draft["revenue"]),
        attainment=None if draft["attainment"] is None else str(draft["attainment"]),
        commission=str(draft["commission"]),
        clawback=str(draft["clawback"]),
        back_pay=str(draft["back_pay"]),
        total=str(draft["total"]),
        lines=msgspec.convert(draft["lines"], list[StatementLine]),
        next=None if step is None else step.public(),
        as_of=wire(now),
    )
