"""SYNC.md rule 8: tombstones, their retention, and `reset` when what a user may see changes."""

from __future__ import annotations

from datetime import timedelta

from backend.db import session_scope
from backend.sync.changelog import purge_tombstones
from tests.sync.conftest import customer_and_visit


def test_a_delete_reaches_other_phones_as_a_tombstone(org, phone):
    rep, lead = phone("rep1"), phone("lead1")
    _, visit_id = customer_and_visit(rep)
    rep.sync()
    lead.sync()
    assert visit_id in lead.of("visit")
    rep.queue_mutation("visit", "delete", visit_id, base_version=1)
    rep.sync()
    changes = lead.send()["changes"]
    assert {"entity": "visit", "id": visit_id, "version": 2, "deleted": True} in changes
    assert visit_id not in lead.of("visit")
    assert visit_id not in rep.of("visit")


def test_tombstones_are_kept_for_the_retention_then_an_older_cursor_resets(org, phone, engine, clock):
    rep, old_phone = phone("rep1"), phone("rep1")
    _, visit_id = customer_and_visit(rep)
    rep.sync()
    old_phone.sync()  # its cursor is from before the delete
    rep.queue_mutation("visit", "delete", visit_id, base_version=1)
    rep.sync()
    # The worker's housekeeping, 89 and then 91 days on (the phones' tokens would have expired by then).
    with session_scope(engine, lambda: clock.now + timedelta(days=89)) as session:
        assert purge_tombstones(session, 90) == 0
    with session_scope(engine, lambda: clock.now + timedelta(days=91)) as session:
        assert purge_tombstones(session, 90) == 1
    # The old phone never saw the delete, and the tombstone is gone: it must start over.
    body = old_phone.send()
    assert body["reset"] is True
    assert visit_id not in old_phone.of("visit")
    # A phone that already saw the delete carries on without a reset.
    assert rep.send()["reset"] is False


def test_a_rep_moved_to_another_team_takes_their_records_along(org, phone, sign_in):
    rep, old_lead, new_lead = phone("rep1"), phone("lead1"), phone("lead2")
    customer_id, visit_id = customer_and_visit(rep)
    rep.sync()
    old_lead.sync()
    new_lead.sync()
    assert visit_id in old_lead.of("visit") and visit_id not in new_lead.of("visit")
    teammate = phone("rep2")
    teammate.sync()
    assert org.user("rep1") in teammate.of("user")
    moved = sign_in("eastmgr@example.com").patch(
        f"/api/v1/users/{org.user('rep1')}", json={"unit_id": org.unit("team2")}
    )
    assert moved.status_code == 200
    for p in (rep, old_lead, new_lead, teammate):
        assert p.sync()[0]["reset"] is True
    assert visit_id not in old_lead.of("visit") and customer_id not in old_lead.of("customer")
    assert visit_id in new_lead.of("visit") and customer_id in new_lead.of("customer")
    assert org.user("rep1") not in teammate.of("user")
    assert org.user("rep3") in rep.of("user") and org.user("rep2") not in rep.of("user")
    # Someone far away from the move keeps their cursor.
    far = phone("rep4")
    far.sync()
    sign_in("eastmgr@example.com").patch(f"/api/v1/users/{org.user('rep1')}", json={"unit_id": org.unit("team1")})
    assert far.send()["reset"] is False


def test_an_unreadable_or_foreign_cursor_resets_instead_of_failing(org, phone):
    rep = phone("rep1")
    rep.sync()
    for cursor in ("garbage", "9.1", "0.99999999"):
        rep.cursor = cursor
        body = rep.send()
        assert body["reset"] is True
        assert org.user("rep1") in rep.of("user")
