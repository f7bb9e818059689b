"""Coaching: monthly and quarterly reviews with a weighted scorecard, and improvement plans for reps behind.

Reviews. A lead (or a manager above) opens a review of a rep they manage for a month or a quarter; the KPI
figures are copied from the KPI engine at that moment (`figures`, `figures_as_of`) and never recomputed, so a
late approval cannot rewrite a review. A quarter whose goals were set month by month is reviewed against its
months' goals taken together (`kpi.service.goals_of_period`), exactly as GET /progress shows the quarter. The lead rates the `rating` dimensions (1–5) and comments while it is
a draft, shares it (the rep is notified and may read it from then on), the rep acknowledges it, and closing it
locks the period for the rep's visits (a `PeriodLock` with `rep_id`, SYNC.md `period_locked`).

The scorecard, line by line (0–100 each): a `kpi` line scores its frozen attainment × 100, capped at 100 (a
scorecard rewards reaching the target; commissions reward going beyond it); a `rating` line scores rating ×
20. The total is Σ weight × score ÷ Σ weight over the lines that have a score (a metric without a goal has
none), to two places.

Improvement plans. A rep is suggested for a plan when the KPI engine puts their attainment of a metric
(revenue by default) under a threshold (70 % by default) in two consecutive complete months. A plan has
actions (1:1 coaching, training, role change) with dates and notes, and exit criteria (metric, period, minimum
attainment) that are measured from the KPI engine whenever the plan is read, never typed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.audit.service import record_audit
from backend.coaching.models import (
    ACTION_KINDS,
    DIMENSION_SOURCES,
    PLAN_OUTCOMES,
    PLAN_STATUSES,
    REVIEW_STATUSES,
    ImprovementPlan,
    PlanAction,
    Review,
    ReviewDimension,
)
from backend.coaching.schemas import (
    ActionPublic,
    DimensionPublic,
    ExitCriterion,
    MeasuredCriterion,
    PeriodAttainment,
    PlanDetail,
    PlanPublic,
    PlanTrigger,
    ReviewFigures,
    ReviewPublic,
    Scorecard,
    ScorecardDimension,
    ScorecardLine,
    SuggestionPublic,
)
from backend.errors import FieldError, Forbidden, InvalidInput, NotFound
from backend.goals.models import METRICS, Goal
from backend.kpi import service as kpi
from backend.notify.service import notify
from backend.org.models import Unit, User
from backend.paging import Ordering, Page, PageRequest, SortKey, fetch_page
from backend.periods import Period, parse_period, period_containing
from backend.policy import (
    Actor,
    get_owned,
    get_unit,
    get_user,
    managed_units,
    owners,
    require_manager,
    require_unit_manager,
)
from backend.sync.registry import declare, owned_by, when_closed
from backend.validation import Choice, Day, Flag, Integer, Number, PeriodKey, Text, Uuid, validate
from backend.versioning import wire
from backend.visits.service import lock_period_for_rep

PLAN_THRESHOLD = Decimal("0.70")
PLAN_METRIC = "revenue"
KPI_SCORE_CAP = Decimal(1)
RATING_POINTS = Decimal(20)
SCORE_PLACES = Decimal("0.01")

# The scorecard when no unit up the tree configured one.
DEFAULT_DIMENSIONS: list[dict[str, Any]] = [
    {"key": "revenue", "source": "kpi", "metric": "revenue", "name_en": "Revenue", "name_zh": "销售额达成率"},
    {"key": "visits", "source": "kpi", "metric": "visits", "name_en": "Visits", "name_zh": "客户拜访量"},
    {
        "key": "collaboration",
        "source": "rating",
        "metric": None,
        "name_en": "Collaboration",
        "name_zh": "团队协作",
    },
    {
        "key": "customer_feedback",
        "source": "rating",
        "metric": None,
        "name_en": "Customer feedback",
        "name_zh": "客户反馈",
    },
]
DEFAULT_WEIGHTS = {"revenue": "0.4", "visits": "0.2", "collaboration": "0.2", "customer_feedback": "0.2"}


def _ancestors(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


# --- scorecard dimensions ----------------------------------------------------------------------------------

DIMENSION_FIELDS = {
    "unit_id": Uuid(required=True, nullable=False),
    "key": Text(required=True, nullable=False, min_len=1, max_len=32),
    "source": Choice(required=True, nullable=False, choices=DIMENSION_SOURCES),
    "metric": Choice(choices=METRICS),
    "name_en": Text(required=True, nullable=False, min_len=1, max_len=100),
    "name_zh": Text(required=True, nullable=False, min_len=1, max_len=100),
    "weight": Number(required=True, nullable=False, min=0, max=100),
    "active": Flag(),
}


def dimension_public(dimension: ReviewDimension) -> DimensionPublic:
    return DimensionPublic(
        id=dimension.id,
        unit_id=dimension.unit_id,
        key=dimension.key,
        source=dimension.source,
        metric=dimension.metric,
        name_en=dimension.name_en,
        name_zh=dimension.name_zh,
        weight=str(dimension.weight.normalize()),
        active=dimension.active,
    )


def _snapshot(dimension: ReviewDimension) -> dict[str, Any]:
    public = msgspec.to_builtins(dimension_public(dimension))
    return {k: public[k] for k in ("key", "source", "metric", "name_en", "name_zh", "weight")}


def effective_dimensions(session: Session, unit_path: str) -> list[dict[str, Any]]:
    """The scorecard of a unit: the active dimensions of the nearest unit up the tree that has any."""
    ancestors = _ancestors(unit_path)
    rows = session.scalars(
        select(ReviewDimension).where(col(ReviewDimension.unit_id).in_(ancestors), col(ReviewDimension.active))
    )
    by_unit: dict[str, list[ReviewDimension]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row)
    for unit_id in reversed(ancestors):
        if unit_id in by_unit:
            return [_snapshot(d) for d in sorted(by_unit[unit_id], key=lambda d: d.key)]
    return [d | {"weight": DEFAULT_WEIGHTS[d["key"]]} for d in DEFAULT_DIMENSIONS]


def dimensions_for(session: Session, actor: Actor, unit_id: str | None) -> list[ScorecardDimension]:
    unit = get_unit(session, actor, unit_id or actor.unit_id, manage=False)
    return msgspec.convert(effective_dimensions(session, unit.path), list[ScorecardDimension])


def _checked_dimension(values: dict[str, Any]) -> None:
    if values.get("source") == "kpi" and not values.get("metric"):
        raise InvalidInput.one("metric", "required")
    if values.get("source") == "rating" and values.get("metric"):
        raise InvalidInput.one("metric", "not_writable")


def set_dimension(session: Session, actor: Actor, data: Any, now: datetime) -> ReviewDimension:
    """Create or replace (by unit and key) one dimension of a unit the actor manages (managers only: a
    dimension's weight reshapes every scorecard below the unit)."""
    require_unit_manager(actor)
    values = validate(data, DIMENSION_FIELDS)
    _checked_dimension(values)
    unit = get_unit(session, actor, values["unit_id"])
    existing = session.scalars(
        select(ReviewDimension).where(ReviewDimension.unit_id == unit.id, ReviewDimension.key == values["key"])
    ).first()
    before = msgspec.to_builtins(dimension_public(existing)) if existing else {}
    dimension = existing or ReviewDimension(
        unit_id=unit.id,
        key=values["key"],
        source=values["source"],
        name_en=values["name_en"],
        name_zh=values["name_zh"],
        weight=Decimal(0),
        updated_by=actor.id,
    )
    dimension.source = values["source"]
    dimension.metric = values.get("metric")
    dimension.name_en = values["name_en"]
    dimension.name_zh = values["name_zh"]
    dimension.weight = Decimal(str(values["weight"])).quantize(Decimal("0.0001"))
    dimension.active = values.get("active", True)
    dimension.updated_by = actor.id
    dimension.updated_at = now
    session.add(dimension)
    session.flush()
    record_audit(
        session,
        actor.id,
        "review_dimension.set",
        "review_dimension",
        dimension.id,
        before,
        msgspec.to_builtins(dimension_public(dimension)),
    )
    return dimension


# --- the scorecard -----------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def scorecard(
    figures: Sequence[dict[str, Any]], dimensions: Sequence[dict[str, Any]], ratings: dict[str, int]
) -> Scorecard:
    """The weighted scorecard of frozen figures and ratings (see the module docstring for the arithmetic)."""
    attainments = {f["metric"]: _decimal(f.get("attainment")) for f in figures}
    lines = []
    weighted, weights = Decimal(0), Decimal(0)
    for dimension in dimensions:
        weight = Decimal(dimension["weight"])
        value: Decimal | int | None
        if dimension["source"] == "kpi":
            value = attainments.get(dimension["metric"])
            score = None if value is None else min(value, KPI_SCORE_CAP) * 100
        else:
            value = ratings.get(dimension["key"])
            score = None if value is None else Decimal(value) * RATING_POINTS
        if score is not None:
            weighted += weight * score
            weights += weight
        lines.append(
            ScorecardLine(
                key=dimension["key"],
                source=dimension["source"],
                metric=dimension["metric"],
                weight=dimension["weight"],
                value=float(value) if isinstance(value, Decimal) else value,
                score=None if score is None else str(score.quantize(SCORE_PLACES, ROUND_HALF_UP)),
            )
        )
    total = (weighted / weights).quantize(SCORE_PLACES, ROUND_HALF_UP) if weights else None
    complete = all(line.score is not None for line in lines if line.source == "rating")
    return Scorecard(lines=lines, total=None if total is None else str(total), complete=complete)


