"""SYNC.md rule 6: the visit lifecycle, amendments for approved visits, stale reviews, locked periods."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEntry
from backend.visits.models import PeriodLock
from tests.sync.conftest import customer_and_visit


def _approved_visit(phone):
    rep, lead = phone("rep1"), phone("lead1")
    _, visit_id = customer_and_visit(rep, submit=True)
    rep.sync()
    lead.sync()
    lead.queue_mutation(
        "visit", "action", visit_id, name="approve", base_version=lead.versions[("visit", visit_id)]
    )
    assert lead.send()["results"][0]["status"] == "applied"
    rep.sync()
    return rep, lead, visit_id


def test_created_as_draft_then_submitted_then_approved(org, phone):
    rep, _, visit_id = _approved_visit(phone)
    visit = rep.of("visit")[visit_id]
    assert (visit["status"], visit["reviewed_by"]) == ("approved", org.user("lead1"))
    titles = [n["title"] for n in rep.of("notification").values()]
    assert titles == ["Visit approved"]


def test_rep_edit_to_approved_visit_becomes_amendment(org, phone, engine):
    rep, lead, visit_id = _approved_visit(phone)
    base = rep.versions[("visit", visit_id)]
    rep.queue_mutation("visit", "update", visit_id, base_version=base, fields={"satisfaction": 5})
    result = rep.send()["results"][0]
    assert result["status"] == "conflict"
    assert result["conflicts"] == [
        {"field": "satisfaction", "yours": 5, "theirs": 4, "kept": "theirs", "rule": "approved_is_locked"}
    ]
    amendment_id = result["amendment_id"]
    rep.sync()
    assert rep.of("visit")[visit_id]["satisfaction"] == 4  # not applied
    lead.sync()
    assert lead.of("amendment")[amendment_id]["fields"] == {"satisfaction": 5}
    assert [n["title"] for n in lead.of("notification").values()] == ["Amendment to decide"]
    lead.queue_mutation("amendment", "action", amendment_id, name="accept", args={})
    assert lead.send()["results"][0]["status"] == "applied"
    rep.sync()
    assert rep.of("visit")[visit_id]["satisfaction"] == 5
    assert rep.of("amendment")[amendment_id]["status"] == "accepted"
    with Session(engine) as session:
        trail = session.scalars(select(AuditEntry).where(AuditEntry.action == "amendment.accept")).one()
    assert (trail.actor_id, trail.before, trail.after) == (
        org.user("lead1"),
        {"satisfaction": 4},
        {"satisfaction": 5},
    )


def test_a_refused_amendment_notifies_the_rep_and_changes_nothing(org, phone):
    rep, lead, visit_id = _approved_visit(phone)
    rep.queue_mutation(
        "visit", "update", visit_id, base_version=rep.versions[("visit", visit_id)], fields={"notes": "new"}
    )
    amendment_id = rep.send()["results"][0]["amendment_id"]
    lead.sync()
    lead.queue_mutation("amendment", "action", amendment_id, name="refuse", args={})
    lead.send()
    rep.sync()
    assert rep.of("visit")[visit_id]["notes"] == "初次拜访"
    assert "Amendment refused" in {n["title"] for n in rep.of("notification").values()}
    # Deciding twice is refused: the amendment is no longer pending.
    lead.queue_mutation("amendment", "action", amendment_id, name="accept", args={})
    assert lead.send()["results"][0]["errors"][0]["code"] == "invalid_state"


def test_an_approval_of_an_older_version_is_a_stale_review(org, phone):
    rep, lead = phone("rep1"), phone("lead1")
    _, visit_id = customer_and_visit(rep, submit=True)
    rep.sync()
    lead.sync()
    seen = lead.versions[("visit", visit_id)]
    rep.queue_mutation(
        "visit", "update", visit_id, base_version=rep.versions[("visit", visit_id)], fields={"notes": "补充"}
    )
    rep.send()
    lead.queue_mutation("visit", "action", visit_id, name="approve", base_version=seen)
    result = lead.send()["results"][0]
    assert result["status"] == "conflict"
    assert result["conflicts"][0]["rule"] == "stale_review"
    lead.sync()
    assert lead.of("visit")[visit_id]["status"] == "submitted"  # the lead must look again


def test_rep_may_not_approve_and_lead_of_another_team_cannot_see(org, phone):
    rep = phone("rep1")
    _, visit_id = customer_and_visit(rep, submit=True)
    rep.queue_mutation("visit", "action", visit_id, name="approve", base_version=2)
    result = rep.send()["results"][-1]
    assert result["errors"][0]["code"] == "forbidden"
    stranger = phone("lead2")
    stranger.queue_mutation("visit", "action", visit_id, name="approve", base_version=2)
    assert stranger.send()["results"][0]["errors"][0]["code"] == "not_found"


def test_reject_needs_a_comment_and_a_rejected_visit_can_be_fixed_and_resubmitted(org, phone):
    rep, lead = phone("rep1"), phone("lead1")
    _, visit_id = customer_and_visit(rep, submit=True)
    rep.sync()
    lead.sync()
    lead.queue_mutation("visit", "action", visit_id, name="reject", base_version=2, args={})
    assert lead.send()["results"][0]["errors"][0]["field"] == "args.comment"
    lead.queue_mutation("visit", "action", visit_id, name="reject", base_version=2, args={"comment": "缺少照片"})
    assert lead.send()["results"][0]["status"] == "applied"
    rep.sync()
    assert rep.of("visit")[visit_id]["review_comment"] == "缺少照片"
    rep.queue_mutation(
        "visit", "update", visit_id, base_version=rep.versions[("visit", visit_id)], fields={"notes": "补充"}
    )
    rep.queue_mutation("visit", "action", visit_id, name="submit", args={})
    assert [r["status"] for r in rep.send()["results"]] == ["applied", "applied"]
    rep.sync()
    assert rep.of("visit")[visit_id]["status"] == "submitted"


def test_only_a_draft_can_be_deleted(org, phone):
    rep = phone("rep1")
    _, draft = customer_and_visit(rep)
    rep.sync()
    rep.queue_mutation("visit", "delete", draft, base_version=1)
    assert rep.send()["results"][0]["status"] == "applied"
    _, submitted = customer_and_visit(rep, submit=True)
    rep.sync()
    rep.queue_mutation("visit", "delete", submitted, base_version=2)
    assert rep.send()["results"][0]["errors"][0]["code"] == "invalid_state"


def test_a_closed_period_makes_its_visits_read_only(org, phone, engine):
    rep = phone("rep1")
    _, visit_id = customer_and_visit(rep)
    rep.sync()
    with Session(engine) as session:
        session.add(PeriodLock(unit_id=org.unit("east"), period="2026-11", locked_by=org.user("eastmgr")))
        session.commit()
    rep.queue_mutation("visit", "update", visit_id, base_version=1, fields={"notes": "late"})
    rep.queue_mutation(
        "visit",
        "create",
        fields={"customer_id": next(iter(rep.of("customer"))), "check_in_at": "2026-11-19T10:00:00+08:00"},
    )
    rep.queue_mutation(
        "visit",
        "create",
        fields={"customer_id": next(iter(rep.of("customer"))), "check_in_at": "2026-10-31T23:30:00+08:00"},
    )
    results = rep.send()["results"]
    # 23:30 on 31 October in Shanghai is still October: that visit is outside the closed month.
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert [r["errors"][0]["code"] for r in results[:2]] == ["period_locked", "period_locked"]
