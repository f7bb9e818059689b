"""Goals API: set, read and change goals, allocate a parent to its children, split a year into months."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from backend import paging
from backend.goals import service, tree
from backend.goals.schemas import GoalChangePublic, GoalFamily, GoalPublic, GoalTree, SeasonalityPublic
from backend.http import DB, CurrentActor, Now


@post("/goals", sync_to_thread=True)
def create_goal(db: DB, actor: CurrentActor, now: Now, data: JSONBody[dict[str, Any]]) -> GoalPublic:
    """A new goal: {subject_type: unit|user, subject_id, metric, period, target, parent_id}."""
    return service.goal_public(service.create_goal(db, actor, data, now))


@get("/goals", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_goals(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    period: FromQuery[str | None] = None,
    subject_type: FromQuery[str | None] = None,
    subject_id: FromQuery[str | None] = None,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[GoalPublic]]:
    """Goals the caller sees, filtered by period and subject, a page at a time."""
    page = paging.page_request(limit, cursor)
    found = service.list_goals(db, actor, period, subject_type, subject_id, page)
    return paging.respond(request, found.map(service.goal_public))


@get("/goals/tree", sync_to_thread=True)
def goal_tree(
    db: DB,
    actor: CurrentActor,
    now: Now,
    unit_id: FromQuery[str | None] = None,
    metric: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
) -> GoalTree:
    """Leads and managers: every unit and person below a unit they run (default: their own), each with their
    goal for the metric and period (allocated, unallocated, split) and its figures. Defaults: revenue, the
    unit's month."""
    return tree.goal_tree(db, actor, now, unit_id, metric, period)


@patch("/goals/{goal_id:str}", sync_to_thread=True)
def update_goal(
    db: DB, actor: CurrentActor, now: Now, goal_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> GoalPublic:
    """Change the target (kept in the goal's history) or the parent."""
    return service.goal_public(service.update_goal(db, actor, goal_id, data, now))


@post("/goals/{goal_id:str}/allocate", status_code=200, sync_to_thread=True)
def allocate_goal(
    db: DB, actor: CurrentActor, now: Now, goal_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> GoalFamily:
    """{allocations: [{subject_type, subject_id, target}]} → {parent, children, unallocated}."""
    return service.allocate(db, actor, goal_id, data, now)


@post("/goals/{goal_id:str}/split", status_code=200, sync_to_thread=True)
def split_goal(db: DB, actor: CurrentActor, now: Now, goal_id: FromPath[str]) -> GoalFamily:
    """A year's or a quarter's goal into month goals by the subject's seasonality → {parent, children, unallocated}."""
    return service.split(db, actor, goal_id, now)


@get("/goals/{goal_id:str}/history", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def goal_history(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    goal_id: FromPath[str],
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[GoalChangePublic]]:
    """Every change of the target: who, when, from, to."""
    return paging.respond(request, service.history(db, actor, goal_id, paging.page_request(limit, cursor)))


@get("/seasonality/{unit_id:str}", sync_to_thread=True)
def get_seasonality(db: DB, actor: CurrentActor, unit_id: FromPath[str]) -> SeasonalityPublic:
    """The twelve month weights a unit's year goals split by (its own, inherited, or flat)."""
    return service.get_seasonality(db, actor, unit_id)


@put("/seasonality/{unit_id:str}", sync_to_thread=True)
def set_seasonality(
    db: DB, actor: CurrentActor, now: Now, unit_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> SeasonalityPublic:
    """{weights: [12 decimal strings or integers] | null}."""
    return service.set_seasonality(db, actor, unit_id, data, now)


ROUTES = [
    create_goal,
    list_goals,
    goal_tree,
    update_goal,
    allocate_goal,
    split_goal,
    goal_history,
    get_seasonality,
    set_seasonality,
]