# --- reviews -----------------------------------------------------------------------------------------------

REVIEW_CREATE = {"rep_id": Uuid(required=True, nullable=False), "period": PeriodKey(required=True, nullable=False)}
REVIEW_QUERY = {"rep_id": Uuid(), "period": PeriodKey(), "status": Choice(choices=REVIEW_STATUSES)}


def review_public(review: Review) -> ReviewPublic:
    """A review on the wire (HTTP and sync alike); the scorecard is derived from what the review holds."""
    return ReviewPublic(
        id=review.id,
        rep_id=review.rep_id,
        reviewer_id=review.reviewer_id,
        period=review.period,
        status=review.status,
        figures=msgspec.convert(review.figures, list[ReviewFigures]),
        figures_as_of=wire(review.figures_as_of),
        dimensions=msgspec.convert(review.dimensions, list[ScorecardDimension]),
        ratings=review.ratings,
        comments=review.comments,
        scorecard=scorecard(review.figures, review.dimensions, review.ratings),
        score=None if review.score is None else str(review.score.quantize(SCORE_PLACES)),
        shared_at=wire(review.shared_at),
        acknowledged_at=wire(review.acknowledged_at),
        rep_comment=review.rep_comment,
        closed_at=wire(review.closed_at),
        closed_by=review.closed_by,
        version=review.version,
        updated_at=wire(review.updated_at),
    )


