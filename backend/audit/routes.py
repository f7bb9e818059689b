"""Audit API: the trail of approvals, amendment decisions, goal and role changes, reviews and plans."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import FromQuery, QueryParameter

from backend import paging
from backend.audit.names import audit_named
from backend.audit.schemas import AuditEntryPublic
from backend.audit.service import audit_trail
from backend.http import DB, CurrentActor


@get("/audit", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def audit(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    actor_id: FromQuery[str | None] = None,
    entity: FromQuery[str | None] = None,
    record_id: FromQuery[str | None] = None,
    action: FromQuery[str | None] = None,
    # `from` and `to` are Python keywords: the query names are given explicitly.
    from_day: Annotated[str | None, QueryParameter(name="from")] = None,
    to_day: Annotated[str | None, QueryParameter(name="to")] = None,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[AuditEntryPublic]]:
    """Who did what, when, before and after, with the names it is read by (who acted, whom or what it
    concerns); for managers (their own and their people's decisions). Newest first, a page at a time."""
    params = {"actor_id": actor_id, "entity": entity, "record_id": record_id, "action": action}
    page = paging.page_request(limit, cursor)
    entries = audit_trail(db, actor, params | {"from": from_day, "to": to_day}, page)
    return paging.respond(request, paging.Page(audit_named(db, entries.rows), entries.next_cursor))


ROUTES = [audit]
