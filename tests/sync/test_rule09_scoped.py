"""SYNC.md rule 9: each user pulls only what they may see; outside scope answers not_found."""

from __future__ import annotations

from tests.sync.conftest import customer_and_visit, new_id


def test_reps_pull_their_own_work_and_leads_their_teams(org, phone):
    rep1, rep2, rep3 = phone("rep1"), phone("rep2"), phone("rep3")
    c1, v1 = customer_and_visit(rep1, submit=True)
    c2, v2 = customer_and_visit(rep2)
    c3, v3 = customer_and_visit(rep3)
    for p in (rep1, rep2, rep3):
        p.sync()
    assert set(rep1.of("visit")) == {v1} and set(rep1.of("customer")) == {c1}
    assert set(rep2.of("visit")) == {v2}
    lead1, lead2, east, admin = phone("lead1"), phone("lead2"), phone("eastmgr"), phone("admin")
    for p in (lead1, lead2, east, admin):
        p.sync()
    assert set(lead1.of("visit")) == {v1, v2}
    assert set(lead2.of("visit")) == {v3}
    assert set(east.of("visit")) == {v1, v2, v3}
    assert set(admin.of("customer")) == {c1, c2, c3}


def test_the_directory_is_the_team_and_the_people_above(org, phone):
    rep = phone("rep1")
    rep.sync()
    names = {u["email"].split("@")[0] for u in rep.of("user").values()}
    assert names == {"rep1", "rep2", "lead1", "eastmgr", "boss", "admin"}
    units = {u["name"] for u in rep.of("unit").values()}
    assert units == {"company", "east", "team1"}


def test_notifications_reach_only_their_recipient(org, phone):
    rep, lead = phone("rep1"), phone("lead1")
    _, visit_id = customer_and_visit(rep, submit=True)
    rep.sync()
    lead.sync()
    lead.queue_mutation("visit", "action", visit_id, name="approve", base_version=2)
    lead.sync()
    rep.sync()
    assert len(rep.of("notification")) == 1
    assert lead.of("notification") == {}
    notification_id = next(iter(rep.of("notification")))
    lead.queue_mutation("notification", "action", notification_id, name="read", args={})
    assert lead.send()["results"][0]["errors"][0]["code"] == "not_found"
    rep.queue_mutation("notification", "action", notification_id, name="read", args={})
    rep.sync()
    assert rep.of("notification")[notification_id]["read_at"] is not None


def test_another_users_record_answers_exactly_like_a_missing_one(org, phone):
    owner, stranger = phone("rep1"), phone("rep4")
    customer_id, _ = customer_and_visit(owner)
    owner.sync()
    stranger.queue_mutation("customer", "update", customer_id, base_version=1, fields={"name": "mine"})
    stranger.queue_mutation("customer", "update", new_id(), base_version=1, fields={"name": "mine"})
    foreign, missing = stranger.send()["results"]
    assert foreign["errors"] == missing["errors"]
    assert foreign["errors"][0]["code"] == "not_found"
    # Nor can a visit be logged against someone else's customer.
    stranger.queue_mutation(
        "visit", "create", fields={"customer_id": customer_id, "check_in_at": "2026-11-20T10:00:00+08:00"}
    )
    result = stranger.send()["results"][0]
    assert (result["errors"][0]["field"], result["errors"][0]["code"]) == ("customer_id", "not_found")


def test_a_rep_whose_records_are_sparse_in_a_long_log_pulls_each_once_in_order(org, phone):
    """Pages are read in windows of positions that widen while the rep's records are sparse: with other
    teams' work between them, a page of one still brings every record once, in position order, the same
    as one large page."""
    rep, other = phone("rep1"), phone("rep3")
    mine = []
    for round_ in range(4):
        for i in range(15):
            other.queue_mutation("customer", "create", fields={"name": f"别人的客户 {round_}-{i}"})
        other.send()
        mine.append(rep.queue_mutation("customer", "create", fields={"name": f"我的客户 {round_}"})["id"])
        rep.send()
    small, large = phone("rep1"), phone("rep1")
    bodies = small.sync(limit=1)
    large.sync(limit=1000)
    pulled = [(c["entity"], c["id"]) for body in bodies for c in body["changes"]]
    assert len(pulled) == len(set(pulled))  # each record once
    assert small.replica == large.replica
    assert [i for kind, i in pulled if kind == "customer"] == mine  # in the order they changed
    assert not any(name.startswith("别人") for name in (c["name"] for c in small.of("customer").values()))
