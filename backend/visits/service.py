"""Rules for visits: logging, editing while allowed, submitting, the lead's review, amendments, locks.

A visit moves draft → submitted → approved | rejected (SYNC.md rule 6). The rep edits a draft, a submitted
(it stays submitted) or a rejected visit; an edit to an approved visit becomes an amendment for the lead.
Only approved visits count in the KPIs. Visits in a closed period are read-only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.audit.service import record_audit
from backend.customers.models import Customer
from backend.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from backend.kpi import service as kpi  # progress hooks
from backend.notify.service import notify
from backend.opportunities.models import Opportunity
from backend.org.models import Unit, User
from backend.periods import InvalidPeriod, Period, parse_period
from backend.policy import Actor, get_owned, get_referenced, managed_units
from backend.sync.merge import FieldConflict, three_way
from backend.sync.registry import declare, insert_synced, owned_by, when_closed
from backend.validation import Choice, Day, Instant, Integer, Number, Text, Uuid, UuidList, validate
from backend.versioning import set_fields, wire
from backend.visits import evidence, photos
from backend.visits.evidence import distance_m
from backend.visits.models import OUTCOMES, Amendment, PeriodLock, Visit
from backend.visits.schemas import AmendmentPublic, VisitPublic

VISIT_FIELDS = {
    "customer_id": Uuid(required=True, nullable=False),
    "opportunity_id": Uuid(),
    "check_in_at": Instant(required=True, nullable=False),
    "check_out_at": Instant(),
    "lat": Number(min=-90, max=90),
    "lon": Number(min=-180, max=180),
    "accuracy_m": Number(min=0, max=100_000),
    "check_out_lat": Number(min=-90, max=90),
    "check_out_lon": Number(min=-180, max=180),
    "check_out_accuracy_m": Number(min=0, max=100_000),
    "photos": UuidList(max_items=9),
    "purpose": Text(max_len=200),
    "outcome": Choice(choices=OUTCOMES),
    "satisfaction": Integer(min=1, max=5),
    "notes": Text(),
    "next_follow_up_on": Day(),
}
SERVER_FIELDS = (
    "rep_id",
    "status",
    "review_comment",
    "reviewed_by",
    "reviewed_at",
    "distance_m",
    "photos_arrived",
    "flags",
    "received_at",
)
TIME_FIELDS = ("check_in_at", "check_out_at")


class StaleReview(Conflict):
    """A review made on an older version than the visit's: the lead must look again."""

    code = "stale_review"


@dataclass(frozen=True)
class EditOutcome:
    applied: bool
    conflicts: list[FieldConflict]
    amendment: Amendment | None = None