def _touch(review: Review, now: datetime) -> None:
    review.version += 1
    review.updated_at = now


def _require_reviewer(session: Session, actor: Actor, rep_id: str) -> User:
    """Leads, managers and admins review the people they manage, never themselves."""
    if not actor.manages_people or rep_id == actor.id:
        raise Forbidden()
    return get_user(session, actor, rep_id)


def get_review(session: Session, actor: Actor, review_id: str) -> Review:
    """A review the actor may read: a rep reads their own once shared; leads and managers their people's.
    Anything else answers NotFound, exactly like a missing id."""
    review = get_owned(session, actor, Review, review_id, Review.rep_id)
    if review.status == "draft" and review.rep_id == actor.id:
        raise NotFound()
    return review


# Latest period first, then by rep; improvement plans newest first. Ids make each key unique.
REVIEW_ORDER = Ordering.of(
    "reviews", SortKey(Review.period, descending=True), SortKey(Review.rep_id), SortKey(Review.id)
)
PLAN_ORDER = Ordering.of(
    "plans", SortKey(ImprovementPlan.created_at, descending=True), SortKey(ImprovementPlan.id, descending=True)
)


def list_reviews(session: Session, actor: Actor, page: PageRequest, **params: str | None) -> Page[Review]:
    query_values = validate({k: v for k, v in params.items() if v}, REVIEW_QUERY)
    query = select(Review).where(owners(actor, Review.rep_id))
    # A rep never sees their own drafts (nor a lead their own, written by their manager).
    query = query.where((col(Review.rep_id) != actor.id) | (col(Review.status) != "draft"))
    for name, value in query_values.items():
        query = query.where(getattr(Review, name) == value)
    return fetch_page(session, query, REVIEW_ORDER, page)


