"""The approval desk over HTTP: visits filtered by rep, date and evidence, and bulk review."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from backend import paging
from backend.http import DB, Config, CurrentActor, Now
from backend.visits.desk import desk, review_many
from backend.visits.schemas import ReviewResults, VisitPublic
from backend.visits.service import visit_public


@get("/visits", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_visits(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    rep_id: FromQuery[str | None] = None,
    # `from` and `to` are Python keywords: the query names are given explicitly.
    from_day: Annotated[str | None, QueryParameter(name="from")] = None,
    to_day: Annotated[str | None, QueryParameter(name="to")] = None,
    status: FromQuery[str | None] = None,
    min_distance_m: FromQuery[float | None] = None,
    max_distance_m: FromQuery[float | None] = None,
    max_accuracy_m: FromQuery[float | None] = None,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[VisitPublic]]:
    """Visits of the caller's people (default: waiting for approval), for leads and managers; oldest check-in
    first, a page at a time."""
    params = {
        "rep_id": rep_id,
        "from": from_day,
        "to": to_day,
        "status": status,
        "min_distance_m": min_distance_m,
        "max_distance_m": max_distance_m,
        "max_accuracy_m": max_accuracy_m,
    }
    page = paging.page_request(limit, cursor)
    return paging.respond(request, desk(db, actor, params, page).map(visit_public))


@post("/visits/review", status_code=200, sync_to_thread=True)
def review_visits(
    db: DB, actor: CurrentActor, now: Now, settings: Config, data: JSONBody[dict[str, Any]]
) -> ReviewResults:
    """{decisions: [{id, base_version, approve, comment}]} → {results: one sync-shaped receipt per decision}."""
    return ReviewResults(review_many(db, actor, data, now, settings.sync_max_mutations))


ROUTES = [list_visits, review_visits]
