"""Audit API: the trail of approvals, amendment decisions, goal and role changes, reviews and plans."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get
from litestar.params import FromQuery, QueryParameter

from backend.audit.service import audit_public, audit_trail
from backend.http import DB, CurrentActor


@get("/audit", sync_to_thread=True)
def audit(
    db: DB,
    actor: CurrentActor,
    actor_id: FromQuery[str | None] = None,
    entity: FromQuery[str | None] = None,
    record_id: FromQuery[str | None] = None,
    action: FromQuery[str | None] = None,
    # `from` and `to` are Python keywords: the query names are given explicitly.
    from_day: Annotated[str | None, QueryParameter(name="from")] = None,
    to_day: Annotated[str | None, QueryParameter(name="to")] = None,
    limit: FromQuery[int | None] = None,
) -> list[dict[str, Any]]:
    """Who did what, when, before and after; for managers (their own and their people's decisions)."""
    params = {"actor_id": actor_id, "entity": entity, "record_id": record_id, "action": action}
    entries = audit_trail(db, actor, params | {"from": from_day, "to": to_day, "limit": limit})
    return [audit_public(e) for e in entries]


ROUTES = [audit]
