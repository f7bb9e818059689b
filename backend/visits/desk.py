"""The approval desk: a lead's or manager's view of visits beyond the phone queue, and bulk review.

Bulk review follows the sync engine's rules exactly (backend/sync/engine.py): each decision in its own
SAVEPOINT through `visits.service.review`, so a decision that fails is undone alone and the others stand;
each answers a receipt in the shape of a sync receipt (`applied`, `conflict` with `stale_review`, or
`rejected` with errors).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text as TextType
from sqlalchemy import cast
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.errors import FieldError, FieldgoalError, FieldProblem, InvalidInput, NotFound
from backend.paging import Ordering, Page, PageRequest, SortKey, fetch_page
from backend.policy import Actor, get_user, owners, require_manager
from backend.validation import Choice, Day, Flag, Integer, Number, Text, Uuid, validate
from backend.visits.evidence import FLAGS
from backend.visits.models import VISIT_STATUSES, Visit
from backend.visits.schemas import ConflictPublic, DecisionReceipt
from backend.visits.service import StaleReview, get_visit, review

DESK_QUERY = {
    "rep_id": Uuid(),
    "from": Day(),
    "to": Day(),
    "status": Choice(choices=VISIT_STATUSES),
    "min_distance_m": Number(min=0),
    "max_distance_m": Number(min=0),
    "max_accuracy_m": Number(min=0),
    "flag": Choice(choices=FLAGS),
}
# Oldest check-in first; visits of one instant by id.
DESK_ORDER = Ordering.of("visits", SortKey(Visit.check_in_at), SortKey(Visit.id))
DECISION = {
    "id": Uuid(required=True, nullable=False),
    "base_version": Integer(min=1),
    "approve": Flag(required=True, nullable=False),
    "comment": Text(max_len=2000),
}


def desk(session: Session, actor: Actor, params: dict[str, Any], page: PageRequest) -> Page[Visit]:
    """Visits of the people the actor manages (never their own), oldest check-in first; by default those
    waiting (`submitted`). `from`/`to` are days of the actor's zone, both included; evidence filters leave
    out visits without that evidence, and `flag` keeps those the server flagged so."""
    require_manager(actor)
    values = validate({k: v for k, v in params.items() if v not in (None, "")}, DESK_QUERY)
    query = select(Visit).where(
        owners(actor, Visit.rep_id),
        col(Visit.rep_id) != actor.id,
        col(Visit.deleted_at).is_(None),
        Visit.status == values.get("status", "submitted"),
    )
    if "rep_id" in values:
        get_user(session, actor, values["rep_id"])  # someone outside the actor's people: NotFound
        query = query.where(Visit.rep_id == values["rep_id"])
    zone = ZoneInfo(actor.timezone)
    if "from" in values:
        query = query.where(col(Visit.check_in_at) >= datetime.combine(values["from"], time(), zone))
    if "to" in values:
        end = datetime.combine(values["to"] + timedelta(days=1), time(), zone)
        query = query.where(col(Visit.check_in_at) < end)
    if "min_distance_m" in values:
        query = query.where(col(Visit.distance_m) >= values["min_distance_m"])
    if "max_distance_m" in values:
        query = query.where(col(Visit.distance_m) <= values["max_distance_m"])
    if "max_accuracy_m" in values:
        query = query.where(col(Visit.accuracy_m) <= values["max_accuracy_m"])
    if "flag" in values:
        # The stored list as JSON text holds the flag's name in quotes; no flag's name is inside another's.
        query = query.where(cast(col(Visit.flags), TextType).like(f'%"{values["flag"]}"%'))
    return fetch_page(session, query, DESK_ORDER, page)


def review_many(
    session: Session, actor: Actor, data: Any, now: datetime, max_decisions: int
) -> list[DecisionReceipt]:
    """Settle each decision alone and answer one receipt per decision, in order."""
    require_manager(actor)
    decisions = data.get("decisions") if isinstance(data, dict) else None
    if not isinstance(decisions, list) or not decisions:
        raise InvalidInput.one("decisions", "required")
    if len(decisions) > max_decisions:
        raise InvalidInput.one("decisions", "too_many", max=max_decisions)
    return [_decide(session, actor, raw, now) for raw in decisions]


def _decide(session: Session, actor: Actor, raw: Any, now: datetime) -> DecisionReceipt:
    named = raw.get("id") if isinstance(raw, dict) else None
    savepoint = session.begin_nested()
    try:
        values = validate(raw, DECISION)
        named = values["id"]
        visit = get_visit(session, actor, values["id"])
        try:
            review(
                session,
                actor,
                visit,
                values["approve"],
                values.get("comment") or None,
                values.get("base_version"),
                now,
            )
        except StaleReview:
            # As in sync: the lead looked at an older version; nothing changes and they must look again.
            savepoint.rollback()
            stale = ConflictPublic("version", values.get("base_version"), visit.version, "theirs", "stale_review")
            return DecisionReceipt(
                entity="visit", id=named, version=visit.version, status="conflict", conflicts=[stale]
            )
        savepoint.commit()
    except FieldgoalError as exc:
        savepoint.rollback()
        errors = exc.errors or [FieldError("id" if isinstance(exc, NotFound) else "op", exc.code, exc.params)]
        problems = [FieldProblem(**e.render(actor.locale)) for e in errors]
        return DecisionReceipt(entity="visit", id=named, status="rejected", errors=problems)
    return DecisionReceipt(entity="visit", id=named, version=visit.version, status="applied")
