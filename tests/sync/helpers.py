"""A minimal, correct client of SYNC.md for the tests: a replica, a queue, mids and a cursor."""

from __future__ import annotations

import functools
import json
import typing
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backend.sync.changelog import render_changes
from backend.sync.models import ChangeLog
from backend.sync.registry import ENTITIES, Change
from backend.sync.schemas import ENVELOPE_FIELDS, documented_answer
from tests.conftest import Api, database


@dataclass
class Phone:
    """One app install signed in as one user."""

    api: Api
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    next_mid: int = 1
    cursor: str | None = None
    queue: list[dict[str, Any]] = field(default_factory=list)
    replica: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    # When each held record starts ageing out of this user's window (rule 9), for those that do.
    ages: dict[tuple[str, str], datetime] = field(default_factory=dict)
    receipts: list[dict[str, Any]] = field(default_factory=list)

    def queue_mutation(self, entity: str, op: str, record_id: str | None = None, **rest: Any) -> dict[str, Any]:
        mutation = {"mid": self.next_mid, "entity": entity, "op": op, "id": record_id or str(uuid.uuid4()), **rest}
        self.next_mid += 1
        self.queue.append(mutation)
        return mutation

    def envelope(self, limit: int | None = None, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "protocol": 1,
            "client_id": self.client_id,
            "cursor": self.cursor,
            "mutations": list(self.queue),
        }
        if limit is not None:
            body["limit"] = limit
        return body | extra

    def send(self, limit: int | None = None, **extra: Any) -> dict[str, Any]:
        """One request; applies the response like a real client (drops settled mids, applies changes)."""
        response = self.api.post("/api/v1/sync", json=self.envelope(limit, **extra))
        assert response.status_code == 200, response.text
        body = response.json()
        # Every answer of every sync test is what the OpenAPI document says: each receipt a Receipt, each
        # change its entity's declared shape (a missing or mistyped field fails here).
        msgspec.convert(body, documented_answer())
        # And each is lean: no field under `data` twice (on the envelope too) and none sent as null.
        for change in body["changes"]:
            data = change.get("data", {})
            assert not ENVELOPE_FIELDS & data.keys(), change
            assert None not in data.values(), change
        self.apply(body)
        return body

    def apply(self, body: dict[str, Any]) -> None:
        settled = {r["mid"] for r in body["results"] if r["status"] not in ("gap",)}
        self.receipts.extend(body["results"])
        self.queue = [m for m in self.queue if m["mid"] not in settled and m["mid"] > body["last_mid"]]
        if body["reset"]:
            self.replica.clear()
            self.versions.clear()
            self.ages.clear()
        for change in body["changes"]:
            key = (change["entity"], change["id"])
            self.ages.pop(key, None)
            if "ages_at" in change:
                self.ages[key] = datetime.fromisoformat(change["ages_at"])
            if change["deleted"]:
                self.replica.pop(key, None)
                self.versions.pop(key, None)
            else:
                self.replica[key] = rebuilt(change)
                self.versions[key] = change["version"]
        self.cursor = body["cursor"]
        self.age_out(body)

    def age_out(self, body: dict[str, Any]) -> None:
        """Rule 9 as a client keeps it: with a window, a record whose `ages_at` lies before it is dropped."""
        if body.get("window_days") is None:
            return
        start = datetime.fromisoformat(body["server_time"]) - timedelta(days=body["window_days"])
        for key, ages_at in list(self.ages.items()):
            if ages_at < start:
                self.replica.pop(key, None)
                self.versions.pop(key, None)
                del self.ages[key]

    def sync(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Push everything and pull until caught up; returns every body."""
        bodies = [self.send(limit)]
        while bodies[-1]["has_more"] or self.queue:
            bodies.append(self.send(limit))
            if len(bodies) > 1000:
                raise AssertionError("sync did not converge")
        return bodies

    def result(self, mid: int) -> dict[str, Any]:
        return next(r for r in reversed(self.receipts) if r["mid"] == mid)

    def of(self, entity: str) -> dict[str, dict[str, Any]]:
        return {rid: data for (kind, rid), data in self.replica.items() if kind == entity}


@functools.cache
def _fields_of(entity: str) -> tuple[str, ...]:
    shape = typing.get_type_hints(ENTITIES[entity].shape)["return"]
    return tuple(shape.__struct_fields__) if isinstance(shape, type) and issubclass(shape, msgspec.Struct) else ()


def rebuilt(change: dict[str, Any]) -> dict[str, Any]:
    """A pulled record as a client rebuilds it: every field of its entity's declared shape, null when the
    change leaves it out, and `id`, `version` and `updated_at` from the envelope (so it equals the HTTP API's
    answer for the same record)."""
    shaped: dict[str, Any] = dict.fromkeys(_fields_of(change["entity"]))
    return shaped | change["data"] | {name: change[name] for name in ENVELOPE_FIELDS}


def assert_bodies_current(engine: Engine) -> None:
    """Every change the log keeps as a pull sends it equals its record rendered afresh, at the logged version:
    a write that changed a synced record without logging it would leave a stale body behind."""
    with Session(engine) as session:
        rows = session.execute(
            select(ChangeLog.entity, ChangeLog.record_id, ChangeLog.version, ChangeLog.deleted, ChangeLog.body)
        ).all()
        fresh = render_changes(
            session, [Change(r.entity, r.record_id, r.version, r.deleted, None, None) for r in rows if r.body]
        )
    stale = {
        (r.entity, r.record_id): (r.body, fresh.get((r.entity, r.record_id)))
        for r in rows
        if r.body is not None
        and (json.loads(r.body) != json.loads(fresh.get((r.entity, r.record_id), "null")) or r.deleted)
    }
    assert not stale, f"change-log bodies that differ from their records: {stale}"
    assert all(json.loads(r.body)["version"] == r.version for r in rows if r.body is not None)


def checked_database(kind: str, tmp_path: Path) -> Iterator[Engine]:
    """A test database of `kind` (PostgreSQL skips without one, fails under strict mode); after the test, every
    body the change log keeps must still equal its record rendered afresh (`assert_bodies_current`)."""
    databases = database(kind, tmp_path)
    built = next(databases)
    try:
        yield built
        assert_bodies_current(built)
    finally:
        next(databases, None)


def phones(sign_in: Any) -> Callable[[str], Phone]:
    """`phones(sign_in)("rep1")` → a fresh app install signed in as that user."""
    return lambda who: Phone(sign_in(f"{who}@example.com"))
