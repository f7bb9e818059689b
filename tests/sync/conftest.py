"""Sync tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import database
from tests.sync.helpers import Phone, assert_bodies_current


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Every sync test runs on both databases (PostgreSQL skips without it, fails under strict mode); after
    it, every body the change log keeps must still equal its record rendered afresh."""
    databases = database(request.param, tmp_path)
    built = next(databases)
    try:
        yield built
        assert_bodies_current(built)
    finally:
        next(databases, None)


@pytest.fixture
def phone(sign_in: Any):
    """`phone("rep1")` → a fresh app install signed in as that user."""

    def _phone(who: str) -> Phone:
        return Phone(sign_in(f"{who}@example.com"))

    return _phone


def new_id() -> str:
    return str(uuid.uuid4())


def visit_fields(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "check_in_at": "2026-11-20T09:30:00+08:00",
        "lat": 31.2304,
        "lon": 121.4737,
        "accuracy_m": 12,
        "outcome": "follow_up",
        "satisfaction": 4,
        "notes": "初次拜访",
    } | extra


def customer_and_visit(p: Phone, submit: bool = False) -> tuple[str, str]:
    """Queue a customer and a visit to it (and its submission); returns their ids."""
    customer_id, visit_id = new_id(), new_id()
    p.queue_mutation("customer", "create", customer_id, fields={"name": "华东五金", "lat": 31.23, "lon": 121.47})
    p.queue_mutation("visit", "create", visit_id, fields=visit_fields(customer_id))
    if submit:
        p.queue_mutation("visit", "action", visit_id, name="submit", args={})
    return customer_id, visit_id
