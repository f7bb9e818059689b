"""What each mutation of SYNC.md means: entity by entity, op by op, in terms of the features' services.

This module only translates; the rules themselves live in the features (customers, visits, opportunities,
notify). A handler returns the settled outcome or raises a domain error, which the engine turns into a
`rejected` receipt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.customers import service as customers
from backend.customers.models import Customer
from backend.errors import InvalidInput, NotFound
from backend.notify.models import Notification
from backend.notify.service import mark_read
from backend.opportunities import service as opportunities
from backend.opportunities.models import Opportunity
from backend.policy import Actor
from backend.sync.merge import FieldConflict, three_way
from backend.sync.models import ConflictRecord
from backend.validation import Text, canonical_uuid, validate
from backend.versioning import set_fields
from backend.visits import service as visits
from backend.visits.models import Amendment, Visit

# Reach the client through `changes` only (SYNC.md rule 11).
READ_ONLY = frozenset({"goal", "progress", "conflict", "badge", "user", "unit", "review", "plan"})
WRITABLE_OPS = {
    "customer": ("create", "update", "delete"),
    "visit": ("create", "update", "delete", "action"),
    "opportunity": ("create", "update", "action"),
    "notification": ("action",),
    "amendment": ("action",),
}
ACTIONS = {
    "visit": ("submit", "approve", "reject"),
    "opportunity": ("advance",),
    "notification": ("read",),
    "amendment": ("accept", "refuse"),
}


@dataclass
class Context:
    session: Session
    actor: Actor
    now: datetime
    # Phone clock minus server clock (zero when beyond the trusted bound): a phone's times are corrected
    # by it before they are judged.
    skew: timedelta
    max_text: int
    max_future: timedelta
    max_past: timedelta


@dataclass
class Outcome:
    """A settled mutation: `applied` as sent, or not wholly (`conflicts` say which fields and why)."""

    version: int
    merged: bool = False
    applied: bool = True
    conflicts: list[FieldConflict] = field(default_factory=list)
    amendment_id: str | None = None


@dataclass(frozen=True)
class Mutation:
    entity: str
    op: str
    id: str
    fields: dict[str, Any]
    base_version: int | None
    name: str | None
    args: dict[str, Any]


def _check_times(ctx: Context, values: dict[str, Any], names: tuple[str, ...], prefix: str = "") -> None:
    """SYNC.md rule 10: client clocks are evidence; a time too far ahead (after the skew) is refused, and
    so is one further back than `max_past_days` before its arrival (a stale clock or a mistyped year)."""
    latest = ctx.now + ctx.max_future
    earliest = ctx.now - ctx.max_past
    for name in names:
        moment = values.get(name)
        if moment is None:
            continue
        if moment - ctx.skew > latest:
            raise InvalidInput.one(f"{prefix}{name}", "time_in_future")
        if moment - ctx.skew < earliest:
            raise InvalidInput.one(f"{prefix}{name}", "time_too_old", max_days=ctx.max_past.days)


def _fields(ctx: Context, m: Mutation, spec: dict[str, Any], server_fields: tuple[str, ...]) -> dict[str, Any]:
    return validate(
        m.fields,
        spec,
        partial=m.op == "update",
        max_text=ctx.max_text,
        read_only=server_fields,
    )


def _base_version(m: Mutation, current: int) -> int:
    if m.base_version is None:
        raise InvalidInput.one("base_version", "required")
    if m.base_version > current:
        raise InvalidInput.one("base_version", "out_of_range", min=1, max=current)
    return m.base_version


def log_conflicts(
    ctx: Context, entity: str, record_id: str, owner_id: str, conflicts: list[FieldConflict]
) -> None:
    """Every field decided by policy goes into the conflict log that the rep and the lead read."""
    for c in conflicts:
        record = ConflictRecord(
            entity=entity,
            record_id=record_id,
            field=c.field,
            yours=c.yours,
            theirs=c.theirs,
            kept=c.kept,
            rule=c.rule,
            yours_by=ctx.actor.id,
            theirs_by=c.theirs_by,
            owner_id=owner_id,
            at=ctx.now,
        )
        ctx.session.add(record)
        ctx.session.flush()


# --- customer ---------------------------------------------------------------------------------------------


def _customer(ctx: Context, m: Mutation) -> Outcome:
    if m.op == "create":
        values = _fields(ctx, m, customers.CUSTOMER_FIELDS, customers.SERVER_FIELDS)
        customer = customers.add_customer(ctx.session, ctx.actor, m.id, values, ctx.now)
        return Outcome(customer.version)
    customer = customers.get_customer(ctx.session, ctx.actor, m.id)
    base = _base_version(m, customer.version)
    if m.op == "delete":
        if base < customer.version:
            theirs = FieldConflict("*", None, customer.version, "theirs", "changed_since_read", None)
            return Outcome(customer.version, merged=True, applied=False, conflicts=[theirs])
        customer.deleted_at = ctx.now
        customer.version += 1
        return Outcome(customer.version)
    values = _fields(ctx, m, customers.CUSTOMER_FIELDS, customers.SERVER_FIELDS)
    unseen = base < customer.version
    outcome = three_way("customer", customer.status, customer, values, base)
    customers.edited(ctx.session, customer, set_fields(customer, outcome.apply, ctx.actor.id, ctx.now), ctx.now)
    log_conflicts(ctx, "customer", customer.id, customer.owner_id, outcome.conflicts)
    return Outcome(customer.version, unseen, outcome.wholly_applied, outcome.conflicts)


# --- visit ------------------------------------------------------------------------------------------------


def _new_visit(ctx: Context, m: Mutation) -> dict[str, Any]:
    values = _fields(ctx, m, visits.VISIT_FIELDS, visits.SERVER_FIELDS)
    _check_times(ctx, values, visits.TIME_FIELDS)
    return visits.new_visit_row(ctx.session, ctx.actor, m.id, values, ctx.now)


def _visit(ctx: Context, m: Mutation) -> Outcome:
    if m.op == "create":
        visits.insert_visits(ctx.session, [_new_visit(ctx, m)])
        return Outcome(1)
    visit = visits.get_visit(ctx.session, ctx.actor, m.id)
    if m.op == "update":
        base = _base_version(m, visit.version)
        unseen = base < visit.version
        values = _fields(ctx, m, visits.VISIT_FIELDS, visits.SERVER_FIELDS)
        _check_times(ctx, values, visits.TIME_FIELDS)
        edit = visits.edit_visit(ctx.session, ctx.actor, visit, values, base, ctx.now)
        log_conflicts(ctx, "visit", visit.id, visit.rep_id, edit.conflicts)
        return Outcome(
            visit.version,
            merged=unseen,
            applied=edit.applied,
            conflicts=edit.conflicts,
            amendment_id=edit.amendment.id if edit.amendment else None,
        )
    if m.op == "delete":
        visits.delete_visit(ctx.session, ctx.actor, visit, ctx.now)
        return Outcome(visit.version)
    if m.name == "submit":
        visits.submit(ctx.session, ctx.actor, visit, ctx.now)
        return Outcome(visit.version)
    comment = validate(m.args, {"comment": Text(max_len=2000)}, max_text=ctx.max_text, prefix="args.").get(
        "comment"
    )
    try:
        visits.review(ctx.session, ctx.actor, visit, m.name == "approve", comment or None, m.base_version, ctx.now)
    except visits.StaleReview:
        stale = FieldConflict("version", m.base_version, visit.version, "theirs", "stale_review", None)
        return Outcome(visit.version, merged=True, applied=False, conflicts=[stale])
    return Outcome(visit.version)


# --- opportunity ------------------------------------------------------------------------------------------


def _opportunity(ctx: Context, m: Mutation) -> Outcome:
    if m.op == "create":
        values = _fields(ctx, m, opportunities.OPPORTUNITY_FIELDS, opportunities.SERVER_FIELDS)
        opportunity = opportunities.create_opportunity(ctx.session, ctx.actor, m.id, values, ctx.now)
        return Outcome(opportunity.version)
    opportunity = opportunities.get_opportunity(ctx.session, ctx.actor, m.id)
    if m.op == "update":
        base = _base_version(m, opportunity.version)
        unseen = base < opportunity.version
        values = _fields(ctx, m, opportunities.OPPORTUNITY_FIELDS, opportunities.SERVER_FIELDS)
        applied, conflicts = opportunities.edit_opportunity(
            ctx.session, ctx.actor, opportunity, values, base, ctx.now
        )
        log_conflicts(ctx, "opportunity", opportunity.id, opportunity.owner_id, conflicts)
        return Outcome(opportunity.version, unseen, applied, conflicts)
    args = opportunities.validate_advance(m.args, ctx.max_text, prefix="args.")
    _check_times(ctx, args, ("at",), "args.")
    unseen = m.base_version is not None and m.base_version < opportunity.version
    opportunities.advance(
        ctx.session, ctx.actor, opportunity, args["stage"], args["at"], ctx.now, args.get("reason")
    )
    return Outcome(opportunity.version, merged=unseen)


# --- notification, amendment ------------------------------------------------------------------------------


def _notification(ctx: Context, m: Mutation) -> Outcome:
    notification = ctx.session.get(Notification, m.id)
    if notification is None or notification.user_id != ctx.actor.id:
        raise NotFound()
    mark_read(ctx.session, notification, ctx.now)
    return Outcome(notification.version)


def _amendment(ctx: Context, m: Mutation) -> Outcome:
    amendment = visits.get_amendment(ctx.session, ctx.actor, m.id)
    visits.decide_amendment(ctx.session, ctx.actor, amendment, m.name == "accept", ctx.now)
    return Outcome(amendment.version)


@dataclass(frozen=True)
class BatchedCreate:
    """How a run of creates of one entity is settled in bulk: each checked alone into a row, then all the
    rows written in one statement (with their change-log entries)."""

    prepare: Callable[[Context, Mutation], dict[str, Any]]
    insert: Callable[[Session, list[dict[str, Any]]], None]
    # Actions on a record created earlier in the same run, applied to its row before it is written.
    actions: dict[str, Callable[[Context, Mutation, dict[str, Any]], None]] = field(default_factory=dict)


# Visits are what phones send by the hundred after a day offline, each created and then submitted.
BATCHED_CREATES = {
    "visit": BatchedCreate(
        _new_visit, visits.insert_visits, {"submit": lambda ctx, m, row: visits.submit_row(row)}
    )
}

# Whose record of each creatable entity is: a create whose id the sender's own record already holds is their
# phone sending it again (under a new mid), not a collision with somebody else's record.
OWNERS: dict[str, tuple[Any, str]] = {
    "customer": (Customer, "owner_id"),
    "visit": (Visit, "rep_id"),
    "opportunity": (Opportunity, "owner_id"),
}


# What a mutation names besides its own record: fields of a create or an edit that are other records' ids.
REFERENCES: dict[str, dict[str, Any]] = {
    "visit": {"customer_id": Customer, "opportunity_id": Opportunity},
    "opportunity": {"customer_id": Customer},
}
MODELS: dict[str, Any] = {
    "customer": Customer,
    "visit": Visit,
    "opportunity": Opportunity,
    "notification": Notification,
    "amendment": Amendment,
}


def named_records(mutations: list[dict[str, Any]]) -> dict[Any, set[str]]:
    """The records a batch's mutations will read, by model: each edited, deleted or acted-on record, and
    each record a create or an edit names (a visit's customer), for the engine to load at once. Not the
    batch's own creates: loaded first, a create sent again would meet its record in the session instead of
    the database's `already_exists`."""
    wanted: dict[Any, set[str]] = defaultdict(set)
    created: dict[Any, set[str]] = defaultdict(set)
    for raw in mutations:
        entity = raw.get("entity")
        if not isinstance(entity, str) or entity not in MODELS:
            continue
        if record_id := canonical_uuid(raw.get("id")):
            (created if raw.get("op") == "create" else wanted)[MODELS[entity]].add(record_id)
        fields = raw.get("fields")
        if isinstance(fields, dict):
            for name, model in REFERENCES.get(entity, {}).items():
                if named := canonical_uuid(fields.get(name)):
                    wanted[model].add(named)
    return {model: ids - created[model] for model, ids in wanted.items()}


def taken_by_actor(ctx: Context, entity: str, record_id: str) -> bool:
    """Whether the record `entity`/`record_id` exists and belongs to the actor."""
    if entity not in OWNERS:
        return False
    model, owner = OWNERS[entity]
    query = select(getattr(model, owner)).where(model.id == record_id)
    return ctx.session.execute(query).scalar_one_or_none() == ctx.actor.id


HANDLERS: dict[str, Callable[[Context, Mutation], Outcome]] = {
    "customer": _customer,
    "visit": _visit,
    "opportunity": _opportunity,
    "notification": _notification,
    "amendment": _amendment,
}
