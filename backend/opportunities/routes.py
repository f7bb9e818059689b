"""The funnel over HTTP: opportunities, their moves between stages, and each one's stage history."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from backend import paging
from backend.http import DB, Config, CurrentActor, Now
from backend.opportunities import service
from backend.opportunities.schemas import OpportunityPublic, StageChangePublic


@get("/opportunities", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_opportunities(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    stage: FromQuery[str | None] = None,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[OpportunityPublic]]:
    """The caller's opportunities, or their people's (leads and managers), optionally of one stage; newest
    first, a page at a time."""
    found = service.list_opportunities(db, actor, paging.page_request(limit, cursor), stage)
    return paging.respond(request, found.map(service.opportunity_public))


@post("/opportunities", sync_to_thread=True)
def create_opportunity(
    db: DB, actor: CurrentActor, settings: Config, now: Now, data: JSONBody[dict[str, Any]]
) -> OpportunityPublic:
    """A new opportunity at `lead`: {customer_id, title, amount, expected_close_on}."""
    opportunity = service.create_from_request(db, actor, data, now, settings.max_text_chars)
    return service.opportunity_public(opportunity)


@patch("/opportunities/{opportunity_id:str}", sync_to_thread=True)
def update_opportunity(
    db: DB,
    actor: CurrentActor,
    settings: Config,
    now: Now,
    opportunity_id: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> OpportunityPublic:
    """Change {title, amount, expected_close_on, customer_id, close_reason (closed deals only)}."""
    opportunity = service.edit_from_request(db, actor, opportunity_id, data, now, settings.max_text_chars)
    return service.opportunity_public(opportunity)


@post("/opportunities/{opportunity_id:str}/advance", status_code=200, sync_to_thread=True)
def advance_opportunity(
    db: DB,
    actor: CurrentActor,
    settings: Config,
    now: Now,
    opportunity_id: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> OpportunityPublic:
    """Move to {stage, at, reason}: `reason` is required for lost, allowed for won, refused for open stages."""
    opportunity = service.advance_from_request(db, actor, opportunity_id, data, now, settings)
    return service.opportunity_public(opportunity)


@get("/opportunities/{opportunity_id:str}/stages", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def opportunity_stages(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    opportunity_id: FromPath[str],
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[StageChangePublic]]:
    """Every stage change of the opportunity, oldest first."""
    page = paging.page_request(limit, cursor)
    opportunity = service.get_opportunity(db, actor, opportunity_id)
    return paging.respond(request, service.stage_history(db, opportunity, page).map(service.stage_change_public))


ROUTES = [list_opportunities, create_opportunity, update_opportunity, advance_opportunity, opportunity_stages]
