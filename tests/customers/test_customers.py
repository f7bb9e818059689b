"""Customers over HTTP for leads and managers; reassigning one moves it between phones."""

from __future__ import annotations

from tests.sync.helpers import Phone


def test_lead_creates_customers_for_own_team_only(org, sign_in):
    lead = sign_in("lead1@example.com")
    created = lead.post(
        "/api/v1/customers", json={"name": "华东五金", "owner_id": org.user("rep1"), "lat": 31.2, "lon": 121.4}
    )
    assert created.status_code == 201
    assert created.json()["owner_id"] == org.user("rep1")
    assert created.json()["status"] == "prospect"
    foreign = lead.post("/api/v1/customers", json={"name": "x", "owner_id": org.user("rep3")})
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "owner_id"
    assert [c["name"] for c in lead.get("/api/v1/customers").json()] == ["华东五金"]
    assert sign_in("lead2@example.com").get("/api/v1/customers").json() == []
    other = sign_in("lead2@example.com").patch(f"/api/v1/customers/{created.json()['id']}", json={"name": "mine"})
    assert other.status_code == 404


def test_reps_use_sync_not_the_customer_api(org, sign_in):
    assert sign_in("rep1@example.com").post("/api/v1/customers", json={"name": "x"}).status_code == 403


def test_bad_customer_input(org, sign_in):
    lead = sign_in("lead1@example.com")
    response = lead.post("/api/v1/customers", json={"name": "", "lat": 91, "lon": "east", "phone": "1" * 65})
    assert response.status_code == 422
    assert sorted((e["field"], e["code"]) for e in response.json()["errors"]) == [
        ("lat", "out_of_range"),
        ("lon", "wrong_type"),
        ("name", "required"),
        ("phone", "too_long"),
    ]
    nan = lead.post(
        "/api/v1/customers", content=b'{"name": "a", "lat": NaN}', headers={"Content-Type": "application/json"}
    )
    assert nan.status_code == 400


def test_reassigning_moves_the_customer_between_phones(org, sign_in):
    lead = sign_in("lead1@example.com")
    customer = lead.post("/api/v1/customers", json={"name": "鑫达机电", "owner_id": org.user("rep1")}).json()
    old_owner, new_owner = Phone(sign_in("rep1@example.com")), Phone(sign_in("rep2@example.com"))
    old_owner.sync()
    new_owner.sync()
    assert customer["id"] in old_owner.of("customer")
    assert customer["id"] not in new_owner.of("customer")
    moved = lead.patch(f"/api/v1/customers/{customer['id']}", json={"owner_id": org.user("rep2")})
    assert moved.status_code == 200
    first_old = old_owner.sync()[0]
    first_new = new_owner.sync()[0]
    assert first_old["reset"] is True and first_new["reset"] is True
    assert customer["id"] not in old_owner.of("customer")
    assert new_owner.of("customer")[customer["id"]]["owner_id"] == org.user("rep2")
