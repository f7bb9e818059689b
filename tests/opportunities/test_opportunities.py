"""The funnel over HTTP and sync: every stage change is kept, a loss says why, bad input changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.sync.helpers import Phone

AT = "2026-11-19T15:00:00+08:00"


def _deal(api: Any, customer_id: str) -> dict[str, Any]:
    created = api.post("/api/v1/opportunities", json={"customer_id": customer_id, "amount": "9000", "title": "泵"})
    assert created.status_code == 201, created.text
    return created.json()


def _customer(lead: Any, org: Any) -> str:
    return lead.post("/api/v1/customers", json={"name": "华东五金", "owner_id": org.user("rep1")}).json()["id"]


def _stages(api: Any, deal_id: str) -> list[tuple[str | None, str]]:
    return [(c["from_stage"], c["to_stage"]) for c in api.get(f"/api/v1/opportunities/{deal_id}/stages").json()]


def test_every_stage_change_is_kept_with_who_and_when(org, sign_in):
    lead = sign_in("lead1@example.com")
    deal = _deal(lead, _customer(lead, org))
    assert deal["owner_id"] == org.user("rep1") and deal["stage"] == "lead" and deal["close_reason"] is None
    for stage in ("qualified", "proposal"):
        moved = lead.post(f"/api/v1/opportunities/{deal['id']}/advance", json={"stage": stage, "at": AT})
        assert moved.status_code == 200, moved.text
    won = lead.post(
        f"/api/v1/opportunities/{deal['id']}/advance", json={"stage": "won", "at": AT, "reason": "价格有优势"}
    ).json()
    assert (won["stage"], won["close_reason"]) == ("won", "价格有优势")
    assert datetime.fromisoformat(won["closed_at"]) == datetime.fromisoformat(AT)
    history = lead.get(f"/api/v1/opportunities/{deal['id']}/stages").json()
    assert [(c["from_stage"], c["to_stage"]) for c in history] == [
        (None, "lead"),
        ("lead", "qualified"),
        ("qualified", "proposal"),
        ("proposal", "won"),
    ]
    assert {c["by_id"] for c in history} == {org.user("lead1")}
    assert datetime.fromisoformat(history[-1]["at"]) == datetime.fromisoformat(AT)
    # Reopened: the reason goes with the close, the move is kept.
    reopened = lead.post(f"/api/v1/opportunities/{deal['id']}/advance", json={"stage": "negotiation", "at": AT})
    assert (reopened.json()["close_reason"], reopened.json()["closed_at"]) == (None, None)
    assert _stages(lead, deal["id"])[-1] == ("won", "negotiation")
    rep = sign_in("rep1@example.com")
    assert [o["id"] for o in rep.get("/api/v1/opportunities").json()] == [deal["id"]]
    assert sign_in("rep2@example.com").get(f"/api/v1/opportunities/{deal['id']}/stages").status_code == 404


def test_a_loss_needs_its_reason_and_bad_input_changes_nothing(org, sign_in):
    lead = sign_in("lead1@example.com")
    deal = _deal(lead, _customer(lead, org))
    path = f"/api/v1/opportunities/{deal['id']}"
    refusals = [
        ({"stage": "lost", "at": AT}, [("reason", "required")]),
        ({"stage": "lost", "at": AT, "reason": "   "}, [("reason", "required")]),
        ({"stage": "lost", "at": AT, "reason": "贵" * 201}, [("reason", "too_long")]),
        ({"stage": "qualified", "at": AT, "reason": "why"}, [("reason", "invalid_state")]),
        ({"stage": "closed", "at": AT}, [("stage", "invalid_choice")]),
        ({"stage": "won"}, [("at", "required")]),
        ({"stage": "won", "at": "2027-01-01T00:00:00+08:00", "reason": "x"}, [("at", "time_in_future")]),
    ]
    for body, errors in refusals:
        response = lead.post(f"{path}/advance", json=body)
        assert response.status_code == 422, body
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == errors, body
        assert all(e["message"] for e in response.json()["errors"])
    open_reason = lead.patch(path, json={"close_reason": "贵"})
    assert [(e["field"], e["code"]) for e in open_reason.json()["errors"]] == [("close_reason", "invalid_state")]
    created_closed = lead.post(
        "/api/v1/opportunities", json={"customer_id": deal["customer_id"], "close_reason": "already won"}
    )
    assert [(e["field"], e["code"]) for e in created_closed.json()["errors"]] == [
        ("close_reason", "invalid_state")
    ]
    unchanged = lead.get("/api/v1/opportunities").json()
    assert len(unchanged) == 1 and unchanged[0]["version"] == deal["version"] and unchanged[0]["stage"] == "lead"
    assert _stages(lead, deal["id"]) == [(None, "lead")]

    lost = lead.post(f"{path}/advance", json={"stage": "lost", "at": AT, "reason": "竞品报价低"}).json()
    assert (lost["stage"], lost["close_reason"]) == ("lost", "竞品报价低")
    cleared = lead.patch(path, json={"close_reason": None})
    assert [(e["field"], e["code"]) for e in cleared.json()["errors"]] == [("close_reason", "required")]
    in_chinese = sign_in("boss@example.com").patch(path, json={"close_reason": "贵" * 201})
    assert [(e["field"], e["code"]) for e in in_chinese.json()["errors"]] == [("close_reason", "too_long")]
    fixed = lead.patch(path, json={"close_reason": "预算取消"}).json()
    assert (fixed["close_reason"], fixed["version"]) == ("预算取消", lost["version"] + 1)
    assert _stages(lead, deal["id"]) == [(None, "lead"), ("lead", "lost")]


def test_a_phone_closes_a_deal_offline_with_its_reason(org, sign_in):
    lead = sign_in("lead1@example.com")
    customer_id = _customer(lead, org)
    phone = Phone(sign_in("rep1@example.com"))
    deal = "0b8e2f0e-5d4c-4d59-9d55-8f6c6a9b1c01"
    phone.queue_mutation("opportunity", "create", deal, fields={"customer_id": customer_id, "amount": "5000"})
    bare = phone.queue_mutation("opportunity", "action", deal, name="advance", args={"stage": "lost", "at": AT})
    phone.sync()
    refused = phone.result(bare["mid"])
    assert refused["status"] == "rejected"
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("args.reason", "required")]
    assert phone.of("opportunity")[deal]["stage"] == "lead"
    phone.queue_mutation(
        "opportunity", "action", deal, name="advance", args={"stage": "lost", "at": AT, "reason": "预算取消"}
    )
    phone.sync()
    assert (phone.of("opportunity")[deal]["stage"], phone.of("opportunity")[deal]["close_reason"]) == (
        "lost",
        "预算取消",
    )
    version = phone.versions[("opportunity", deal)]
    phone.queue_mutation(
        "opportunity", "update", deal, base_version=version, fields={"close_reason": "竞品更便宜"}
    )
    long = phone.queue_mutation(
        "opportunity", "update", deal, base_version=version + 1, fields={"close_reason": "x" * 201}
    )
    phone.sync()
    assert phone.of("opportunity")[deal]["close_reason"] == "竞品更便宜"
    assert [(e["field"], e["code"]) for e in phone.result(long["mid"])["errors"]] == [("close_reason", "too_long")]
    assert _stages(lead, deal) == [(None, "lead"), ("lead", "lost")]
