"""Rules for the funnel: creating opportunities, editing them, and moving them between stages.

Every stage change, the opening at `lead` included, writes a `StageChange` row in the same transaction
(`_move`), so the funnel reads what happened rather than guessing from the present stage. A deal closed as
lost must say why (`reason`, kept as `close_reason`): a loss nobody explains teaches the team nothing. A
win may say why; it is not required, because the phone records a won order straight from a visit, and a
win refused for want of a word would drop revenue from the rep's queue. Reopening a deal clears its reason.

Winning the first opportunity of a customer makes it `active` and dates `first_won_on` (the new-customers
KPI counts those); losing it again later takes that back, so a clawback reaches every figure.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.customers.models import Customer
from backend.db import new_id
from backend.errors import Forbidden, InvalidInput
from backend.kpi import service as kpi  # progress hooks
from backend.opportunities.models import CLOSED_STAGES, STAGES, Opportunity, StageChange
from backend.opportunities.schemas import OpportunityPublic, StageChangePublic
from backend.org.models import User
from backend.paging import Ordering, Page, PageRequest, SortKey, fetch_page
from backend.policy import Actor, get_owned, get_referenced, owners
from backend.settings import Settings
from backend.sync.merge import FieldConflict, three_way
from backend.sync.registry import declare, owned_by
from backend.validation import Choice, Day, Instant, Money, Text, Uuid, validate
from backend.versioning import set_fields, wire

OPPORTUNITY_FIELDS = {
    "customer_id": Uuid(required=True, nullable=False),
    "title": Text(max_len=200),
    "amount": Money(),
    "expected_close_on": Day(),
    # Only on a closed deal (see `edit_opportunity`); set when closing through `advance`'s `reason`.
    "close_reason": Text(min_len=1, max_len=200),
}
ADVANCE_ARGS = {
    "stage": Choice(required=True, choices=STAGES, nullable=False),
    "at": Instant(required=True, nullable=False),
    "reason": Text(min_len=1, max_len=200),
}
SERVER_FIELDS = ("owner_id", "stage", "closed_at")


def opportunity_public(opportunity: Opportunity) -> OpportunityPublic:
    return OpportunityPublic(
        id=opportunity.id,
        customer_id=opportunity.customer_id,
        owner_id=opportunity.owner_id,
        title=opportunity.title,
        amount=wire(opportunity.amount),
        expected_close_on=wire(opportunity.expected_close_on),
        stage=opportunity.stage,
        closed_at=wire(opportunity.closed_at),
        close_reason=opportunity.close_reason,
        version=opportunity.version,
        updated_at=opportunity.updated_at.isoformat(),
    )


def stage_change_public(change: StageChange) -> StageChangePublic:
    return StageChangePublic(
        from_stage=change.from_stage,
        to_stage=change.to_stage,
        at=wire(change.at),
        recorded_at=wire(change.recorded_at),
        by_id=change.by_id,
    )


def stage_history(session: Session, opportunity: Opportunity, page: PageRequest) -> Page[StageChange]:
    query = select(StageChange).where(StageChange.opportunity_id == opportunity.id)
    return fetch_page(session, query, STAGE_ORDER, page)


def validate_advance(data: Any, max_text: int, prefix: str = "") -> dict[str, Any]:
    """The arguments of a move between stages, cleaned: a loss must carry its reason, an open stage none."""
    args = validate(data, ADVANCE_ARGS, max_text=max_text, prefix=prefix)
    if args["stage"] == "lost" and not args.get("reason"):
        raise InvalidInput.one(f"{prefix}reason", "required")
    if args["stage"] not in CLOSED_STAGES and args.get("reason"):
        raise InvalidInput.one(f"{prefix}reason", "invalid_state", state=args["stage"])
    return args


def _move(
    session: Session,
    actor: Actor,
    opportunity: Opportunity,
    from_stage: str | None,
    stage: str,
    at: datetime,
    now: datetime,
) -> None:
    """The one place a stage is set: the opportunity's fields and the history row, together."""
    session.add(
        StageChange(
            opportunity_id=opportunity.id,
            from_stage=from_stage,
            to_stage=stage,
            version=opportunity.version,
            at=at,
            recorded_at=now,
            by_id=actor.id,
        )
    )
    opportunity.stage = stage
    opportunity.stage_changed_at = now


def get_opportunity(session: Session, actor: Actor, opportunity_id: str) -> Opportunity:
    return get_owned(session, actor, Opportunity, opportunity_id, Opportunity.owner_id)


def create_opportunity(
    session: Session, actor: Actor, opportunity_id: str, values: dict[str, Any], now: datetime
) -> Opportunity:
    if values.get("close_reason") is not None:
        raise InvalidInput.one("close_reason", "invalid_state", state="lead")
    customer = get_referenced(session, actor, Customer, values["customer_id"], Customer.owner_id, "customer_id")
    opportunity = Opportunity(
        id=opportunity_id,
        owner_id=customer.owner_id if actor.manages_people else actor.id,
        created_at=now,
        updated_at=now,
        field_versions={name: [1, actor.id] for name in values},
        **values,
    )
    session.add(opportunity)
    session.flush()
    _move(session, actor, opportunity, None, "lead", now, now)
    return opportunity