@functools.cache
def _zone_of_offset(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def visit_public(visit: Visit) -> VisitPublic:
    # Times go back in the offset the phone sent: the rep's wall clock is part of the evidence.
    zone = _zone_of_offset(visit.check_in_offset_min)
    check_out_at = visit.check_out_at
    return VisitPublic(
        id=visit.id,
        rep_id=visit.rep_id,
        customer_id=visit.customer_id,
        opportunity_id=visit.opportunity_id,
        check_in_at=visit.check_in_at.astimezone(zone).isoformat(),
        check_out_at=None if check_out_at is None else check_out_at.astimezone(zone).isoformat(),
        lat=visit.lat,
        lon=visit.lon,
        accuracy_m=visit.accuracy_m,
        check_out_lat=visit.check_out_lat,
        check_out_lon=visit.check_out_lon,
        check_out_accuracy_m=visit.check_out_accuracy_m,
        photos=visit.photos,
        purpose=visit.purpose,
        outcome=visit.outcome,
        satisfaction=visit.satisfaction,
        notes=visit.notes,
        next_follow_up_on=wire(visit.next_follow_up_on),
        status=visit.status,
        review_comment=visit.review_comment,
        reviewed_by=visit.reviewed_by,
        reviewed_at=wire(visit.reviewed_at),
        distance_m=visit.distance_m,
        photos_arrived=visit.photos_arrived,
        flags=visit.flags,
        received_at=wire(visit.received_at),
        version=visit.version,
        updated_at=visit.updated_at.isoformat(),
    )


def amendment_public(amendment: Amendment) -> AmendmentPublic:
    return AmendmentPublic(
        id=amendment.id,
        visit_id=amendment.visit_id,
        fields=amendment.fields,
        proposed_by=amendment.proposed_by,
        status=amendment.status,
        decided_by=amendment.decided_by,
        decided_at=wire(amendment.decided_at),
        version=amendment.version,
        updated_at=amendment.updated_at.isoformat(),
    )


def get_visit(session: Session, actor: Actor, visit_id: str) -> Visit:
    return get_owned(session, actor, Visit, visit_id, Visit.rep_id)


def get_amendment(session: Session, actor: Actor, amendment_id: str) -> Amendment:
    return get_owned(session, actor, Amendment, amendment_id, Amendment.proposed_by)


def _distance_to(customer: Customer | None, lat: float | None, lon: float | None) -> float | None:
    """How far a check-in at (lat, lon) was from the customer, when both positions are known."""
    if customer is None or None in (lat, lon, customer.lat, customer.lon):
        return None
    return distance_m(lat, lon, customer.lat, customer.lon)  # type: ignore[arg-type]


def _refresh_distance(session: Session, visit: Visit) -> None:
    visit.distance_m = _distance_to(session.get(Customer, visit.customer_id), visit.lat, visit.lon)


def _own_flags(session: Session, rep_id: str, customer: Customer | None, distance: Any, accuracy: Any) -> set[str]:
    radius = evidence.radius_for(session, rep_id, customer) if customer is not None else 0
    return evidence.own_flags(distance, accuracy, radius, evidence.rules_of(session))


def _refresh_evidence(session: Session, visit: Visit, moved_from: datetime, now: datetime) -> None:
    """After an edit of the visit's position, accuracy, customer or time (its version already raised): its
    distance and flags, and the flags of the rep's check-ins it left or joined."""
    _refresh_distance(session, visit)
    customer = session.get(Customer, visit.customer_id)
    visit.flags = evidence.in_order(
        _own_flags(session, visit.rep_id, customer, visit.distance_m, visit.accuracy_m)
    )
    evidence.refresh_around(
        session, visit.rep_id, {moved_from, visit.check_in_at}, now, settled=frozenset({visit.id})
    )


# What an edit must change for the visit's evidence to be judged again.
EVIDENCE_FIELDS = frozenset({"customer_id", "check_in_at", "lat", "lon", "accuracy_m"})


def customer_moved(session: Session, customer: Customer, now: datetime) -> None:
    """[customers] The customer's position or radius changed: its visits' distance and `far` follow, each
    visit that changes getting a new version (its status untouched)."""
    live = select(Visit).where(Visit.customer_id == customer.id, col(Visit.deleted_at).is_(None))
    for visit in session.scalars(live):
        distance = _distance_to(customer, visit.lat, visit.lon)
        own = _own_flags(session, visit.rep_id, customer, distance, visit.accuracy_m)
        flags = evidence.in_order(own | (set(visit.flags or ()) & evidence.BETWEEN))
        if (distance, flags) != (visit.distance_m, visit.flags):
            visit.distance_m, visit.flags = distance, flags
            visit.version += 1
            visit.updated_at = now


def approved_position(session: Session, actor: Actor, visit_id: str, customer_id: str) -> tuple[float, float]:
    """[customers] Where an approved check-in at the customer was: the position a lead may give a customer
    that has none. Each reason a visit cannot give it is refused on `visit_id`."""
    visit = get_referenced(session, actor, Visit, visit_id, Visit.rep_id, "visit_id")
    if visit.customer_id != customer_id:
        raise InvalidInput.one("visit_id", "visit_of_other_customer")
    if visit.status != "approved":
        raise InvalidInput.one("visit_id", "visit_not_approved", state=visit.status)
    if visit.lat is None or visit.lon is None:
        raise InvalidInput.one("visit_id", "visit_without_position")
    return visit.lat, visit.lon


def locked_period(session: Session, rep_id: str, moment: datetime) -> str | None:
    """The closed period (of the rep's unit or any above it) that contains this moment, if any."""
    zone, periods = _locks_of(session, rep_id)
    day = moment.astimezone(zone).date()
    return next((period.key for period in periods if period.contains_day(day)), None)


def _locks_of(session: Session, rep_id: str) -> tuple[ZoneInfo, list[Period]]:
    """The rep's zone and the closed periods above them, read once per session: a sync batch asks for
    every visit, and periods are closed by other requests."""
    cache: dict[str, tuple[ZoneInfo, list[Period]]] = session.info.setdefault("fieldgoal.period_locks", {})
    if rep_id not in cache:
        row = session.execute(
            select(Unit.path, Unit.timezone).join(User, col(User.unit_id) == Unit.id).where(User.id == rep_id)
        ).first()
        if row is None:
            return ZoneInfo("UTC"), []
        path, timezone = row
        ancestors = [part for part in path.split("/") if part]
        periods = []
        # a unit's lock covers everyone below it; a rep's lock (a closed review) covers that rep only.
        applies = or_(
            and_(col(PeriodLock.rep_id).is_(None), col(PeriodLock.unit_id).in_(ancestors)),
            col(PeriodLock.rep_id) == rep_id,
        )
        for period_key in session.scalars(select(PeriodLock.period).where(applies)):
            try:
                periods.append(parse_period(period_key))
            except InvalidPeriod:
                continue
        cache[rep_id] = (ZoneInfo(timezone), periods)
    return cache[rep_id]


def lock_period_for_rep(session: Session, rep_id: str, unit_id: str, period: str, locked_by: str) -> PeriodLock:
    """[coaching] Close `period` for one rep (their review was closed): their visits in it become read-only."""
    lock = PeriodLock(rep_id=rep_id, unit_id=unit_id, period=period, locked_by=locked_by)
    session.add(lock)
    session.flush()
    # The locks are read once per session (`_locks_of`): forget this rep's, so the rest of the request sees it.
    session.info.get("fieldgoal.period_locks", {}).pop(rep_id, None)
    return lock


def _refuse_if_locked(session: Session, visit_rep: str, moment: datetime) -> None:
    period = locked_period(session, visit_rep, moment)
    if period:
        raise InvalidInput.one("check_in_at", "period_locked", period=period)


def _refuse_check_out_before_check_in(
    check_in_at: datetime | None, check_out_at: datetime | None, sent: Any, prefix: str = ""
) -> None:
    """A visit ends after it starts: a check-out before the check-in (a typo, a phone clock moved) would
    give the visit a negative duration. The error names whichever of the two times the client sent."""
    if check_in_at is None or check_out_at is None or check_out_at >= check_in_at:
        return
    if "check_out_at" in sent:
        raise InvalidInput.one(f"{prefix}check_out_at", "before_check_in")
    raise InvalidInput.one(f"{prefix}check_in_at", "after_check_out")


def _offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


# Every column a new visit's row names, so that a run of rows is one INSERT however many fields each sent.
_NEW_VISIT: dict[str, Any] = {
    **dict.fromkeys(VISIT_FIELDS),
    **dict.fromkeys(SERVER_FIELDS),
    "status": "draft",
    "version": 1,
    "deleted_at": None,
}


def new_visit_row(
    session: Session, actor: Actor, visit_id: str, values: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """A new draft visit by the actor as a row, checked (its references in the actor's scope, its period
    open) but not yet written: a sync batch checks a run of them, then writes them in one statement."""
    customer = get_referenced(session, actor, Customer, values["customer_id"], Customer.owner_id, "customer_id")
    if values.get("opportunity_id"):
        get_referenced(
            session, actor, Opportunity, values["opportunity_id"], Opportunity.owner_id, "opportunity_id"
        )
    _refuse_if_locked(session, actor.id, values["check_in_at"])
    _refuse_check_out_before_check_in(values["check_in_at"], values.get("check_out_at"), values)
    # Photos listed again (dropped by another of the rep's visits) may have arrived already.
    photos_arrived = photos.check_listing(session, actor.id, visit_id, values.get("photos"))
    row = {
        **_NEW_VISIT,
        **values,
        "id": visit_id,
        "rep_id": actor.id,
        "received_at": now,
        "created_at": now,
        "updated_at": now,
        "check_in_offset_min": _offset_minutes(values["check_in_at"]),
        "photos_arrived": photos_arrived,
        "field_versions": {name: [1, actor.id] for name in values},
    }
    row["distance_m"] = _distance_to(customer, row["lat"], row["lon"])
    # Its own flags now; those between check-ins when the run it arrives in is written (`insert_visits`).
    row["flags"] = evidence.in_order(_own_flags(session, actor.id, customer, row["distance_m"], row["accuracy_m"]))
    return row


def submit_row(row: dict[str, Any]) -> None:
    """`submit` on a new visit's row before it is written: what `submit` does to the actor's own draft,
    whose period `new_visit_row` found open."""
    if row["status"] == "draft":
        row["status"] = "submitted"
        row["version"] += 1


def insert_visits(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write new visits' rows (from `new_visit_row`) in one statement, their changes captured for phones;
    their flags between check-ins, and their stored neighbours', are settled first, one query per rep."""
    by_rep: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_rep.setdefault(row["rep_id"], []).append(row)
    for rep_id, arriving in by_rep.items():
        moments = [row["check_in_at"] for row in arriving if row["lat"] is not None and row["lon"] is not None]
        evidence.refresh_around(session, rep_id, moments, arriving[0]["updated_at"], arriving)
    insert_synced(session, Visit, rows)
    photos.follow_new_visits(session, rows)  # the rows of the photos they list, which name the visits


def create_visit(session: Session, actor: Actor, visit_id: str, values: dict[str, Any], now: datetime) -> Visit:
    """A new draft visit by the actor, written and loaded."""
    insert_visits(session, [new_visit_row(session, actor, visit_id, values, now)])
    return session.get_one(Visit, visit_id)


def edit_visit(
    session: Session, actor: Actor, visit: Visit, values: dict[str, Any], base_version: int, now: datetime
) -> EditOutcome:
    """The rep's edit, merged field by field; on an approved visit, an amendment for the lead instead."""
    if visit.rep_id != actor.id:
        raise Forbidden()
    _refuse_if_locked(session, visit.rep_id, visit.check_in_at)
    if "check_in_at" in values:
        _refuse_if_locked(session, visit.rep_id, values["check_in_at"])
    if "customer_id" in values:
        get_referenced(session, actor, Customer, values["customer_id"], Customer.owner_id, "customer_id")
    if values.get("opportunity_id"):
        get_referenced(
            session, actor, Opportunity, values["opportunity_id"], Opportunity.owner_id, "opportunity_id"
        )
    if "photos" in values:  # refused before anything changes, amendment or not
        photos.check_listing(session, visit.rep_id, visit.id, values["photos"])
    if visit.status == "approved":
        changed = {k: v for k, v in values.items() if getattr(visit, k) != v}
        _refuse_check_out_before_check_in(
            changed.get("check_in_at", visit.check_in_at), changed.get("check_out_at", visit.check_out_at), changed
        )
        conflicts = [
            FieldConflict(k, wire(v), wire(getattr(visit, k)), "theirs", "approved_is_locked", visit.reviewed_by)
            for k, v in changed.items()
        ]
        amendment = propose_amendment(session, actor, visit, changed, now) if changed else None
        return EditOutcome(False, conflicts, amendment)
    outcome = three_way("visit", visit.status, visit, values, base_version)
    # Judged on what would be stored: a field the merge kept as the server had it still counts.
    _refuse_check_out_before_check_in(
        outcome.apply.get("check_in_at", visit.check_in_at),
        outcome.apply.get("check_out_at", visit.check_out_at),
        values,
    )
    if "check_in_at" in outcome.apply:
        visit.check_in_offset_min = _offset_minutes(outcome.apply["check_in_at"])
    moved_from, listed_before = visit.check_in_at, visit.photos
    edited = set_fields(visit, outcome.apply, actor.id, now)
    if "photos" in edited:
        photos.follow_visit(session, visit, listed_before, now)
    if EVIDENCE_FIELDS.intersection(edited):
        _refresh_evidence(session, visit, moved_from, now)
    return EditOutcome(outcome.wholly_applied, outcome.conflicts)


def propose_amendment(
    session: Session, actor: Actor, visit: Visit, changed: dict[str, Any], now: datetime
) -> Amendment:
    amendment = Amendment(
        visit_id=visit.id,
        fields={k: wire(v) for k, v in changed.items()},
        proposed_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(amendment)
    session.flush()
    customer = session.get(Customer, visit.customer_id)
    for lead in _reviewers_of(session, visit.rep_id):
        notify(
            session,
            lead,
            "amendment_requested",
            f"amendment:{amendment.id}",
            {"rep": actor.name, "customer": customer.name if customer else ""},
            now,
            {"url": "/#/approvals", "amendment_id": amendment.id},
        )
    return amendment


def _reviewers_of(session: Session, rep_id: str) -> list[User]:
    """The leads of the rep's team (or, where a team has none, nobody: managers see it in their queue)."""
    rep = session.get(User, rep_id)
    if rep is None:
        return []
    return list(
        session.scalars(select(User).where(User.unit_id == rep.unit_id, User.role == "lead", User.id != rep_id))
    )


def delete_visit(session: Session, actor: Actor, visit: Visit, now: datetime) -> None:
    if visit.rep_id != actor.id:
        raise Forbidden()
    if visit.status != "draft":
        raise InvalidInput.one("status", "invalid_state", state=visit.status)
    visit.deleted_at = now
    photos.unlist_all(session, visit, now)
    visit.version += 1
    visit.updated_at = now
    # Its neighbours' flags between check-ins may have been about it.
    evidence.refresh_around(session, visit.rep_id, [visit.check_in_at], now)


def submit(session: Session, actor: Actor, visit: Visit, now: datetime) -> None:
    if visit.rep_id != actor.id:
        raise Forbidden()
    _refuse_if_locked(session, visit.rep_id, visit.check_in_at)
    if visit.status == "submitted":
        return  # submitting twice is the same as once
    if visit.status not in ("draft", "rejected"):
        raise InvalidInput.one("status", "invalid_state", state=visit.status)
    _set_status(session, visit, "submitted", now)


def _set_status(session: Session, visit: Visit, status: str, now: datetime) -> None:
    visit.status = status
    visit.version += 1
    visit.updated_at = now


def _require_reviewer(session: Session, actor: Actor, rep_id: str) -> None:
    """Leads, managers and admins review the visits of people they manage, never their own."""
    if not actor.manages_people or rep_id == actor.id:
        raise Forbidden()
    managed = session.scalars(
        select(User.id).join(Unit, col(Unit.id) == User.unit_id).where(User.id == rep_id, managed_units(actor))
    ).first()
    if managed is None:
        raise Forbidden()


def review(
    session: Session,
    actor: Actor,
    visit: Visit,
    approve: bool,
    comment: str | None,
    base_version: int | None,
    now: datetime,
) -> None:
    """Approve or reject a submitted visit; a review of an older version than the current is stale."""
    _require_reviewer(session, actor, visit.rep_id)
    _refuse_if_locked(session, visit.rep_id, visit.check_in_at)
    if base_version is not None and base_version < visit.version:
        raise StaleReview()
    if visit.status != "submitted":
        raise InvalidInput.one("status", "invalid_state", state=visit.status)
    if not approve and not comment:
        raise InvalidInput.one("args.comment", "required")
    before = {"status": visit.status}
    visit.review_comment = comment
    visit.reviewed_by = actor.id
    visit.reviewed_at = now
    was_approved = visit.status == "approved"
    _set_status(session, visit, "approved" if approve else "rejected", now)
    if approve or was_approved:  # only approved visits count: progress follows in this transaction
        kpi.visit_changed(session, visit, now)
    record_audit(
        session,
        actor.id,
        "visit.approve" if approve else "visit.reject",
        "visit",
        visit.id,
        before,
        {"status": visit.status, "comment": comment},
    )
    _tell_rep(
        session,
        visit.rep_id,
        visit,
        "visit_approved" if approve else "visit_rejected",
        f"review:{visit.id}:{visit.version}",
        now,
        comment=comment or "",
    )


def _tell_rep(
    session: Session, rep_id: str, visit: Visit, kind: str, dedupe_key: str, now: datetime, **params: str
) -> None:
    """A notification about this visit in the rep's inbox, linking to it."""
    rep = session.get(User, rep_id)
    if rep is None:
        return
    customer = session.get(Customer, visit.customer_id)
    params = {"customer": customer.name if customer else "", **params}
    notify(session, rep, kind, dedupe_key, params, now, {"url": f"/#/visit/{visit.id}", "visit_id": visit.id})


def decide_amendment(session: Session, actor: Actor, amendment: Amendment, accept: bool, now: datetime) -> None:
    """The lead's decision: accepting applies the change (and records it in the audit trail)."""
    visit = session.get(Visit, amendment.visit_id)
    if visit is None:
        raise NotFound()
    _require_reviewer(session, actor, visit.rep_id)
    if amendment.status != "pending":
        raise InvalidInput.one("status", "invalid_state", state=amendment.status)
    if accept:
        _refuse_if_locked(session, visit.rep_id, visit.check_in_at)
        values = _amendment_values(amendment.fields)
        # Another amendment accepted since may have moved the other time of the visit.
        _refuse_check_out_before_check_in(
            values.get("check_in_at", visit.check_in_at),
            values.get("check_out_at", visit.check_out_at),
            values,
            prefix="fields.",
        )
        before = {k: wire(getattr(visit, k)) for k in values}
        previous_check_in_at = visit.check_in_at  # the amendment may move the visit to another day
        listed_before = visit.photos
        if "photos" in values:  # a photo another visit listed since the proposal
            photos.check_listing(session, visit.rep_id, visit.id, values["photos"], field="fields.photos")
        if "check_in_at" in values:
            visit.check_in_offset_min = _offset_minutes(values["check_in_at"])
        edited = set_fields(visit, values, amendment.proposed_by, now)
        if "photos" in edited:
            photos.follow_visit(session, visit, listed_before, now)
        if EVIDENCE_FIELDS.intersection(edited):
            _refresh_evidence(session, visit, previous_check_in_at, now)
        else:
            _refresh_distance(session, visit)
        if visit.status == "approved":  # an accepted amendment changes counted figures
            kpi.visit_changed(session, visit, now, previous_check_in_at)
        record_audit(session, actor.id, "amendment.accept", "visit", visit.id, before, amendment.fields)
    else:
        record_audit(session, actor.id, "amendment.refuse", "visit", visit.id, {}, amendment.fields)
    amendment.status = "accepted" if accept else "refused"
    amendment.decided_by = actor.id
    amendment.decided_at = now
    amendment.version += 1
    amendment.updated_at = now
    kind = "amendment_accepted" if accept else "amendment_refused"
    _tell_rep(session, amendment.proposed_by, visit, kind, f"amendment-decided:{amendment.id}", now)


def _amendment_values(fields: dict[str, Any]) -> dict[str, Any]:
    """The stored (wire-form) proposal back into typed values, validated like a fresh edit."""
    try:
        return validate(fields, VISIT_FIELDS, partial=True)
    except InvalidInput as exc:  # a proposal that no longer validates (a rule changed since)
        raise InvalidInput(errors=[FieldError(f"fields.{e.field}", e.code, e.params) for e in exc.errors]) from exc


# What waits for a decision (a submitted visit, a pending amendment) is held whatever its age (rule 9).
declare(
    "visit",
    Visit,
    visit_public,
    owned_by("rep_id"),
    ages=when_closed("check_in_at", lambda visit: visit.status == "submitted"),
)
declare(
    "amendment",
    Amendment,
    amendment_public,
    owned_by("proposed_by"),
    ages=when_closed("decided_at", lambda amendment: amendment.status == "pending"),
)
