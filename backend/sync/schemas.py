"""The sync answer's shape (SYNC.md): receipts, and each change typed by its entity's declared shape."""

from __future__ import annotations

import functools
import typing
from typing import Any, Literal

import msgspec

from backend.errors import FieldProblem
from backend.sync.registry import ENTITIES, SyncedEntity

# A change carries these on its envelope, so never again under its `data` (changelog.as_change).
ENVELOPE_FIELDS = frozenset({"id", "version", "updated_at"})


class ConflictRecordPublic(msgspec.Struct):
    """A field decided by policy during a merge, as the rep and their lead read it (the `conflict` entity)."""

    id: str
    entity: str
    record_id: str
    field: str
    yours: Any
    theirs: Any
    kept: str
    rule: str
    yours_by: str
    theirs_by: str | None
    at: str
    version: int
    updated_at: str


class ReceiptConflict(msgspec.Struct):
    """A field of a merged or conflicting mutation that did not keep the sender's value."""

    field: str
    yours: Any
    theirs: Any
    kept: str
    rule: str


class Receipt(msgspec.Struct, kw_only=True):
    """What became of one mutation (SYNC.md): the fields a status does not use are left out."""

    mid: int
    status: Literal["applied", "merged", "conflict", "rejected", "duplicate", "gap", "unknown"]
    # The mutation's entity and id, echoed when they were readable.
    entity: str | msgspec.UnsetType | None = msgspec.UNSET
    id: str | int | msgspec.UnsetType | None = msgspec.UNSET
    version: int | msgspec.UnsetType = msgspec.UNSET
    conflicts: list[ReceiptConflict] | msgspec.UnsetType = msgspec.UNSET
    errors: list[FieldProblem] | msgspec.UnsetType = msgspec.UNSET
    # The amendment an edit of an approved visit became.
    amendment_id: str | msgspec.UnsetType = msgspec.UNSET
    # On `gap`: the mid the server expects next.
    expected: int | msgspec.UnsetType = msgspec.UNSET
    # On `duplicate`: the receipt the mutation got the first time.
    original: Receipt | msgspec.UnsetType = msgspec.UNSET


class SyncAnswer(msgspec.Struct):
    protocol: int
    # The last mutation id settled for this client.
    last_mid: int
    # One receipt per mutation sent, in order: each a `Receipt`, kept as the JSON the receipt table stores.
    results: list[Any]
    # Changes after the cursor, in log order; most are sent as the change log keeps them, already encoded.
    # The OpenAPI document types each by its entity (`documented_answer`).
    changes: list[Any]
    # Where the next pull starts; with `limit: 0` (no page) the cursor the client sent, which may be null.
    cursor: str | None
    has_more: bool
    # The client's cursor could not be continued: it must drop what it holds and pull from the start.
    reset: bool
    server_time: str
    # Rule 9: the days of others' work this user's phone holds; a record whose `ages_at` lies further back
    # is dropped by the client. Null for a rep, who holds all of their own work.
    window_days: int | None


def _change_type(entity: SyncedEntity) -> type[msgspec.Struct]:
    """A change of `entity` on the wire: its record under `data`, or a tombstone (`deleted`, no data)."""
    shape = typing.get_type_hints(entity.shape)["return"]
    camel = "".join(part.capitalize() for part in entity.name.split("_"))
    return msgspec.defstruct(
        f"{camel}Change",
        [
            ("id", str),
            ("version", int),
            ("deleted", bool),
            ("updated_at", str | msgspec.UnsetType, msgspec.UNSET),
            # Rule 9: when the record starts ageing out of a lead's or manager's window; absent if never.
            ("ages_at", str | msgspec.UnsetType, msgspec.UNSET),
            ("data", _data_type(shape, f"{camel}ChangeData") | msgspec.UnsetType, msgspec.UNSET),
        ],
        kw_only=True,
        tag_field="entity",
        tag=entity.name,
    )


def _data_type(shape: Any, name: str) -> Any:
    """A change's `data` as sent (changelog.as_change): the declared shape without the envelope's `id`,
    `version` and `updated_at`, each field left out when null. A body the log kept from before pulls left
    them out (it is rewritten at the record's next change) still reads as this type: it only adds the
    envelope's fields and nulls, and a field that may be null is typed so."""
    if not isinstance(shape, type) or not issubclass(shape, msgspec.Struct):
        return shape
    fields = [
        (field.name, field.type | msgspec.UnsetType, msgspec.UNSET)
        for field in msgspec.structs.fields(shape)
        if field.name not in ENVELOPE_FIELDS
    ]
    return msgspec.defstruct(name, fields, kw_only=True)


@functools.cache
def documented_answer() -> type[msgspec.Struct]:
    """`SyncAnswer` as the OpenAPI document describes it, each change typed by its entity's declared shape (a
    union tagged by `entity`). Built when the app is, once every feature has declared its entities."""
    changes = tuple(_change_type(entity) for entity in ENTITIES.values())
    typed = {"results": list[Receipt], "changes": list[typing.Union[changes]]}  # type: ignore[valid-type]  # noqa: UP007
    fields = [(name, typed.get(name, hint)) for name, hint in typing.get_type_hints(SyncAnswer).items()]
    return msgspec.defstruct("SyncAnswer", fields)
