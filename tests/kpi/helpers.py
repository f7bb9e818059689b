"""Building field work through the real services, so the KPI hooks run exactly as in production."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from backend.customers.service import add_customer
from backend.goals.service import create_goal
from backend.opportunities.service import advance, create_opportunity
from backend.org.models import Unit, User
from backend.policy import Actor, actor_for
from backend.visits.service import create_visit, review, submit


def actor(session: Session, user_id: str) -> Actor:
    user = session.get(User, user_id)
    assert user is not None
    unit = session.get(Unit, user.unit_id)
    assert unit is not None
    return actor_for(user, unit)


def customer(session: Session, rep: Actor, now: datetime, name: str = "华东五金") -> str:
    return add_customer(session, rep, str(uuid.uuid4()), {"name": name}, now).id


def visit(
    session: Session,
    rep: Actor,
    lead: Actor,
    customer_id: str,
    at: str,
    satisfaction: int | None,
    now: datetime,
    approve: bool | None = True,
) -> str:
    """A visit checked in at `at` (RFC 3339), submitted, and approved (or rejected, or left waiting: None)."""
    values: dict[str, Any] = {"customer_id": customer_id, "check_in_at": datetime.fromisoformat(at)}
    if satisfaction is not None:
        values["satisfaction"] = satisfaction
    record = create_visit(session, rep, str(uuid.uuid4()), values, now)
    submit(session, rep, record, now)
    if approve is not None:
        review(session, lead, record, approve, None if approve else "no evidence", None, now)
    return record.id


def deal(
    session: Session,
    rep: Actor,
    customer_id: str,
    amount: str,
    stage: str,
    at: str,
    now: datetime,
    reason: str | None = None,
    through: tuple[tuple[str, str], ...] = (),
) -> str:
    """An opportunity of `amount` moved to `stage` (won or lost) at `at`, for `reason`, after the moves
    `through` ((stage, at), …)."""
    record = create_opportunity(
        session, rep, str(uuid.uuid4()), {"customer_id": customer_id, "amount": Decimal(amount)}, now
    )
    for step, step_at in through:
        advance(session, rep, record, step, datetime.fromisoformat(step_at), now)
    advance(session, rep, record, stage, datetime.fromisoformat(at), now, reason)
    return record.id


def goal(
    session: Session,
    manager: Actor,
    subject: tuple[str, str],
    metric: str,
    period: str,
    target: str,
    now: datetime,
    parent_id: str | None = None,
) -> str:
    data = {
        "subject_type": subject[0],
        "subject_id": subject[1],
        "metric": metric,
        "period": period,
        "target": target,
    }
    if parent_id:
        data["parent_id"] = parent_id
    return create_goal(session, manager, data, now).id
