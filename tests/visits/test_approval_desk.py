"""The approval desk: filter the team's visits by rep, date and evidence; review several at once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.customers.service import add_customer
from backend.visits.models import Visit
from backend.visits.service import create_visit, submit
from tests.kpi.helpers import actor

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _submitted(session: Session, rep_id: str, shop: str, at: str, lat: float, accuracy: float) -> str:
    rep = actor(session, rep_id)
    values: dict[str, Any] = {
        "customer_id": shop,
        "check_in_at": datetime.fromisoformat(at),
        "lat": lat,
        "lon": 121.47,
        "accuracy_m": accuracy,
    }
    visit = create_visit(session, rep, str(uuid.uuid4()), values, NOW)
    submit(session, rep, visit, NOW)
    return visit.id


def _work(engine: Any, org: Any) -> dict[str, str]:
    """rep1: near/accurate (18th), far (19th), near but vague (19th); rep2: near (17th); rep3 (team 2): near."""
    ids = {}
    with Session(engine, expire_on_commit=False) as session:
        shops = {}
        for rep in ("rep1", "rep2", "rep3"):
            shops[rep] = add_customer(
                session,
                actor(session, org.user(rep)),
                str(uuid.uuid4()),
                {"name": "华东五金", "lat": 31.23, "lon": 121.47},
                NOW,
            ).id
        ids["near"] = _submitted(
            session, org.user("rep1"), shops["rep1"], "2026-11-18T10:00:00+08:00", 31.2301, 10
        )
        ids["far"] = _submitted(session, org.user("rep1"), shops["rep1"], "2026-11-19T10:00:00+08:00", 31.30, 10)
        ids["vague"] = _submitted(
            session, org.user("rep1"), shops["rep1"], "2026-11-19T15:00:00+08:00", 31.2302, 800
        )
        ids["rep2"] = _submitted(session, org.user("rep2"), shops["rep2"], "2026-11-17T10:00:00+08:00", 31.2301, 5)
        ids["rep3"] = _submitted(session, org.user("rep3"), shops["rep3"], "2026-11-18T10:00:00+08:00", 31.2301, 5)
        session.commit()
    return ids


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [v["id"] for v in response.json()]


def test_the_desk_filters_by_rep_date_and_evidence(org, sign_in, engine):
    ids = _work(engine, org)
    lead = sign_in("lead1@example.com")
    assert _ids(lead.get("/api/v1/visits")) == [ids["rep2"], ids["near"], ids["far"], ids["vague"]]
    assert _ids(lead.get("/api/v1/visits", params={"rep_id": org.user("rep1")})) == [
        ids["near"],
        ids["far"],
        ids["vague"],
    ]
    assert _ids(lead.get("/api/v1/visits", params={"from": "2026-11-19", "to": "2026-11-19"})) == [
        ids["far"],
        ids["vague"],
    ]
    assert _ids(lead.get("/api/v1/visits", params={"max_distance_m": 100})) == [
        ids["rep2"],
        ids["near"],
        ids["vague"],
    ]
    assert _ids(lead.get("/api/v1/visits", params={"min_distance_m": 1000})) == [ids["far"]]
    assert _ids(lead.get("/api/v1/visits", params={"max_distance_m": 100, "max_accuracy_m": 50})) == [
        ids["rep2"],
        ids["near"],
    ]
    assert _ids(lead.get("/api/v1/visits", params={"status": "approved"})) == []
    # Team 2's visits are the other lead's; their manager sees both teams.
    assert _ids(sign_in("lead2@example.com").get("/api/v1/visits")) == [ids["rep3"]]
    assert len(_ids(sign_in("eastmgr@example.com").get("/api/v1/visits"))) == 5
    outside = lead.get("/api/v1/visits", params={"rep_id": org.user("rep3")})
    assert (outside.status_code, outside.json()["code"]) == (404, "not_found")
    bad = lead.get("/api/v1/visits", params={"from": "19 Nov", "status": "lost"})
    assert {e["field"] for e in bad.json()["errors"]} == {"from", "status"}
    assert sign_in("rep1@example.com").get("/api/v1/visits").status_code == 403


def test_bulk_review_applies_each_decision_alone_like_sync(org, sign_in, engine):
    ids = _work(engine, org)
    lead = sign_in("lead1@example.com")
    with Session(engine) as session:
        # The rep edits the far visit after the lead looked at it (version 2): the lead's look is stale.
        far = session.get(Visit, ids["far"])
        assert far is not None
        far.version += 1
        session.commit()
    missing = str(uuid.uuid4())
    response = lead.post(
        "/api/v1/visits/review",
        json={
            "decisions": [
                {"id": ids["near"], "base_version": 2, "approve": True},
                {"id": ids["far"], "base_version": 2, "approve": True},
                {"id": ids["vague"], "base_version": 2, "approve": False},
                {"id": ids["rep2"], "base_version": 2, "approve": False, "comment": "GPS 不在客户处"},
                {"id": ids["rep3"], "approve": True},
                {"id": missing, "approve": True},
                {"id": "not-a-uuid", "approve": "yes"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "applied",
        "conflict",
        "rejected",
        "applied",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert results[0] == {"entity": "visit", "id": ids["near"], "version": 3, "status": "applied"}
    assert results[1]["conflicts"] == [
        {"field": "version", "yours": 2, "theirs": 3, "kept": "theirs", "rule": "stale_review"}
    ]
    assert results[2]["errors"][0]["code"] == "required"  # a rejection needs a comment
    assert results[4]["errors"][0]["code"] == "not_found"  # team 2's visit: as if missing
    assert results[4]["errors"] == results[5]["errors"]
    assert {e["field"] for e in results[6]["errors"]} == {"id", "approve"}
    with Session(engine) as session:
        status = {key: session.get(Visit, visit_id).status for key, visit_id in ids.items()}  # type: ignore[union-attr]
    assert status == {
        "near": "approved",
        "far": "submitted",
        "vague": "submitted",
        "rep2": "rejected",
        "rep3": "submitted",
    }
    # Approved visits count at once: the desk and sync share one rule set.
    assert _ids(lead.get("/api/v1/visits", params={"status": "approved"})) == [ids["near"]]
    assert (
        sign_in("rep1@example.com")
        .post("/api/v1/visits/review", json={"decisions": [{"id": ids["near"], "approve": True}]})
        .status_code
        == 403
    )
    assert lead.post("/api/v1/visits/review", json={"decisions": []}).json()["errors"][0]["field"] == "decisions"


def test_bulk_review_refuses_a_malformed_request_and_changes_nothing(org, sign_in, engine):
    ids = _work(engine, org)
    lead = sign_in("lead1@example.com")
    for body in ({}, {"decisions": "all"}, {"decisions": {}}, {"decisions": [{}] * 501}):
        answer = lead.post("/api/v1/visits/review", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["field"] == "decisions"
    results = lead.post(
        "/api/v1/visits/review",
        json={
            "decisions": [
                {"id": ids["near"], "approve": False, "comment": "长" * 2001},
                {"id": ids["far"], "approve": True, "base_version": "2"},
                {"id": ids["vague"], "approve": True, "base_version": -1},
                "approve everything",
            ]
        },
    ).json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4
    assert [e["field"] for r in results[:3] for e in r["errors"]] == ["comment", "base_version", "base_version"]
    assert results[3]["errors"][0]["field"] == "body"
    with Session(engine) as session:
        assert {session.get(Visit, i).status for i in ids.values()} == {"submitted"}  # type: ignore[union-attr]
    bad = lead.get("/api/v1/visits", params={"min_distance_m": -5, "rep_id": "me", "from": "yesterday"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"min_distance_m", "rep_id", "from"}
    # Someone of another team: as if no one.
    other = lead.get("/api/v1/visits", params={"rep_id": org.user("rep3")})
    absent = lead.get("/api/v1/visits", params={"rep_id": str(uuid.uuid4())})
    assert (other.status_code, other.json()) == (404, absent.json())
