"""SYNC.md rule 4: envelope errors apply nothing; limits, tokens, foreign client ids and protocols."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.customers.models import Customer
from backend.sync.models import SyncReceipt
from tests.sync.conftest import new_id


def _stored(engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.execute(select(func.count()).select_from(Customer)).scalar_one(),
            session.execute(select(func.count()).select_from(SyncReceipt)).scalar_one(),
        )


def _post_raw(rep, content: bytes):
    return rep.api.client.post(
        "/api/v1/sync", content=content, headers=rep.api.headers({"Content-Type": "application/json"})
    )


def test_malformed_json_is_a_400_problem_and_applies_nothing(org, phone, engine):
    rep = phone("rep1")
    response = _post_raw(rep, b'{"protocol": 1, "client_id": "abcdefgh", "mutations": [')
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "malformed_request"
    assert _stored(engine) == (0, 0)


def test_missing_client_id_or_mid_refuses_the_whole_request(org, phone, engine):
    rep = phone("rep1")
    good = {"mid": 1, "entity": "customer", "op": "create", "id": new_id(), "fields": {"name": "x"}}
    no_client = rep.api.post("/api/v1/sync", json={"protocol": 1, "mutations": [good]})
    assert no_client.status_code == 400
    assert no_client.json()["errors"][0]["field"] == "client_id"
    for bad_mid in (None, 0, -1, "1", 1.5, True, 2**63):
        mutations = [good, {**good, "id": new_id()} | ({"mid": bad_mid} if bad_mid is not None else {})]
        if bad_mid is None:
            del mutations[1]["mid"]
        response = rep.api.post("/api/v1/sync", json=rep.envelope() | {"mutations": mutations})
        assert response.status_code == 400, bad_mid
        assert response.json()["errors"] == [
            {"field": "mutations[1].mid", "code": "wrong_type", "message": "must be a whole number"}
        ]
    assert _stored(engine) == (0, 0)


def test_too_many_mutations_is_a_413_naming_the_limit(org, phone, engine):
    rep = phone("rep1")
    for _ in range(501):
        rep.queue_mutation("customer", "create", fields={"name": "x"})
    response = rep.api.post("/api/v1/sync", json=rep.envelope())
    assert response.status_code == 413
    assert response.json()["limit"] == {"name": "mutations", "max": 500}
    assert _stored(engine) == (0, 0)


def test_a_body_over_the_size_limit_is_a_413_naming_the_limit(org, phone, engine):
    rep = phone("rep1")
    for _ in range(300):
        rep.queue_mutation("customer", "create", fields={"name": "x", "address": "长" * 3900})
    content = json.dumps(rep.envelope(), ensure_ascii=False).encode()
    assert len(content) > 1024 * 1024
    response = _post_raw(rep, content)
    assert response.status_code == 413
    assert response.json()["limit"] == {"name": "body_bytes", "max": 1024 * 1024}
    assert _stored(engine) == (0, 0)


def test_no_revoked_or_expired_token_applies_nothing_and_the_retry_works(org, phone, engine, clock, sign_in):
    rep = phone("rep1")
    rep.queue_mutation("customer", "create", fields={"name": "排队中"})
    token = rep.api.token
    rep.api.token = None
    assert rep.api.post("/api/v1/sync", json=rep.envelope()).status_code == 401
    rep.api.token = token
    assert rep.api.post("/api/v1/auth/logout").status_code == 204
    assert rep.api.post("/api/v1/sync", json=rep.envelope()).status_code == 401
    assert _stored(engine) == (0, 0)
    # Signed in again (a new token), the same queue with the same client id goes through.
    rep.api.token = sign_in("rep1@example.com").token
    clock.advance(days=31)
    assert rep.api.post("/api/v1/sync", json=rep.envelope()).status_code == 401
    rep.api.token = sign_in("rep1@example.com").token
    assert rep.send()["results"][0]["status"] == "applied"


def test_a_client_id_first_used_by_another_user_answers_403(org, phone, engine):
    mine, theirs = phone("rep1"), phone("rep2")
    mine.send()
    theirs.client_id = mine.client_id
    theirs.queue_mutation("customer", "create", fields={"name": "x"})
    response = theirs.api.post("/api/v1/sync", json=theirs.envelope())
    assert response.status_code == 403
    assert response.json()["code"] == "client_taken"
    assert _stored(engine)[0] == 0


def test_an_unsupported_protocol_answers_426_with_the_range(org, phone):
    rep = phone("rep1")
    response = rep.api.post("/api/v1/sync", json=rep.envelope() | {"protocol": 2})
    assert response.status_code == 426
    assert response.json()["supported"] == {"min": 1, "max": 1}


def test_the_page_limit_is_lowered_to_the_maximum_without_error(org, phone):
    rep = phone("rep1")
    response = rep.api.post("/api/v1/sync", json=rep.envelope(limit=10**9))
    assert response.status_code == 200