def open_review(session: Session, actor: Actor, data: Any, now: datetime) -> Review:
    """A draft review of a rep for a month or a quarter, with the KPI figures frozen as of now."""
    values = validate(data, REVIEW_CREATE)
    if parse_period(values["period"]).kind not in ("month", "quarter"):
        raise InvalidInput.one("period", "invalid_choice", choices="month, quarter")
    rep = _require_reviewer(session, actor, values["rep_id"])
    taken = select(Review.id).where(Review.rep_id == rep.id, Review.period == values["period"])
    if session.scalars(taken).first() is not None:
        raise InvalidInput.one("period", "review_exists", period=values["period"])
    unit = session.get(Unit, rep.unit_id)
    assert unit is not None
    # The one computation every reader uses (GET /progress), copied as it stands now.
    figures = kpi.progress_for(session, actor, now, "user", rep.id, values["period"])
    review = Review(
        rep_id=rep.id,
        reviewer_id=actor.id,
        period=values["period"],
        figures=[{k: v for k, v in msgspec.to_builtins(f).items() if k != "as_of"} for f in figures],
        figures_as_of=now,
        dimensions=effective_dimensions(session, unit.path),
        created_at=now,
        updated_at=now,
    )
    session.add(review)
    session.flush()
    return review


def _rating_keys(review: Review) -> list[str]:
    return [d["key"] for d in review.dimensions if d["source"] == "rating"]


def update_review(session: Session, actor: Actor, review: Review, data: Any, now: datetime) -> Review:
    """The lead's ratings (1–5 per rating dimension) and comments, while the review is a draft."""
    _require_reviewer(session, actor, review.rep_id)
    values = _review_update(data, review)
    if review.status != "draft":
        raise InvalidInput.one("status", "invalid_state", state=review.status)
    if "ratings" in values:
        review.ratings = {**review.ratings, **values["ratings"]}
    if "comments" in values:
        review.comments = values["comments"]
    _touch(review, now)
    return review


def _review_update(data: Any, review: Review) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput.one("body", "wrong_type", expected="object")
    values = validate({k: v for k, v in data.items() if k != "ratings"}, {"comments": Text()}, partial=True)
    ratings = data.get("ratings")
    if ratings is None:
        return values
    if not isinstance(ratings, dict):
        raise InvalidInput.one("ratings", "wrong_type", expected="object")
    keys = _rating_keys(review)
    errors = [FieldError(f"ratings.{k}"[:100], "unknown_field") for k in ratings if k not in keys]
    if errors:
        raise InvalidInput(errors=errors)
    values["ratings"] = validate(
        ratings, {k: Integer(min=1, max=5, nullable=False) for k in keys}, partial=True, prefix="ratings."
    )
    return values


