"""Sync tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.sync.helpers import Phone, checked_database, phones


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Every sync test runs on both databases; see `checked_database`."""
    yield from checked_database(request.param, tmp_path)


@pytest.fixture
def phone(sign_in: Any) -> Callable[[str], Phone]:
    return phones(sign_in)


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
