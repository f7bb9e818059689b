"""Customers over HTTP, for leads and managers (reps work with customers through sync)."""

from __future__ import annotations

from typing import Any

from litestar import get, patch, post
from litestar.params import FromPath, JSONBody

from backend.customers import service
from backend.http import DB, Config, CurrentActor, Now


@get("/customers", sync_to_thread=True)
def list_customers(db: DB, actor: CurrentActor) -> list[dict[str, Any]]:
    """Customers of the people the caller manages."""
    return [service.customer_public(c) for c in service.list_customers(db, actor)]


@post("/customers", sync_to_thread=True)
def create_customer(
    db: DB, actor: CurrentActor, settings: Config, now: Now, data: JSONBody[dict[str, Any]]
) -> dict[str, Any]:
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
) -> dict[str, Any]:
    """Change a customer; a new `owner_id` reassigns it."""
    customer = service.update_customer(db, actor, customer_id, data, now, settings.max_text_chars)
    return service.customer_public(customer)


ROUTES = [list_customers, create_customer, update_customer]
