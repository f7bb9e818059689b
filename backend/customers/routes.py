"""Customers over HTTP, for leads and managers (reps work with customers through sync)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody

from backend import paging
from backend.customers import service
from backend.customers.schemas import CustomerPublic
from backend.http import DB, Config, CurrentActor, Now


@get("/customers", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_customers(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[CustomerPublic]]:
    """Customers of the people the caller manages, by name, a page at a time."""
    found = service.list_customers(db, actor, paging.page_request(limit, cursor))
    return paging.respond(request, found.map(service.customer_public))


@post("/customers", sync_to_thread=True)
def create_customer(
    db: DB, actor: CurrentActor, settings: Config, now: Now, data: JSONBody[dict[str, Any]]
) -> CustomerPublic:
    """A new customer: {name, address, contact, phone, lat, lon, owner_id}."""
    return service.customer_public(service.create_customer(db, actor, data, now, settings.max_text_chars))


@patch("/customers/{customer_id:str}", sync_to_thread=True)
def update_customer(
    db: DB,
    actor: CurrentActor,
    settings: Config,
    now: Now,
    customer_id: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> CustomerPublic:
    """Change a customer; a new `owner_id` reassigns it."""
    customer = service.update_customer(db, actor, customer_id, data, now, settings.max_text_chars)
    return service.customer_public(customer)


@post("/customers/{customer_id:str}/position", status_code=200, sync_to_thread=True)
def take_position(
    db: DB, actor: CurrentActor, now: Now, customer_id: FromPath[str], data: JSONBody[dict[str, Any]]
) -> CustomerPublic:
    """Give a customer without coordinates the position of one of its approved check-ins: {visit_id}; for
    leads and managers over the customer's owner. The customer's visits' distances and flags follow."""
    return service.customer_public(service.take_position(db, actor, customer_id, data, now))


ROUTES = [list_customers, create_customer, update_customer, take_position]
