"""A feature declares a synced entity and writes it through the ORM; phones pull it with no other call.

The record type here exists only in this test (its own metadata, not the app's schema): declaring it is
all it takes for its inserts, edits and deletes to reach the phones of the people who may see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from backend.db import UTCDateTime
from backend.sync import registry
from backend.sync.schemas import documented_answer
from backend.versioning import wire
from tests.sync.conftest import new_id


class _Base(DeclarativeBase):
    pass


class Memo(_Base):
    __tablename__ = "test_memo"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(36))
    text: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bookkeeping of the server's own, never on the wire.
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


def memo_public(memo: Any) -> dict[str, Any]:
    return {"id": memo.id, "text": memo.text, "version": memo.version, "updated_at": wire(memo.updated_at)}


@pytest.fixture
def memos() -> Iterator[None]:
    """The memo declared for the test, and forgotten after it (after the change log's body check too, which
    renders the memo's logged changes: this fixture is set up before the engine, so it is torn down after)."""
    registry.declare("memo", Memo, memo_public, registry.owned_by("owner_id"))
    documented_answer.cache_clear()  # the answer's document names every declared entity
    yield
    del registry.ENTITIES["memo"]
    del registry._BY_MODEL[Memo]
    documented_answer.cache_clear()


def test_a_declared_entity_is_pulled_without_any_call_in_the_writer(memos, org, phone, engine, clock):
    _Base.metadata.create_all(engine)
    rep, lead, peer = phone("rep1"), phone("lead1"), phone("rep2")
    memo_id = new_id()
    with Session(engine) as session:
        session.add(Memo(id=memo_id, owner_id=org.user("rep1"), text="周三回访", updated_at=clock.now))
        session.commit()
    rep.sync()
    lead.sync()
    peer.sync()
    assert rep.of("memo") == {
        memo_id: memo_public(Memo(id=memo_id, text="周三回访", version=1, updated_at=clock.now))
    }
    assert lead.of("memo")[memo_id]["text"] == "周三回访"
    assert peer.of("memo") == {}

    with Session(engine) as session:
        memo = session.get_one(Memo, memo_id)
        memo.text, memo.version = "周四回访", 2
        session.commit()
    rep.sync()
    assert rep.of("memo")[memo_id]["text"] == "周四回访"
    assert rep.of("memo")[memo_id]["version"] == 2

    with Session(engine) as session:
        session.delete(session.get_one(Memo, memo_id))
        session.commit()
    rep.sync()
    lead.sync()
    assert rep.of("memo") == {} and lead.of("memo") == {}


def test_an_edit_that_keeps_the_version_is_not_a_change(memos, org, phone, engine, clock):
    """Bookkeeping that phones need not see (it leaves `version` alone) does not reach them."""
    _Base.metadata.create_all(engine)
    rep = phone("rep1")
    memo_id = new_id()
    with Session(engine) as session:
        session.add(Memo(id=memo_id, owner_id=org.user("rep1"), text="原文", updated_at=clock.now))
        session.commit()
    rep.sync()
    with Session(engine) as session:
        session.get_one(Memo, memo_id).seen_at = clock.now
        session.commit()
    assert rep.send()["changes"] == []


def test_changes_inside_a_rolled_back_savepoint_are_forgotten(memos, org, phone, engine, clock):
    _Base.metadata.create_all(engine)
    rep = phone("rep1")
    kept, undone = new_id(), new_id()
    with Session(engine) as session:
        session.add(Memo(id=kept, owner_id=org.user("rep1"), text="留下", updated_at=clock.now))
        savepoint = session.begin_nested()
        session.add(Memo(id=undone, owner_id=org.user("rep1"), text="撤回", updated_at=clock.now))
        session.flush()
        savepoint.rollback()
        session.commit()
    rep.sync()
    assert set(rep.of("memo")) == {kept}


def test_every_entity_phones_hold_is_declared_by_its_feature():
    """What SYNC.md names, no more and no less, once the schema is loaded (by the app, the worker, the demo
    seeder or the CLI)."""
    import backend.models  # noqa: F401
    from backend.sync.entities import READ_ONLY, WRITABLE_OPS

    assert set(registry.ENTITIES) == READ_ONLY | set(WRITABLE_OPS)
    assert {name for name, entity in registry.ENTITIES.items() if entity.private} == {"notification"}