def share_review(session: Session, actor: Actor, review: Review, now: datetime) -> Review:
    """Show the review to the rep (and notify them); from now on it no longer changes, but for closing."""
    _require_reviewer(session, actor, review.rep_id)
    if review.status != "draft":
        raise InvalidInput.one("status", "invalid_state", state=review.status)
    review.status = "shared"
    review.shared_at = now
    _touch(review, now)
    rep = session.get(User, review.rep_id)
    if rep is not None:
        notify(
            session,
            rep,
            "review_shared",
            f"review-shared:{review.id}",
            {"period": review.period, "reviewer": actor.name},
            now,
            {"url": f"/#/review/{review.id}", "review_id": review.id},
        )
    return review


def acknowledge_review(session: Session, actor: Actor, review: Review, data: Any, now: datetime) -> Review:
    """The rep's acknowledgement (with an optional comment); acknowledging twice changes nothing."""
    values = validate(data or {}, {"comment": Text()})
    if review.rep_id != actor.id:
        raise Forbidden()
    if review.acknowledged_at is not None:
        return review
    review.acknowledged_at = now
    review.rep_comment = values.get("comment")
    _touch(review, now)
    return review


def close_review(session: Session, actor: Actor, review: Review, now: datetime) -> Review:
    """Close a shared review: every rating given, the total kept, and the period locked for the rep."""
    rep = _require_reviewer(session, actor, review.rep_id)
    if review.status != "shared":
        raise InvalidInput.one("status", "invalid_state", state=review.status)
    missing = [k for k in _rating_keys(review) if k not in review.ratings]
    if missing:
        raise InvalidInput(errors=[FieldError(f"ratings.{k}", "required") for k in missing])
    card = scorecard(review.figures, review.dimensions, review.ratings)
    review.score = None if card.total is None else Decimal(card.total)
    review.status = "closed"
    review.closed_at = now
    review.closed_by = actor.id
    _touch(review, now)
    lock_period_for_rep(session, rep.id, rep.unit_id, review.period, actor.id)
    record_audit(
        session,
        actor.id,
        "review.close",
        "review",
        review.id,
        {"status": "shared"},
        {"status": "closed", "period": review.period, "score": card.total},
    )
    return review


# --- improvement plans: suggestions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    rep_id: str
    name: str
    metric: str
    threshold: Decimal
    periods: list[tuple[str, Decimal]]

    def public(self) -> SuggestionPublic:
        return SuggestionPublic(
            rep_id=self.rep_id,
            name=self.name,
            metric=self.metric,
            threshold=float(self.threshold),
            periods=[PeriodAttainment(period=p, attainment=float(a)) for p, a in self.periods],
        )


SUGGESTION_QUERY = {"period": PeriodKey(), "metric": Choice(choices=METRICS), "threshold": Number(min=0, max=10)}


def _suggest(
    session: Session, reps: Sequence[User], now: datetime, latest: str | None, metric: str, threshold: Decimal
) -> list[Suggestion]:
    """Reps under `threshold` attainment of `metric` in two months running: `latest` and the one before
    (default: the last complete month in the rep's zone). Reps already in an open plan are left out."""
    planned = set(session.scalars(select(ImprovementPlan.rep_id).where(ImprovementPlan.status == "open")))
    wanted: dict[str, tuple[Period, Period]] = {}
    for rep in reps:
        if rep.id in planned:
            continue
        last = (
            parse_period(latest)
            if latest
            else period_containing("month", now.astimezone(ZoneInfo(rep.timezone)).date()).previous()
        )
        wanted[rep.id] = (last.previous(), last)
    if not wanted:
        return []
    goals = list(
        session.scalars(
            select(Goal).where(
                Goal.subject_type == "user", col(Goal.subject_id).in_(list(wanted)), Goal.metric == metric
            )
        )
    )
    goals = [g for g in goals if g.period in {p.key for p in wanted[g.subject_id]}]
    computed = kpi.compute(session, goals, now)
    attainment = {(g.subject_id, g.period): computed[g.id].attainment for g in goals if g.id in computed}
    found = []
    for rep in reps:
        if rep.id not in wanted:
            continue
        pair = [(p.key, attainment.get((rep.id, p.key))) for p in wanted[rep.id]]
        if all(a is not None and a < threshold for _, a in pair):
            found.append(
                Suggestion(rep.id, rep.name, metric, threshold, [(p, a) for p, a in pair if a is not None])
            )
    return found


