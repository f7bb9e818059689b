"""Coaching API: reviews and their scorecard dimensions, improvement plans and their actions."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from backend import paging
from backend.coaching import service
from backend.coaching.schemas import (
    ActionPublic,
    DimensionPublic,
    PlanDetail,
    ReviewPublic,
    ScorecardDimension,
    SuggestionPublic,
)
from backend.http import DB, CurrentActor, Now

# --- reviews ---


@get("/reviews", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_reviews(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    rep_id: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[ReviewPublic]]:
    """Reviews the caller may read: their own once shared, and their people's; latest period first."""
    page = paging.page_request(limit, cursor)
    reviews = service.list_reviews(db, actor, page, rep_id=rep_id, period=period, status=status)
    return paging.respond(request, reviews.map(service.review_public))


@post("/reviews", sync_to_thread=True)
def open_review(db: DB, actor: CurrentActor, now: Now, data: JSONBody[dict[str, Any]]) -> ReviewPublic:
    """A draft review: {rep_id, period: 2026-11 | 2026-Q4}; the KPI figures are frozen now."""
    return service.review_public(service.open_review(db, actor, data, now))


@get("/reviews/{review_id:str}", sync_to_thread=True)
def get_review(db: DB, actor: CurrentActor, review_id: FromPath[str]) -> ReviewPublic:
    return service.review_public(service.get_review(db, actor, review_id))


@patch("/reviews/{review_id:str}", sync_to_thread=True)
def update_review(
    db: DB, actor: CurrentActor, now: Now, review_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> ReviewPublic:
    """The lead's ratings and comments while a draft: {ratings: {collaboration: 4}, comments}."""
    review = service.get_review(db, actor, review_id)
    return service.review_public(service.update_review(db, actor, review, data, now))


@post("/reviews/{review_id:str}/share", status_code=200, sync_to_thread=True)
def share_review(db: DB, actor: CurrentActor, now: Now, review_id: FromPath[str]) -> ReviewPublic:
    review = service.get_review(db, actor, review_id)
    return service.review_public(service.share_review(db, actor, review, now))


@post("/reviews/{review_id:str}/acknowledge", status_code=200, sync_to_thread=True)
def acknowledge_review(
    db: DB, actor: CurrentActor, now: Now, review_id: FromPath[str], data: JSONBody[dict[str, Any] | None] = None
) -> ReviewPublic:
    """The rep's acknowledgement: {comment}."""
    review = service.get_review(db, actor, review_id)
    return service.review_public(service.acknowledge_review(db, actor, review, data, now))


@post("/reviews/{review_id:str}/close", status_code=200, sync_to_thread=True)
def close_review(db: DB, actor: CurrentActor, now: Now, review_id: FromPath[str]) -> ReviewPublic:
    """Close the review: the score is kept and the period is locked for the rep's visits."""
    review = service.get_review(db, actor, review_id)
    return service.review_public(service.close_review(db, actor, review, now))


@get("/review-dimensions", sync_to_thread=True)
def review_dimensions(
    db: DB, actor: CurrentActor, unit_id: FromQuery[str | None] = None
) -> list[ScorecardDimension]:
    """The scorecard a review opened in this unit (default: the caller's) would use."""
    return service.dimensions_for(db, actor, unit_id)


@post("/review-dimensions", status_code=200, sync_to_thread=True)
def set_review_dimension(db: DB, actor: CurrentActor, now: Now, data: JSONBody[dict[str, Any]]) -> DimensionPublic:
    """Create or replace a unit's dimension: {unit_id, key, source: kpi|rating, metric, name_en, name_zh,
    weight, active}."""
    return service.dimension_public(service.set_dimension(db, actor, data, now))


# --- improvement plans ---


@get("/plans/suggestions", sync_to_thread=True)
def plan_suggestions(
    db: DB,
    actor: CurrentActor,
    now: Now,
    period: FromQuery[str | None] = None,
    metric: FromQuery[str | None] = None,
    threshold: FromQuery[str | None] = None,
) -> list[SuggestionPublic]:
    """Reps under the threshold (default 0.7 of revenue) in the month `period` (default: the last complete
    month) and the one before."""
    number: Any = threshold
    if threshold is not None:
        try:
            number = float(threshold)
        except ValueError:
            number = threshold  # the validator names it
    found = service.suggestions(db, actor, now, period=period, metric=metric, threshold=number)
    return [s.public() for s in found]


@get("/plans", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_plans(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    now: Now,
    rep_id: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[PlanDetail]]:
    """Improvement plans of the caller and their people, newest first, each measured now."""
    plans = service.list_plans(db, actor, paging.page_request(limit, cursor), rep_id=rep_id, status=status)
    return paging.respond(request, plans.map(lambda p: service.plan_detail(db, p, now)))


@post("/plans", sync_to_thread=True)
def open_plan(db: DB, actor: CurrentActor, now: Now, data: JSONBody[dict[str, Any]]) -> PlanDetail:
    """A plan: {rep_id, goal, starts_on, ends_on, exit_criteria: [{metric, period, min_attainment}]}."""
    return service.plan_detail(db, service.open_plan(db, actor, data, now), now)


@get("/plans/{plan_id:str}", sync_to_thread=True)
def get_plan(db: DB, actor: CurrentActor, now: Now, plan_id: FromPath[str]) -> PlanDetail:
    """The plan with its actions, and its exit criteria measured by the KPI engine now."""
    return service.plan_detail(db, service.get_plan(db, actor, plan_id), now)


@post("/plans/{plan_id:str}/actions", sync_to_thread=True)
def add_action(
    db: DB, actor: CurrentActor, now: Now, plan_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> ActionPublic:
    """{kind: coaching|training|role_change, title, due_on, done_on, notes}."""
    plan = service.get_plan(db, actor, plan_id)
    return service.action_public(service.add_action(db, actor, plan, data, now))


@patch("/plans/{plan_id:str}/actions/{action_id:str}", sync_to_thread=True)
def update_action(
    db: DB,
    actor: CurrentActor,
    now: Now,
    plan_id: FromPath[str],
    action_id: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> ActionPublic:
    plan = service.get_plan(db, actor, plan_id)
    return service.action_public(service.update_action(db, actor, plan, action_id, data, now))


@post("/plans/{plan_id:str}/close", status_code=200, sync_to_thread=True)
def close_plan(
    db: DB, actor: CurrentActor, now: Now, plan_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> PlanDetail:
    """{outcome: met|not_met|role_change|left, note}."""
    plan = service.get_plan(db, actor, plan_id)
    return service.plan_detail(db, service.close_plan(db, actor, plan, data, now), now)


ROUTES = [
    list_reviews,
    open_review,
    get_review,
    update_review,
    share_review,
    acknowledge_review,
    close_review,
    review_dimensions,
    set_review_dimension,
    plan_suggestions,
    list_plans,
    open_plan,
    get_plan,
    add_action,
    update_action,
    close_plan,
]
