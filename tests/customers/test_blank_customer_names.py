"""A customer named only with invisible characters is refused over HTTP and by sync; nothing is stored."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.customers.models import Customer
from tests.sync.helpers import Phone


def _customers(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Customer)) or 0


def test_a_zero_width_customer_name_is_required(org, sign_in, engine):
    lead = sign_in("lead1@example.com")
    response = lead.post("/api/v1/customers", json={"name": "\u200b\u2060\ufeff", "owner_id": org.user("rep1")})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "name", "code": "required", "message": "is required"}]

    rep = Phone(sign_in("rep1@example.com"))
    rep.queue_mutation("customer", "create", str(uuid.uuid4()), fields={"name": "\u200c\u200d \u3000"})
    rep.sync()
    assert rep.result(1)["status"] == "rejected"
    assert rep.result(1)["errors"] == [{"field": "name", "code": "required", "message": "is required"}]
    assert _customers(engine) == 0
