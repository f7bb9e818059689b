"""Rewards API: commission plans, statements and the phone's estimate; badges."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from backend import paging
from backend.http import DB, CurrentActor, Now, also_answers
from backend.policy import get_user
from backend.rewards import badges, service
from backend.rewards.schemas import (
    AssignmentPublic,
    BadgePublic,
    CommissionPlanPublic,
    EstimatePublic,
    NoEstimate,
    StatementPublic,
)
from backend.validation import Uuid, validate


@get("/commissions/plans", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_plans(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[CommissionPlanPublic]]:
    """Plans of the units the caller sees, by name, a page at a time."""
    found = service.list_plans(db, actor, paging.page_request(limit, cursor))
    return paging.respond(request, found.map(service.plan_public))


@post("/commissions/plans", sync_to_thread=True)
def create_plan(db: DB, actor: CurrentActor, now: Now, data: JSONBody[dict[str, Any]]) -> CommissionPlanPublic:
    """Manager: {name, unit_id, mode: marginal|whole, tiers: [{up_to_attainment: "0.8"|null, rate: "0.03"}]}."""
    return service.plan_public(service.create_plan(db, actor, data, now))


@patch("/commissions/plans/{plan_id:str}", sync_to_thread=True)
def update_plan(
    db: DB, actor: CurrentActor, now: Now, plan_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> CommissionPlanPublic:
    """Manager of the plan's unit: any of {name, mode, tiers}; tiers replace the whole list."""
    return service.plan_public(service.update_plan(db, actor, plan_id, data, now))


@post("/commissions/plans/{plan_id:str}/assign", sync_to_thread=True)
def assign_plan(
    db: DB, actor: CurrentActor, now: Now, plan_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> AssignmentPublic:
    """Manager: {subject_type: unit|user, subject_id}; a unit's plan is inherited by everyone below it."""
    return service.assignment_public(service.assign_plan(db, actor, plan_id, data, now))


@get("/commissions/statements", sync_to_thread=True, opt=also_answers(409))
def statement(
    db: DB,
    actor: CurrentActor,
    now: Now,
    user_id: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
) -> StatementPublic:
    """The rep's statement for the period (issued, or the draft as of now). Defaults: the caller, this month."""
    return service.get_statement(db, actor, user_id, period, now)


@post("/commissions/statements/issue", sync_to_thread=True, opt=also_answers(409))
def issue(db: DB, actor: CurrentActor, now: Now, data: JSONBody[dict[str, Any]]) -> StatementPublic:
    """Manager: {user_id, period} of an ended period; stored as computed, later statements claw back against it."""
    return service.statement_public(service.issue_statement(db, actor, data, now))


@get("/commissions/estimate", sync_to_thread=True)
def estimate(
    db: DB, actor: CurrentActor, now: Now, period: FromQuery[str | None] = None
) -> EstimatePublic | NoEstimate:
    """The caller's commission so far and "¥X more pays ¥Y" to the next tier. Default: this month. With no
    commission plan applying to the caller, or no revenue target for the period under the plan that applies:
    no figures and what is missing (NoEstimate), not an error."""
    return service.estimate(db, actor, period, now)


@get("/badges", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_badges(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    now: Now,
    user_id: FromQuery[str | None] = None,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[BadgePublic]]:
    """The badges of the caller (evaluated first, so a new one shows at once) or of a rep they manage."""
    page = paging.page_request(limit, cursor)
    if user_id is None or user_id == actor.id:
        badges.evaluate_badges(db, now, [actor.id])
        rep_id = actor.id
    else:
        rep_id = get_user(db, actor, validate({"user_id": user_id}, {"user_id": Uuid()})["user_id"]).id
    return paging.respond(request, badges.badges_of(db, rep_id, page).map(badges.badge_public))


ROUTES = [list_plans, create_plan, update_plan, assign_plan, statement, issue, estimate, list_badges]
