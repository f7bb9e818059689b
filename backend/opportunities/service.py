"""Rules for the funnel: creating opportunities, editing them, and moving them between stages.

Winning the first opportunity of a customer makes it `active` and dates `first_won_on` (the new-customers
KPI counts those); losing it again later takes that back, so a clawback reaches every figure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.customers.models import Customer
from backend.customers.service import log_customer
from backend.errors import Forbidden
from backend.kpi import service as kpi  # [goals/kpi] progress hooks
from backend.opportunities.models import STAGES, Opportunity
from backend.org.models import User
from backend.policy import Actor, get_owned, get_referenced
from backend.sync.changelog import record_change
from backend.sync.merge import FieldConflict, three_way
from backend.validation import Choice, Day, Instant, Money, Text, Uuid
from backend.versioning import set_fields, wire

OPPORTUNITY_FIELDS = {
    "customer_id": Uuid(required=True, nullable=False),
    "title": Text(max_len=200),
    "amount": Money(),
    "expected_close_on": Day(),
}
ADVANCE_ARGS = {
    "stage": Choice(required=True, choices=STAGES, nullable=False),
    "at": Instant(required=True, nullable=False),
}
SERVER_FIELDS = ("owner_id", "stage", "closed_at")


def opportunity_public(opportunity: Opportunity) -> dict[str, Any]:
    return {
        "id": opportunity.id,
        "customer_id": opportunity.customer_id,
        "owner_id": opportunity.owner_id,
        "title": opportunity.title,
        "amount": wire(opportunity.amount),
        "expected_close_on": wire(opportunity.expected_close_on),
        "stage": opportunity.stage,
        "closed_at": wire(opportunity.closed_at),
        "version": opportunity.version,
        "updated_at": opportunity.updated_at.isoformat(),
    }


def _log(session: Session, opportunity: Opportunity) -> None:
    record_change(session, "opportunity", opportunity.id, opportunity.version, owner_id=opportunity.owner_id)


def get_opportunity(session: Session, actor: Actor, opportunity_id: str) -> Opportunity:
    return get_owned(session, actor, Opportunity, opportunity_id, Opportunity.owner_id)


def create_opportunity(
    session: Session, actor: Actor, opportunity_id: str, values: dict[str, Any], now: datetime
) -> Opportunity:
    customer = get_referenced(session, actor, Customer, values["customer_id"], Customer.owner_id, "customer_id")
    opportunity = Opportunity(
        id=opportunity_id,
        owner_id=customer.owner_id if actor.manages_people else actor.id,
        stage="lead",
        stage_changed_at=now,
        created_at=now,
        updated_at=now,
        field_versions={name: [1, actor.id] for name in values},
        **values,
    )
    session.add(opportunity)
    session.flush()
    _log(session, opportunity)
    return opportunity


def edit_opportunity(
    session: Session,
    actor: Actor,
    opportunity: Opportunity,
    values: dict[str, Any],
    base_version: int,
    now: datetime,
) -> tuple[bool, list[FieldConflict]]:
    if "customer_id" in values:
        get_referenced(session, actor, Customer, values["customer_id"], Customer.owner_id, "customer_id")
    outcome = three_way("opportunity", opportunity.stage, opportunity, values, base_version)
    before = kpi.opportunity_before(session, opportunity) if opportunity.stage == "won" else None  # [goals/kpi]
    if set_fields(opportunity, outcome.apply, actor.id, now):
        _log(session, opportunity)
        if before is not None and "amount" in outcome.apply:  # [goals/kpi] a won deal's amount is revenue
            kpi.opportunity_changed(session, opportunity, before, now)
    return outcome.wholly_applied, outcome.conflicts


def advance(
    session: Session, actor: Actor, opportunity: Opportunity, stage: str, at: datetime, now: datetime
) -> None:
    """Move to a stage; won and lost close it at `at` (the rep's statement of when)."""
    if opportunity.owner_id != actor.id and not actor.manages_people:
        raise Forbidden()
    if stage == opportunity.stage:
        return
    was_won = opportunity.stage == "won"
    closing = stage in ("won", "lost") or opportunity.stage in ("won", "lost")  # [goals/kpi]
    before = kpi.opportunity_before(session, opportunity) if closing else None  # [goals/kpi]
    opportunity.stage = stage
    opportunity.stage_changed_at = now
    opportunity.closed_at = at if stage in ("won", "lost") else None
    opportunity.version += 1
    opportunity.updated_at = now
    _log(session, opportunity)
    if was_won or stage == "won":
        _refresh_first_win(session, opportunity.customer_id)
    if before is not None:  # [goals/kpi] revenue, conversion, new customers follow in this transaction
        kpi.opportunity_changed(session, opportunity, before, now)


def _refresh_first_win(session: Session, customer_id: str) -> None:
    """A customer is new in the period of its first won opportunity; recomputed so a clawback undoes it."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return
    owner = session.get(User, customer.owner_id)
    zone = ZoneInfo(owner.timezone if owner else "Asia/Shanghai")
    first = session.scalars(
        select(Opportunity.closed_at)
        .where(Opportunity.customer_id == customer_id, Opportunity.stage == "won")
        .order_by(col(Opportunity.closed_at))
    ).first()
    first_day = first.astimezone(zone).date() if first else None
    status = "active" if first_day else "prospect"
    if (customer.first_won_on, customer.status) != (first_day, status):
        customer.first_won_on = first_day
        customer.status = status
        customer.version += 1
        log_customer(session, customer)