def suggestions(session: Session, actor: Actor, now: datetime, **params: str | None) -> list[Suggestion]:
    """Plans the KPI engine suggests for the reps the actor manages."""
    require_manager(actor)
    values = validate({k: v for k, v in params.items() if v}, SUGGESTION_QUERY)
    if "period" in values and parse_period(values["period"]).kind != "month":
        raise InvalidInput.one("period", "invalid_choice", choices="month")
    reps = list(
        session.scalars(
            select(User)
            .join(Unit, col(Unit.id) == User.unit_id)
            .where(managed_units(actor), User.role == "rep", col(User.id) != actor.id)
            .order_by(col(User.name))
        )
    )
    threshold = Decimal(str(values["threshold"])) if "threshold" in values else PLAN_THRESHOLD
    return _suggest(session, reps, now, values.get("period"), values.get("metric", PLAN_METRIC), threshold)


def notify_plan_suggestions(session: Session, now: datetime) -> int:
    """Tell each rep's team leads once per month that a plan is suggested (for the daily worker)."""
    reps = list(session.scalars(select(User).where(User.role == "rep", col(User.active))))
    sent = 0
    for suggestion in _suggest(session, reps, now, None, PLAN_METRIC, PLAN_THRESHOLD):
        rep = next(r for r in reps if r.id == suggestion.rep_id)
        leads = session.scalars(select(User).where(User.unit_id == rep.unit_id, User.role == "lead"))
        latest = suggestion.periods[-1][0]
        for lead in leads:
            params = {"rep": rep.name, "percent": str(int(PLAN_THRESHOLD * 100)), "periods": latest}
            data = {"url": "/#/plans", "rep_id": rep.id}
            if notify(session, lead, "plan_suggested", f"plan-suggested:{rep.id}:{latest}", params, now, data):
                sent += 1
    return sent


# --- improvement plans ---------------------------------------------------------------------------------------

PLAN_FIELDS = {  # and exit_criteria: a list of CRITERION
    "rep_id": Uuid(required=True, nullable=False),
    "goal": Text(),
    "starts_on": Day(required=True, nullable=False),
    "ends_on": Day(required=True, nullable=False),
}
CRITERION = {
    "metric": Choice(required=True, nullable=False, choices=METRICS),
    "period": PeriodKey(required=True, nullable=False),
    "min_attainment": Number(required=True, nullable=False, min=0, max=10),
}
ACTION_FIELDS = {
    "kind": Choice(required=True, nullable=False, choices=ACTION_KINDS),
    "title": Text(required=True, nullable=False, min_len=1, max_len=200),
    "due_on": Day(required=True, nullable=False),
    "done_on": Day(),
    "notes": Text(),
}
PLAN_CLOSE = {"outcome": Choice(required=True, nullable=False, choices=PLAN_OUTCOMES), "note": Text()}
PLAN_QUERY = {"rep_id": Uuid(), "status": Choice(choices=PLAN_STATUSES)}


def plan_public(plan: ImprovementPlan) -> PlanPublic:
    """A plan on the wire through sync: its criteria as set (the phone measures them on its progress records)."""
    return PlanPublic(
        id=plan.id,
        rep_id=plan.rep_id,
        opened_by=plan.opened_by,
        status=plan.status,
        goal=plan.goal,
        trigger=msgspec.convert(plan.trigger, PlanTrigger),
        starts_on=wire(plan.starts_on),
        ends_on=wire(plan.ends_on),
        exit_criteria=msgspec.convert(plan.exit_criteria, list[ExitCriterion]),
        outcome=plan.outcome,
        outcome_note=plan.outcome_note,
        closed_at=wire(plan.closed_at),
        closed_by=plan.closed_by,
        version=plan.version,
        updated_at=wire(plan.updated_at),
    )


