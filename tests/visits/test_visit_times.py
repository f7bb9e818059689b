"""A visit ends after it starts: a check-out before the check-in is refused, by sync and by amendment,
naming the time the phone sent, and nothing is stored."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.org.models import User
from backend.visits.models import Amendment, Visit
from tests.sync.helpers import Phone

CHECK_IN = "2026-11-20T09:30:00+08:00"
EARLIER = "2026-11-20T09:29:59+08:00"
LATER = "2026-11-20T09:45:00+08:00"


def _phone(sign_in: Any, who: str) -> Phone:
    return Phone(sign_in(f"{who}@example.com"))


def _customer(p: Phone) -> str:
    customer_id = str(uuid.uuid4())
    p.queue_mutation("customer", "create", customer_id, fields={"name": "华东五金", "lat": 31.23, "lon": 121.47})
    return customer_id


def _visit(p: Phone, customer_id: str, **times: str) -> str:
    visit_id = str(uuid.uuid4())
    p.queue_mutation(
        "visit", "create", visit_id, fields={"customer_id": customer_id, "check_in_at": CHECK_IN} | times
    )
    return visit_id


def _stored_visit(engine: Any, visit_id: str) -> Visit | None:
    with Session(engine) as session:
        return session.get(Visit, visit_id)


def test_a_new_visit_that_checks_out_before_it_checks_in_is_rejected(org, sign_in, engine):
    rep = _phone(sign_in, "rep1")
    customer_id = _customer(rep)
    bad = _visit(rep, customer_id, check_out_at=EARLIER)
    rep.sync()
    assert rep.result(2)["status"] == "rejected"
    assert rep.result(2)["errors"] == [
        {"field": "check_out_at", "code": "before_check_in", "message": "must not be before the check-in time"}
    ]
    assert _stored_visit(engine, bad) is None


def test_check_out_at_the_check_in_time_or_later_is_kept(org, sign_in, engine):
    rep = _phone(sign_in, "rep1")
    customer_id = _customer(rep)
    same = _visit(rep, customer_id, check_out_at=CHECK_IN)
    later = _visit(rep, customer_id, check_out_at=LATER)
    rep.sync()
    assert [rep.result(mid)["status"] for mid in (2, 3)] == ["applied", "applied"]
    assert _stored_visit(engine, same) is not None and _stored_visit(engine, later) is not None


def test_an_edit_is_judged_against_the_stored_other_time_and_changes_nothing(org, sign_in, engine):
    rep = _phone(sign_in, "rep1")
    visit_id = _visit(rep, _customer(rep), check_out_at=LATER)
    rep.sync()
    before = _stored_visit(engine, visit_id)
    assert before is not None

    rep.queue_mutation("visit", "update", visit_id, base_version=1, fields={"check_out_at": EARLIER})
    # The check-in moved past the stored check-out: the error names the field that was sent.
    rep.queue_mutation(
        "visit", "update", visit_id, base_version=1, fields={"check_in_at": "2026-11-20T10:00:00+08:00"}
    )
    rep.sync()
    assert rep.result(3)["errors"] == [
        {"field": "check_out_at", "code": "before_check_in", "message": "must not be before the check-in time"}
    ]
    assert rep.result(4)["errors"] == [
        {"field": "check_in_at", "code": "after_check_out", "message": "must not be after the check-out time"}
    ]
    after = _stored_visit(engine, visit_id)
    assert after is not None
    assert (after.version, after.check_in_at, after.check_out_at) == (
        before.version,
        before.check_in_at,
        before.check_out_at,
    )


def test_the_refusal_speaks_the_reps_language(org, sign_in, engine):
    with Session(engine) as session:
        session.execute(update(User).where(User.id == org.user("rep2")).values(locale="zh-CN"))
        session.commit()
    rep = _phone(sign_in, "rep2")
    _visit(rep, _customer(rep), check_out_at=EARLIER)
    rep.sync()
    assert rep.result(2)["errors"] == [
        {"field": "check_out_at", "code": "before_check_in", "message": "不能早于签到时间"}
    ]


def test_an_amendment_to_an_approved_visit_that_checks_out_too_early_is_rejected(org, sign_in, engine):
    rep = _phone(sign_in, "rep1")
    visit_id = _visit(rep, _customer(rep), check_out_at=LATER)
    rep.queue_mutation("visit", "action", visit_id, name="submit", args={})
    rep.sync()
    lead = _phone(sign_in, "lead1")
    lead.queue_mutation("visit", "action", visit_id, name="approve", base_version=2, args={})
    lead.sync()
    assert lead.result(1)["status"] == "applied"

    rep.queue_mutation("visit", "update", visit_id, base_version=3, fields={"check_out_at": EARLIER})
    rep.sync()
    assert rep.result(4)["status"] == "rejected"
    assert rep.result(4)["errors"][0]["field"] == "check_out_at"
    assert rep.result(4)["errors"][0]["code"] == "before_check_in"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Amendment)) == 0


def test_accepting_an_amendment_that_no_longer_fits_the_visit_is_refused(org, sign_in, engine):
    """Two amendments, each fine alone: once the first moves the check-out, the second's check-in is late."""
    rep = _phone(sign_in, "rep1")
    visit_id = _visit(rep, _customer(rep), check_out_at=LATER)
    rep.queue_mutation("visit", "action", visit_id, name="submit", args={})
    rep.sync()
    lead = _phone(sign_in, "lead1")
    lead.queue_mutation("visit", "action", visit_id, name="approve", base_version=2, args={})
    lead.sync()
    rep.queue_mutation(
        "visit", "update", visit_id, base_version=3, fields={"check_out_at": "2026-11-20T09:35:00+08:00"}
    )
    rep.queue_mutation(
        "visit", "update", visit_id, base_version=3, fields={"check_in_at": "2026-11-20T09:40:00+08:00"}
    )
    rep.sync()
    earlier_out, later_in = rep.result(4)["amendment_id"], rep.result(5)["amendment_id"]

    lead.queue_mutation("amendment", "action", earlier_out, name="accept", args={})
    lead.queue_mutation("amendment", "action", later_in, name="accept", args={})
    lead.sync()
    assert lead.result(2)["status"] == "applied"
    assert lead.result(3)["status"] == "rejected"
    assert lead.result(3)["errors"] == [
        {
            "field": "fields.check_in_at",
            "code": "after_check_out",
            "message": "must not be after the check-out time",
        }
    ]
    with Session(engine) as session:
        assert session.get_one(Amendment, later_in).status == "pending"
        visit = session.get_one(Visit, visit_id)
        assert visit.check_in_at.isoformat() == "2026-11-20T01:30:00+00:00"