def edit_opportunity(
    session: Session,
    actor: Actor,
    opportunity: Opportunity,
    values: dict[str, Any],
    base_version: int,
    now: datetime,
) -> tuple[bool, list[FieldConflict]]:
    if "close_reason" in values:
        # A reason belongs to a closed deal; a lost one keeps one (see the module docstring).
        if opportunity.stage not in CLOSED_STAGES:
            raise InvalidInput.one("close_reason", "invalid_state", state=opportunity.stage)
        if values["close_reason"] is None and opportunity.stage == "lost":
            raise InvalidInput.one("close_reason", "required")
    if "customer_id" in values:
        get_referenced(session, actor, Customer, values["customer_id"], Customer.owner_id, "customer_id")
    outcome = three_way("opportunity", opportunity.stage, opportunity, values, base_version)
    before = kpi.opportunity_before(session, opportunity) if opportunity.stage == "won" else None
    changed = set_fields(opportunity, outcome.apply, actor.id, now)
    if changed and before is not None and "amount" in outcome.apply:  # a won deal's amount is revenue
        kpi.opportunity_changed(session, opportunity, before, now)
    return outcome.wholly_applied, outcome.conflicts


def advance(
    session: Session,
    actor: Actor,
    opportunity: Opportunity,
    stage: str,
    at: datetime,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Move to a stage at `at` (the rep's statement of when); won and lost close it then, with `reason`.

    Arguments from outside come through `validate_advance` first (a loss needs its reason).
    """
    if opportunity.owner_id != actor.id and not actor.manages_people:
        raise Forbidden()
    if stage == opportunity.stage:
        if stage in CLOSED_STAGES and reason and reason != opportunity.close_reason:
            set_fields(opportunity, {"close_reason": reason}, actor.id, now)
        return
    was_won = opportunity.stage == "won"
    closing = stage in CLOSED_STAGES or opportunity.stage in CLOSED_STAGES
    before = kpi.opportunity_before(session, opportunity) if closing else None
    opportunity.version += 1
    _move(session, actor, opportunity, opportunity.stage, stage, at, now)
    opportunity.closed_at = at if stage in CLOSED_STAGES else None
    new_reason = reason if stage in CLOSED_STAGES else None
    if new_reason != opportunity.close_reason:
        # Versioned per field like an edit, so a phone's older edit of the reason meets it in the merge.
        opportunity.close_reason = new_reason
        opportunity.field_versions = {
            **opportunity.field_versions,
            "close_reason": [opportunity.version, actor.id],
        }
    opportunity.updated_at = now
    if was_won or stage == "won":
        _refresh_first_win(session, opportunity.customer_id)
    if before is not None:  # revenue, conversion, new customers follow in this transaction
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


# --- over HTTP (phones use sync; a lead or manager at a laptop, and scripts, use these) ----------------------


# Newest first; the id breaks ties between deals created in the same instant (a sync batch).
OPPORTUNITY_ORDER = Ordering.of(
    "opportunities", SortKey(Opportunity.created_at, descending=True), SortKey(Opportunity.id, descending=True)
)
STAGE_ORDER = Ordering.of("stage_history", SortKey(StageChange.version), SortKey(StageChange.id))


def list_opportunities(
    session: Session, actor: Actor, page: PageRequest, stage: str | None = None
) -> Page[Opportunity]:
    """Opportunities of the people whose work the caller sees (a rep: their own), newest first."""
    query = select(Opportunity).where(owners(actor, Opportunity.owner_id), col(Opportunity.deleted_at).is_(None))
    if stage is not None:
        validate({"stage": stage}, {"stage": Choice(choices=STAGES)})
        query = query.where(Opportunity.stage == stage)
    return fetch_page(session, query, OPPORTUNITY_ORDER, page)


def create_from_request(session: Session, actor: Actor, data: Any, now: datetime, max_text: int) -> Opportunity:
    values = validate(data, OPPORTUNITY_FIELDS, max_text=max_text, read_only=SERVER_FIELDS)
    return create_opportunity(session, actor, new_id(), values, now)


def edit_from_request(
    session: Session, actor: Actor, opportunity_id: str, data: Any, now: datetime, max_text: int
) -> Opportunity:
    """An edit over HTTP is made on the version the server holds: the caller's word is the latest."""
    opportunity = get_opportunity(session, actor, opportunity_id)
    values = validate(data, OPPORTUNITY_FIELDS, partial=True, max_text=max_text, read_only=SERVER_FIELDS)
    edit_opportunity(session, actor, opportunity, values, opportunity.version, now)
    return opportunity


def advance_from_request(
    session: Session, actor: Actor, opportunity_id: str, data: Any, now: datetime, settings: Settings
) -> Opportunity:
    """{stage, at, reason}: `at` no later than the server's clock allows (SYNC.md rule 10 without a skew)."""
    opportunity = get_opportunity(session, actor, opportunity_id)
    args = validate_advance(data, settings.max_text_chars)
    if args["at"] > now + timedelta(minutes=settings.max_future_minutes):
        raise InvalidInput.one("at", "time_in_future")
    advance(session, actor, opportunity, args["stage"], args["at"], now, args.get("reason"))
    return opportunity


# An open deal never ages; a closed one from its close.
declare("opportunity", Opportunity, opportunity_public, owned_by("owner_id"), ages=lambda deal: deal.closed_at)