def action_public(action: PlanAction) -> ActionPublic:
    return ActionPublic(
        id=action.id,
        plan_id=action.plan_id,
        kind=action.kind,
        title=action.title,
        due_on=wire(action.due_on),
        done_on=wire(action.done_on),
        notes=action.notes,
        created_by=action.created_by,
        updated_at=wire(action.updated_at),
    )


def measure(session: Session, plan: ImprovementPlan, now: datetime) -> list[MeasuredCriterion]:
    """Each exit criterion with the KPI engine's attainment now, and whether it is met."""
    criteria = plan.exit_criteria
    goals = list(
        session.scalars(
            select(Goal).where(
                Goal.subject_type == "user",
                Goal.subject_id == plan.rep_id,
                col(Goal.metric).in_({c["metric"] for c in criteria}),
                col(Goal.period).in_({c["period"] for c in criteria}),
            )
        )
    )
    computed = kpi.compute(session, goals, now)
    by_key = {(g.metric, g.period): computed.get(g.id) for g in goals}
    measured = []
    for criterion in criteria:
        figures = by_key.get((criterion["metric"], criterion["period"]))
        attainment = figures.attainment if figures is not None else None
        measured.append(
            MeasuredCriterion(
                metric=criterion["metric"],
                period=criterion["period"],
                min_attainment=criterion["min_attainment"],
                attainment=None if attainment is None else float(attainment),
                met=attainment is not None and attainment >= Decimal(criterion["min_attainment"]),
            )
        )
    return measured


def plan_detail(session: Session, plan: ImprovementPlan, now: datetime) -> PlanDetail:
    """A plan over HTTP: with its actions and its exit criteria measured now."""
    actions = session.scalars(
        select(PlanAction).where(PlanAction.plan_id == plan.id).order_by(col(PlanAction.due_on))
    )
    measured = measure(session, plan, now)
    return PlanDetail(
        **msgspec.structs.asdict(plan_public(plan))
        | {
            "exit_criteria": measured,
            "exit_criteria_met": bool(measured) and all(c.met for c in measured),
            "actions": [action_public(a) for a in actions],
        }
    )


def _touch_plan(plan: ImprovementPlan, now: datetime) -> None:
    plan.version += 1
    plan.updated_at = now


def get_plan(session: Session, actor: Actor, plan_id: str) -> ImprovementPlan:
    """A plan of the actor's own or of someone they manage; NotFound otherwise."""
    return get_owned(session, actor, ImprovementPlan, plan_id, ImprovementPlan.rep_id)


def list_plans(session: Session, actor: Actor, page: PageRequest, **params: str | None) -> Page[ImprovementPlan]:
    values = validate({k: v for k, v in params.items() if v}, PLAN_QUERY)
    query = select(ImprovementPlan).where(owners(actor, ImprovementPlan.rep_id))
    for name, value in values.items():
        query = query.where(getattr(ImprovementPlan, name) == value)
    return fetch_page(session, query, PLAN_ORDER, page)


# The most exit criteria a plan has: more are refused, never cut off (a plan must measure what was asked).
MAX_EXIT_CRITERIA = 20


def _criteria(data: Any) -> list[dict[str, Any]]:
    if data is None or data == []:
        raise InvalidInput.one("exit_criteria", "required")
    if not isinstance(data, list):
        raise InvalidInput.one("exit_criteria", "wrong_type", expected="list")
    if len(data) > MAX_EXIT_CRITERIA:
        raise InvalidInput.one("exit_criteria", "too_many", max=MAX_EXIT_CRITERIA)
    criteria = []
    for index, item in enumerate(data):
        values = validate(item, CRITERION, prefix=f"exit_criteria[{index}].")
        values["min_attainment"] = str(Decimal(str(values["min_attainment"])).quantize(Decimal("0.0001")))
        criteria.append(values)
    return criteria


