"""Admin API for the org tree: units and users."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody

from backend import paging
from backend.http import DB, Config, CurrentActor, Now
from backend.org import service
from backend.org.schemas import UnitPublic, UserPublic


@get("/units", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_units(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[UnitPublic]]:
    """Units the caller manages, each after its parent, a page at a time."""
    found = service.list_units(db, actor, paging.page_request(limit, cursor))
    return paging.respond(request, found.map(service.unit_public))


@post("/units", sync_to_thread=True)
def create_unit(
    db: DB, actor: CurrentActor, settings: Config, now: Now, data: JSONBody[dict[str, Any]]
) -> UnitPublic:
    """A new unit: {name, kind: company|region|team, parent_id, timezone}."""
    return service.unit_public(service.create_unit(db, actor, data, now, settings.max_text_chars))


@patch("/units/{unit_id:str}", sync_to_thread=True)
def update_unit(
    db: DB, actor: CurrentActor, settings: Config, now: Now, unit_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> UnitPublic:
    """Rename, re-zone or move a unit (moving resets the sync scope of everyone around it)."""
    return service.unit_public(service.update_unit(db, actor, unit_id, data, now, settings.max_text_chars))


@get("/users", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_users(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[UserPublic]]:
    """Users the caller manages, by name, a page at a time."""
    found = service.list_users(db, actor, paging.page_request(limit, cursor))
    return paging.respond(request, found.map(service.user_public))


@post("/users", sync_to_thread=True)
def create_user(
    db: DB, actor: CurrentActor, settings: Config, now: Now, data: JSONBody[dict[str, Any]]
) -> UserPublic:
    """A new user: {email, name, role, unit_id, password, locale, timezone}."""
    return service.user_public(service.create_user(db, actor, data, now, settings.max_text_chars))


@patch("/users/{user_id:str}", sync_to_thread=True)
def update_user(
    db: DB, actor: CurrentActor, settings: Config, now: Now, user_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> UserPublic:
    """Change a user; a new unit or role resets the sync scope around them, a new password signs them out."""
    return service.user_public(service.update_user(db, actor, user_id, data, now, settings.max_text_chars))


ROUTES = [list_units, create_unit, update_unit, list_users, create_user, update_user]
