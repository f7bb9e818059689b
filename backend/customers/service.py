"""Rules for customers: reps add prospects (through sync), leads and managers manage and reassign them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.audit.service import record_audit
from backend.customers.models import Customer
from backend.customers.schemas import CustomerPublic
from backend.db import new_id
from backend.errors import Forbidden, InvalidInput, NotFound
from backend.kpi import service as kpi
from backend.org.service import reset_scope_around
from backend.paging import Ordering, Page, PageRequest, SortKey, fetch_page
from backend.policy import Actor, get_owned, get_user, owners, require_manager
from backend.sync.registry import declare, owned_by
from backend.validation import Integer, Number, Text, Uuid, validate
from backend.versioning import set_fields, wire
from backend.visits import service as visits

# What a client may send (SYNC.md, "Shapes on the wire").
CUSTOMER_FIELDS = {
    "name": Text(required=True, min_len=1, max_len=200, nullable=False),
    "address": Text(),
    "contact": Text(max_len=200),
    "phone": Text(max_len=64),
    # A rep adding a prospect knows its province; the city stays the office's to set.
    "province": Text(max_len=64),
    "lat": Number(min=-90, max=90),
    "lon": Number(min=-180, max=180),
}
SERVER_FIELDS = ("owner_id", "status", "first_won_on", "city", "radius_m", "initials")
# Leads and managers may also set these over HTTP.
MANAGER_FIELDS = {
    **CUSTOMER_FIELDS,
    "owner_id": Uuid(nullable=False),
    "city": Text(max_len=64),
    "radius_m": Integer(min=10, max=100_000),
}


def customer_public(customer: Customer) -> CustomerPublic:
    return CustomerPublic(
        id=customer.id,
        name=customer.name,
        address=customer.address,
        contact=customer.contact,
        phone=customer.phone,
        province=customer.province,
        city=customer.city,
        lat=customer.lat,
        lon=customer.lon,
        radius_m=customer.radius_m,
        initials=customer.initials,
        owner_id=customer.owner_id,
        status=customer.status,
        first_won_on=wire(customer.first_won_on),
        version=customer.version,
        updated_at=customer.updated_at.isoformat(),
    )


def get_customer(session: Session, actor: Actor, customer_id: str) -> Customer:
    return get_owned(session, actor, Customer, customer_id, Customer.owner_id)


# By name; the id breaks ties between namesakes so a page never ends between them.
CUSTOMER_ORDER = Ordering.of("customers", SortKey(Customer.name), SortKey(Customer.id))


def list_customers(session: Session, actor: Actor, page: PageRequest) -> Page[Customer]:
    require_manager(actor)
    query = select(Customer).where(owners(actor, Customer.owner_id), col(Customer.deleted_at).is_(None))  # type: ignore[union-attr]
    return fetch_page(session, query, CUSTOMER_ORDER, page)


def add_customer(
    session: Session, actor: Actor, customer_id: str, values: dict[str, Any], now: datetime
) -> Customer:
    """A new customer owned by `values['owner_id']` (default: the actor)."""
    owner_id = values.pop("owner_id", None) or actor.id
    if owner_id != actor.id:
        _owner_in_scope(session, actor, owner_id)
    versions = {name: [1, actor.id] for name in values}
    customer = Customer(
        id=customer_id, owner_id=owner_id, field_versions=versions, created_at=now, updated_at=now, **values
    )
    session.add(customer)
    session.flush()
    return customer


def create_customer(session: Session, actor: Actor, data: Any, now: datetime, max_text: int) -> Customer:
    require_manager(actor)
    values = validate(data, {**MANAGER_FIELDS, "id": Uuid()}, max_text=max_text)
    customer_id = values.pop("id", None) or new_id()
    if session.get(Customer, customer_id) is not None:
        raise InvalidInput.one("id", "already_exists")
    return add_customer(session, actor, customer_id, values, now)


def update_customer(
    session: Session, actor: Actor, customer_id: str, data: Any, now: datetime, max_text: int
) -> Customer:
    require_manager(actor)
    customer = get_customer(session, actor, customer_id)
    values = validate(data, MANAGER_FIELDS, partial=True, max_text=max_text)
    new_owner = values.pop("owner_id", None)
    if new_owner and new_owner != customer.owner_id:
        reassign(session, actor, customer, new_owner, now)
    edited(session, customer, set_fields(customer, values, actor.id, now), now)
    return customer


# What a customer's visits' distance and `far` flag are judged by.
WHERE_FIELDS = frozenset({"lat", "lon", "radius_m"})


def edited(session: Session, customer: Customer, changed: list[str], now: datetime) -> None:
    """After any edit of the customer (by its rep through sync, or over HTTP): a new position or radius moves
    its visits' evidence too."""
    if WHERE_FIELDS.intersection(changed):
        visits.customer_moved(session, customer, now)


POSITION_REQUEST = {"visit_id": Uuid(required=True, nullable=False)}


def take_position(session: Session, actor: Actor, customer_id: str, data: Any, now: datetime) -> Customer:
    """A lead or manager over the customer's owner gives a customer without coordinates those of an approved
    check-in there: {visit_id}. Its visits' distances and `far` follow; the audit trail keeps who and which."""
    require_manager(actor)
    customer = get_customer(session, actor, customer_id)
    if customer.owner_id == actor.id:  # confirmed by someone above the owner, as a visit is reviewed
        raise Forbidden()
    values = validate(data, POSITION_REQUEST)
    if customer.lat is not None or customer.lon is not None:
        raise InvalidInput.one("visit_id", "customer_has_position")
    lat, lon = visits.approved_position(session, actor, values["visit_id"], customer.id)
    changed = set_fields(customer, {"lat": lat, "lon": lon}, actor.id, now)
    edited(session, customer, changed, now)
    record_audit(
        session,
        actor.id,
        "customer.position",
        "customer",
        customer.id,
        {"lat": None, "lon": None},
        {"lat": lat, "lon": lon, "visit_id": values["visit_id"]},
    )
    return customer


def reassign(session: Session, actor: Actor, customer: Customer, owner_id: str, now: datetime) -> None:
    """Hand a customer to another rep: both reps' (and their leads') phones start over."""
    _owner_in_scope(session, actor, owner_id)
    reset_scope_around(session, user_ids={customer.owner_id, owner_id})
    previous_owner = customer.owner_id
    customer.owner_id = owner_id
    customer.version += 1
    customer.updated_at = now
    # A customer's first win counts as a new customer for whoever owns it now.
    kpi.customer_reassigned(session, customer, previous_owner, now)


def _owner_in_scope(session: Session, actor: Actor, owner_id: str) -> None:
    if not actor.manages_people:
        raise Forbidden()
    try:
        get_user(session, actor, owner_id)
    except NotFound:
        raise InvalidInput.one("owner_id", "not_found") from None


declare("customer", Customer, customer_public, owned_by("owner_id"))
