"""The names an audit entry is read by: who acted, whom or what the record concerns, and the visit's day.

Looked up for a page of entries at once (one query per kind of record), so that the trail reads as sentences
("李娜 批准了 王强 12月3日 拜访 华联超市") without the reader's phone holding every user, customer or goal.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from backend.audit.models import AuditEntry
from backend.audit.schemas import AuditEntryPublic
from backend.coaching.models import ImprovementPlan, Review
from backend.customers.models import Customer
from backend.db import rows_by_id
from backend.goals.models import Goal
from backend.org.models import Unit, User
from backend.rewards.models import CommissionPlan
from backend.versioning import wire
from backend.visits.models import Visit


def audit_named(session: Session, entries: list[AuditEntry]) -> list[AuditEntryPublic]:
    """The entries as the wire has them, each with the names it is read by."""
    records: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        records[entry.entity].add(entry.record_id)
    visits = rows_by_id(session, Visit, records["visit"])
    goals = rows_by_id(session, Goal, records["goal"])
    reviews = rows_by_id(session, Review, records["review"])
    plans = rows_by_id(session, ImprovementPlan, records["plan"])
    commission_plans = rows_by_id(session, CommissionPlan, records["commission_plan"])
    customers = rows_by_id(session, Customer, records["customer"] | {v.customer_id for v in visits.values()})
    user_ids = {e.actor_id for e in entries} | records["user"]
    user_ids |= {v.rep_id for v in visits.values()} | {r.rep_id for r in reviews.values()}
    user_ids |= {p.rep_id for p in plans.values()}
    user_ids |= {g.subject_id for g in goals.values() if g.subject_type == "user"}
    users = rows_by_id(session, User, user_ids)
    units = rows_by_id(session, Unit, {g.subject_id for g in goals.values() if g.subject_type == "unit"})

    def name_of(table: dict[str, Any], key: str | None) -> str | None:
        row = table.get(key) if key else None
        return row.name if row is not None else None

    named = []
    for entry in entries:
        subject = record = at = metric = None
        if entry.entity == "visit" and entry.record_id in visits:
            found = visits[entry.record_id]
            subject, record, at = (
                name_of(users, found.rep_id),
                name_of(customers, found.customer_id),
                found.check_in_at,
            )
        elif entry.entity == "goal" and entry.record_id in goals:
            goal = goals[entry.record_id]
            subject = name_of(users if goal.subject_type == "user" else units, goal.subject_id)
            record, metric = goal.period, goal.metric
        elif entry.entity in ("review", "plan"):
            row = (reviews if entry.entity == "review" else plans).get(entry.record_id)
            subject = name_of(users, row.rep_id) if row is not None else None
            record = getattr(row, "period", None) if entry.entity == "review" else None
        elif entry.entity == "user":
            subject = name_of(users, entry.record_id)
        elif entry.entity == "customer":
            record = name_of(customers, entry.record_id)
        elif entry.entity == "commission_plan":
            record = name_of(commission_plans, entry.record_id)
        named.append(
            AuditEntryPublic(
                id=entry.id,
                actor_id=entry.actor_id,
                action=entry.action,
                entity=entry.entity,
                record_id=entry.record_id,
                before=entry.before,
                after=entry.after,
                at=wire(entry.at),
                actor_name=name_of(users, entry.actor_id) or "",
                subject_name=subject,
                record_name=record,
                record_at=wire(at) if at is not None else None,
                metric=metric,
            )
        )
    return named
