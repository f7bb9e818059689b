"""A customer's province: set by a rep adding a prospect (through sync) or by a lead over HTTP, checked like the
city, and carried to every phone that holds the customer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.sync.helpers import Phone, phones


@pytest.fixture
def phone(sign_in: Any) -> Callable[[str], Phone]:
    return phones(sign_in)


def test_a_lead_sets_and_changes_the_province_and_the_reps_phone_gets_it(org, sign_in, phone):
    lead = sign_in("lead1@example.com")
    created = lead.post(
        "/api/v1/customers",
        json={"name": "杭州机电", "owner_id": org.user("rep1"), "province": "浙江", "city": "杭州"},
    )
    assert created.status_code == 201, created.text
    assert (created.json()["province"], created.json()["city"]) == ("浙江", "杭州")
    customer_id = created.json()["id"]
    rep = phone("rep1")
    rep.sync()
    assert rep.of("customer")[customer_id]["province"] == "浙江"
    changed = lead.patch(f"/api/v1/customers/{customer_id}", json={"province": "江苏"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["province"] == "江苏"
    rep.sync()
    assert rep.of("customer")[customer_id]["province"] == "江苏"
    listed = {c["id"]: c for c in lead.get("/api/v1/customers").json()}
    assert listed[customer_id]["province"] == "江苏"


def test_a_province_too_long_is_refused_by_name_and_changes_nothing(org, sign_in):
    lead = sign_in("lead1@example.com")
    created = lead.post("/api/v1/customers", json={"name": "南京电子", "owner_id": org.user("rep1")})
    assert created.json()["province"] is None
    customer_id = created.json()["id"]
    too_long = lead.patch(f"/api/v1/customers/{customer_id}", json={"province": "省" * 65, "name": "改名"})
    assert too_long.status_code == 422
    assert [(e["field"], e["code"]) for e in too_long.json()["errors"]] == [("province", "too_long")]
    wrong = lead.post("/api/v1/customers", json={"name": "x", "owner_id": org.user("rep1"), "province": 7})
    assert [(e["field"], e["code"]) for e in wrong.json()["errors"]] == [("province", "wrong_type")]
    after = {c["id"]: c for c in lead.get("/api/v1/customers").json()}
    assert (after[customer_id]["name"], after[customer_id]["province"]) == ("南京电子", None)
    assert len(after) == 1


def test_a_rep_gives_a_new_prospect_its_province_through_sync(org, phone):
    rep = phone("rep1")
    customer_id = str(uuid.uuid4())
    rep.queue_mutation("customer", "create", customer_id, fields={"name": "宁波五金", "province": "浙江"})
    rep.sync()
    assert rep.of("customer")[customer_id]["province"] == "浙江"
    rep.queue_mutation("customer", "update", customer_id, base_version=1, fields={"province": "省" * 65})
    errors = rep.send()["results"][0]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("province", "too_long")]
    rep.sync()
    assert rep.of("customer")[customer_id]["province"] == "浙江"