def open_plan(session: Session, actor: Actor, data: Any, now: datetime) -> ImprovementPlan:
    """A plan for a rep the actor manages; one open plan per rep. The suggestion behind it, if any, is kept."""
    if not isinstance(data, dict):
        raise InvalidInput.one("body", "wrong_type", expected="object")
    values = validate({k: v for k, v in data.items() if k != "exit_criteria"}, PLAN_FIELDS)
    criteria = _criteria(data.get("exit_criteria"))
    if values["ends_on"] < values["starts_on"]:
        raise InvalidInput.one("ends_on", "out_of_range", min=wire(values["starts_on"]), max="2100-12-31")
    rep = _require_reviewer(session, actor, values["rep_id"])
    already = select(ImprovementPlan.id).where(ImprovementPlan.rep_id == rep.id, ImprovementPlan.status == "open")
    if session.scalars(already).first() is not None:
        raise InvalidInput.one("rep_id", "plan_open")
    found = _suggest(session, [rep], now, None, PLAN_METRIC, PLAN_THRESHOLD)
    plan = ImprovementPlan(
        rep_id=rep.id,
        opened_by=actor.id,
        goal=values.get("goal"),
        trigger=msgspec.to_builtins(found[0].public()) if found else {},
        starts_on=values["starts_on"],
        ends_on=values["ends_on"],
        exit_criteria=criteria,
        version=0,
        created_at=now,
    )
    session.add(plan)
    session.flush()
    _touch_plan(plan, now)
    record_audit(
        session, actor.id, "plan.open", "plan", plan.id, {}, {"rep_id": rep.id, "exit_criteria": criteria}
    )
    return plan


def _require_open(session: Session, actor: Actor, plan: ImprovementPlan) -> None:
    _require_reviewer(session, actor, plan.rep_id)
    if plan.status != "open":
        raise InvalidInput.one("status", "invalid_state", state=plan.status)


def add_action(session: Session, actor: Actor, plan: ImprovementPlan, data: Any, now: datetime) -> PlanAction:
    _require_open(session, actor, plan)
    values = validate(data, ACTION_FIELDS)
    action = PlanAction(plan_id=plan.id, created_by=actor.id, created_at=now, updated_at=now, **values)
    session.add(action)
    session.flush()
    _touch_plan(plan, now)
    return action


def update_action(
    session: Session, actor: Actor, plan: ImprovementPlan, action_id: str, data: Any, now: datetime
) -> PlanAction:
    """Record what happened: the date it was done, the coaching notes, a new due date."""
    _require_open(session, actor, plan)
    values = validate(data, ACTION_FIELDS, partial=True)
    action = session.get(PlanAction, action_id)
    if action is None or action.plan_id != plan.id:
        raise NotFound()
    for name, value in values.items():
        setattr(action, name, value)
    action.updated_at = now
    _touch_plan(plan, now)
    return action


def close_plan(session: Session, actor: Actor, plan: ImprovementPlan, data: Any, now: datetime) -> ImprovementPlan:
    """End a plan with its outcome; the exit criteria as measured at that moment go into the audit trail."""
    _require_open(session, actor, plan)
    values = validate(data, PLAN_CLOSE)
    measured = measure(session, plan, now)
    plan.status = "closed"
    plan.outcome = values["outcome"]
    plan.outcome_note = values.get("note")
    plan.closed_at = now
    plan.closed_by = actor.id
    _touch_plan(plan, now)
    record_audit(
        session,
        actor.id,
        "plan.close",
        "plan",
        plan.id,
        {"status": "open"},
        {"status": "closed", "outcome": plan.outcome, "exit_criteria": msgspec.to_builtins(measured)},
    )
    return plan


# A draft review is the lead's work in progress: it reaches nobody's phone until it is shared.
declare(
    "review",
    Review,
    review_public,
    owned_by("rep_id"),
    shown=lambda review: review.status != "draft",
    ages=when_closed("closed_at", lambda review: review.status != "closed"),
)
declare(
    "plan",
    ImprovementPlan,
    plan_public,
    owned_by("rep_id"),
    ages=when_closed("closed_at", lambda plan: plan.status == "open"),
)
