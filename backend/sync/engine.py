"""Settling a client's mutations exactly once (SYNC.md rules 1–4).

The transaction boundary here is the one exception to "a request is one transaction": a sync request
settles its mutations in one transaction, each as if in a SAVEPOINT of its own, and commits it before the pull
reads the page in a second one (so the change-log positions of the batch are stamped and the page already
holds their effects). Inside the first transaction:

- the client's row is locked first (`FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` serialises
  writers anyway), so a retry that overlaps the first request waits and then sees the new `last_mid`;
- a mutation's effect and its change-log entry are written in its savepoint (its receipt with the
  batch's, in the same transaction); a domain error rolls the savepoint back and settles a `rejected`
  receipt instead; nothing a mutation does can undo another's;
- `mid <= last_mid` answers the stored receipt (`duplicate`); `mid > last_mid + 1` stops the batch (`gap`).

Visits, which phones send by the hundred, take a cheaper road to the same receipts: a run of consecutive
visit creates (and submits of them) is checked mutation by mutation and written in one INSERT in one
savepoint; a broken one is rejected having written nothing, and if the INSERT fails the savepoint rolls
back and the run settles one mutation per savepoint as above (`_settle_run`). Other consecutive mutations
(edits, deletes, actions) apply in one savepoint for all; should one of them fail, it rolls back and they
settle one savepoint each (`_settle_many`), so the receipts are the same either way.

A crash at any point loses the whole uncommitted transaction: every mutation is then untouched and the
retry settles it; whatever committed has its receipt. Nothing is lost and nothing doubles.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.db import insert_rows, table_of
from backend.errors import (
    FieldError,
    FieldgoalError,
    Forbidden,
    InvalidInput,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    UnsupportedProtocol,
)
from backend.kpi import service as kpi
from backend.policy import Actor, preload
from backend.settings import Settings
from backend.sync.entities import (
    ACTIONS,
    BATCHED_CREATES,
    HANDLERS,
    READ_ONLY,
    WRITABLE_OPS,
    Context,
    Mutation,
    Outcome,
    named_records,
    taken_by_actor,
)
from backend.sync.models import RejectedCreate, SyncClient, SyncReceipt
from backend.validation import Choice, Instant, Integer, Text, Uuid, canonical_uuid, validate

log = logging.getLogger("fieldgoal.sync")

PROTOCOL_MIN = PROTOCOL_MAX = 1
MAX_MID = 2**53 - 1  # what a JavaScript client can count to exactly

ENVELOPE = {
    "protocol": Integer(required=True, nullable=False, min=0, max=2**31 - 1),
    "client_id": Text(required=True, nullable=False, min_len=8, max_len=64),
    "client_time": Instant(),
    "cursor": Text(max_len=200),
    # 0 asks for no page: the request only pushes.
    "limit": Integer(min=0, max=2**31 - 1),
    "mutations": None,  # checked by hand: a list of objects with a positive integer mid
}
MUTATION = {
    "mid": Integer(min=1, max=MAX_MID),
    "entity": Text(required=True, nullable=False, max_len=32),
    "op": Choice(required=True, nullable=False, choices=("create", "update", "delete", "action")),
    "id": Uuid(required=True, nullable=False),
    "fields": None,
    "base": None,  # advisory only (SYNC.md rule 5)
    "base_version": Integer(min=1, max=2**31 - 1),
    "name": Text(max_len=32),
    "args": None,
}


@dataclass(frozen=True)
class Envelope:
    client_id: str
    client_time: datetime | None
    cursor: str | None
    limit: int | None
    mutations: list[dict[str, Any]]


def read_envelope(body: Any, settings: Settings) -> Envelope:
    """The request's envelope, or an error that applies nothing (SYNC.md rule 4)."""
    if not isinstance(body, dict):
        raise MalformedRequest(errors=[FieldError("body", "wrong_type", {"expected": "object"})])
    protocol = body.get("protocol")
    if (
        isinstance(protocol, int)
        and not isinstance(protocol, bool)
        and not PROTOCOL_MIN <= protocol <= PROTOCOL_MAX
    ):
        raise UnsupportedProtocol(PROTOCOL_MIN, PROTOCOL_MAX)
    mutations = body.get("mutations", [])
    if not isinstance(mutations, list):
        raise MalformedRequest(errors=[FieldError("mutations", "wrong_type", {"expected": "list"})])
    if len(mutations) > settings.sync_max_mutations:
        raise PayloadTooLarge("mutations", settings.sync_max_mutations)
    spec = {k: v for k, v in ENVELOPE.items() if v is not None}
    try:
        values = validate(
            {k: v for k, v in body.items() if k != "mutations"}, spec, max_text=settings.max_text_chars
        )
    except InvalidInput as exc:
        raise MalformedRequest(errors=exc.errors) from None
    errors = []
    for index, mutation in enumerate(mutations):
        mid = mutation.get("mid") if isinstance(mutation, dict) else None
        if isinstance(mid, bool) or not isinstance(mid, int) or not 1 <= mid <= MAX_MID:
            errors.append(FieldError(f"mutations[{index}].mid", "wrong_type", {"expected": "integer"}))
    if errors:
        # No receipt can be kept for a mutation without a mid: the whole request is refused.
        raise MalformedRequest(errors=errors)
    return Envelope(
        values["client_id"], values.get("client_time"), values.get("cursor"), values.get("limit"), mutations
    )


def _lock_client(session: Session, actor: Actor, client_id: str, now: datetime) -> SyncClient:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(SyncClient)
        .values(
            client_id=client_id, user_id=actor.id, last_mid=0, skew_seconds=0.0, created_at=now, last_seen_at=now
        )
        .on_conflict_do_nothing(index_elements=["client_id"])
    )
    query = select(SyncClient).where(SyncClient.client_id == client_id).execution_options(populate_existing=True)
    if dialect == "postgresql":
        query = query.with_for_update()
    client = session.scalars(query).one()
    if client.user_id != actor.id:
        raise Forbidden("client_taken")
    return client


# How stale a client's last-seen time and skew may be (a lead's "not synced for two days" needs no more): a
# sync with nothing to settle writes them at most this often, and otherwise writes nothing at all.
SEEN_EVERY = timedelta(minutes=1)


def _note_seen(client: SyncClient, envelope: Envelope, now: datetime) -> None:
    if envelope.client_time is not None:
        client.skew_seconds = (envelope.client_time - now).total_seconds()
    client.last_seen_at = now


def note_pull(session: Session, reader: Session, actor: Actor, envelope: Envelope, now: datetime) -> int:
    """A sync with no mutations: the client's last settled mid, read without a write. Its last-seen time and
    skew are written (in `session`) only when a minute has passed since they were, or for a new client."""
    client = reader.get(SyncClient, envelope.client_id)
    if client is not None and client.user_id != actor.id:
        raise Forbidden("client_taken")
    if client is not None and now - client.last_seen_at < SEEN_EVERY:
        return client.last_mid
    client = _lock_client(session, actor, envelope.client_id, now)
    _note_seen(client, envelope, now)
    return client.last_mid


def trusted_skew(skew_seconds: float, settings: Settings) -> timedelta:
    """The phone's clock error that its times are corrected by: none past `max_clock_skew_hours`.

    An unbounded correction let a phone set to 2099 date visits in 2099 (its 2099 looked like "now"); a
    clock that far off says nothing about when things happened, so the server's clock judges its times.
    """
    skew = timedelta(seconds=skew_seconds)
    return skew if abs(skew) <= timedelta(hours=settings.max_clock_skew_hours) else timedelta(0)


def settle(
    session: Session, actor: Actor, envelope: Envelope, settings: Settings, now: datetime
) -> tuple[list[dict[str, Any]], int]:
    """Settle the envelope's mutations in order; returns their results and the client's last settled mid."""
    client = _lock_client(session, actor, envelope.client_id, now)
    _note_seen(client, envelope, now)
    ctx = Context(
        session=session,
        actor=actor,
        now=now,
        skew=trusted_skew(client.skew_seconds, settings),
        max_text=settings.max_text_chars,
        max_future=timedelta(minutes=settings.max_future_minutes),
        max_past=timedelta(days=settings.max_past_days),
    )
    # Derived figures (SYNC.md rule 12) are rewritten once for the batch, after its last mutation.
    kpi.defer_progress(session)
    rejected_ids = _rejected_creates(session, envelope.client_id, envelope.mutations)
    preload(session, named_records(envelope.mutations))
    results: list[dict[str, Any]] = []
    settled: dict[int, dict[str, Any]] = {}  # this batch's receipts, written after the loop
    # Consecutive creates of one batched entity (and actions on them), settled together.
    run: list[dict[str, Any]] = []
    run_ids: set[str | None] = set()
    # Consecutive other mutations (edits, deletes, actions), settled in one savepoint.
    pending: list[dict[str, Any]] = []

    def settle(receipts: list[dict[str, Any]]) -> None:
        for receipt in receipts:
            settled[receipt["mid"]] = receipt
            results.append(receipt)

    def settle_waiting() -> None:
        if run:
            settle(_settle_run(ctx, client.client_id, run, rejected_ids))
            run.clear()
            run_ids.clear()
        if pending:
            settle(_settle_many(ctx, client.client_id, pending, rejected_ids))
            pending.clear()

    for raw in envelope.mutations:
        mid = raw["mid"]
        if mid == client.last_mid + 1 and (_batched(raw) or _follows_run(raw, run, run_ids)):
            if pending or (run and run[0]["entity"] != raw["entity"]):
                settle_waiting()
            run.append(raw)
            run_ids.add(canonical_uuid(raw.get("id")))
            client.last_mid = mid
            continue
        if run or mid != client.last_mid + 1:
            settle_waiting()
        if mid <= client.last_mid:
            results.append(
                {"mid": mid, "status": "duplicate", "original": _receipt_of(session, client, mid, settled)}
            )
            continue
        if mid > client.last_mid + 1:
            results.append({"mid": mid, "status": "gap", "expected": client.last_mid + 1})
            break
        pending.append(raw)
        client.last_mid = mid
    settle_waiting()
    kpi.write_deferred_progress(session, now)
    # The receipts commit with the batch's effects (one transaction), written in one statement.
    if settled:
        rows = [
            {"client_id": client.client_id, "mid": m, "result": r, "created_at": now} for m, r in settled.items()
        ]
        insert_rows(session, table_of(SyncReceipt), rows)
    session.flush()
    return results, client.last_mid


def _receipt_of(
    session: Session, client: SyncClient, mid: int, settled: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """The stored receipt of a settled mid (settled earlier in this very batch, or in an earlier one)."""
    if mid in settled:
        return settled[mid]
    receipt = session.get(SyncReceipt, (client.client_id, mid))
    return receipt.result if receipt else {"mid": mid, "status": "unknown"}


def _short(value: Any) -> Any:
    return (
        value if isinstance(value, str | int) and not isinstance(value, bool) and len(str(value)) <= 64 else None
    )


def _rejected_creates(session: Session, client_id: str, mutations: list[dict[str, Any]]) -> set[str]:
    ids = {canonical_uuid(m.get("id")) for m in mutations if isinstance(m, dict)} - {None}
    if not ids:
        return set()
    rows = session.scalars(
        select(RejectedCreate.record_id).where(
            RejectedCreate.client_id == client_id, col(RejectedCreate.record_id).in_(ids)
        )
    )
    return set(rows)


def _batched(raw: dict[str, Any]) -> bool:
    entity = raw.get("entity")
    return raw.get("op") == "create" and isinstance(entity, str) and entity in BATCHED_CREATES


def _follows_run(raw: dict[str, Any], run: list[dict[str, Any]], run_ids: set[str | None]) -> bool:
    """An action the run's entity settles in bulk (a visit's `submit`) on a record the run creates."""
    if not run or raw.get("op") != "action" or raw.get("entity") != run[0]["entity"]:
        return False
    name = raw.get("name")
    actions = BATCHED_CREATES[run[0]["entity"]].actions
    return isinstance(name, str) and name in actions and canonical_uuid(raw.get("id")) in run_ids


def _receipt_base(raw: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """What every receipt of `raw` echoes, and the record id as stored (None when it is not a UUID)."""
    record_id = canonical_uuid(raw.get("id"))
    entity = raw.get("entity")
    # The receipt echoes what the client named, but never stores a client's megabyte of garbage.
    echoed_entity = entity if isinstance(entity, str) and len(entity) <= 32 else None
    return {"mid": raw["mid"], "entity": echoed_entity, "id": record_id or _short(raw.get("id"))}, record_id


def _settle_one(ctx: Context, client_id: str, raw: dict[str, Any], rejected_ids: set[str]) -> dict[str, Any]:
    base, record_id = _receipt_base(raw)
    if record_id in rejected_ids:
        return _rejection(ctx, base, [FieldError("id", "depends_on_rejected")])
    session = ctx.session
    savepoint = session.begin_nested()
    try:
        outcome = _dispatch(ctx, _parse(raw))
        savepoint.commit()
    except Exception as exc:
        savepoint.rollback()
        return _refused(ctx, client_id, raw, exc, rejected_ids)
    return _receipt(base, outcome)


def _settle_many(
    ctx: Context, client_id: str, mutations: list[dict[str, Any]], rejected_ids: set[str]
) -> list[dict[str, Any]]:
    """Settle consecutive mutations as `_settle_one` would, in one savepoint for all of them.

    A savepoint per mutation cost most of an edit's time (each one flushes, then SAVEPOINT and RELEASE):
    here the mutations apply one after another in a single savepoint and flush together. Should any of them
    fail (a refusal, a broken statement at the flush), the savepoint rolls back and they settle one by one,
    so every receipt is the one `_settle_one` gives and a refused mutation still changes nothing.
    """
    if len(mutations) == 1:
        return [_settle_one(ctx, client_id, mutations[0], rejected_ids)]
    session = ctx.session
    receipts = []
    savepoint = session.begin_nested()
    try:
        for raw in mutations:
            base, record_id = _receipt_base(raw)
            if record_id in rejected_ids:
                receipts.append(_rejection(ctx, base, [FieldError("id", "depends_on_rejected")]))
                continue
            receipts.append(_receipt(base, _dispatch(ctx, _parse(raw))))
        savepoint.commit()
    except Exception:
        savepoint.rollback()
        return [_settle_one(ctx, client_id, raw, rejected_ids) for raw in mutations]
    return receipts


def _settle_run(
    ctx: Context, client_id: str, run: list[dict[str, Any]], rejected_ids: set[str]
) -> list[dict[str, Any]]:
    """Settle consecutive creates of one batched entity, and actions on them, as `_settle_one` would, in bulk.

    Each create is checked alone into a row (a broken one is rejected as usual, having written nothing); an
    action on a record the run creates changes that row. The rows are then written in one statement inside
    one savepoint. Should that statement fail (an id already taken, or created twice in the run), the
    savepoint rolls back and the run settles one by one, so every receipt is the one `_settle_one` gives.
    """
    batched = BATCHED_CREATES[run[0]["entity"]]
    receipts: dict[int, dict[str, Any]] = {}
    passed: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []  # every create's row: an id created twice fails the INSERT, as it must
    latest: dict[str, dict[str, Any]] = {}  # by record id, the row an action on that id changes
    for raw in run:
        base, record_id = _receipt_base(raw)
        if record_id in rejected_ids:
            receipts[raw["mid"]] = _rejection(ctx, base, [FieldError("id", "depends_on_rejected")])
            continue
        if raw["op"] == "action" and record_id not in latest:
            # Its create failed unexpectedly: the record is not there, as `_settle_one` finds.
            receipts[raw["mid"]] = _settle_one(ctx, client_id, raw, rejected_ids)
            continue
        try:
            mutation = _parse(raw)
            if mutation.op == "action":
                row = latest[mutation.id]
                batched.actions[mutation.name or ""](ctx, mutation, row)
            else:
                row = latest[mutation.id] = batched.prepare(ctx, mutation)
                rows.append(row)
        except Exception as exc:
            receipts[raw["mid"]] = _refused(ctx, client_id, raw, exc, rejected_ids)
            continue
        passed.append(raw)
        receipts[raw["mid"]] = _receipt(base, Outcome(row["version"]))
    if rows:
        session = ctx.session
        savepoint = session.begin_nested()
        try:
            batched.insert(session, rows)
            savepoint.commit()
        except Exception:
            savepoint.rollback()
            for raw in passed:
                receipts[raw["mid"]] = _settle_one(ctx, client_id, raw, rejected_ids)
    return [receipts[raw["mid"]] for raw in run]


def _refused(
    ctx: Context, client_id: str, raw: dict[str, Any], exc: Exception, rejected_ids: set[str]
) -> dict[str, Any]:
    """The `rejected` receipt of a mutation that raised `exc` (whatever it wrote is already undone)."""
    base, record_id = _receipt_base(raw)
    if not isinstance(exc, FieldgoalError | IntegrityError):
        # A bug must not block the rep's queue for ever: settle it as rejected (they see it and can resend).
        log.error("mutation %s of client %s failed unexpectedly", raw["mid"], client_id, exc_info=exc)
        return _rejection(ctx, base, [FieldError("id", "server_error")])
    resent = False
    if isinstance(exc, IntegrityError):
        # Creates rely on the primary key instead of looking first: a taken id fails the insert.
        exc = InvalidInput.one("id", "already_exists")
        # Taken by the sender's own record, the create was theirs already: what follows it applies to it.
        resent = record_id is not None and taken_by_actor(ctx, raw["entity"], record_id)
    errors = exc.errors or [FieldError("id" if isinstance(exc, NotFound) else "op", exc.code, exc.params)]
    if raw.get("op") == "create" and record_id is not None and not resent:
        ctx.session.merge(RejectedCreate(client_id=client_id, record_id=record_id))
        rejected_ids.add(record_id)
    return _rejection(ctx, base, errors)


_MUTATION_RULES = {k: v for k, v in MUTATION.items() if v is not None}


def _parse(raw: dict[str, Any]) -> Mutation:
    spec = _MUTATION_RULES
    values = validate({k: v for k, v in raw.items() if k in spec}, spec)
    unknown = [k for k in raw if k not in MUTATION]
    if unknown:
        raise InvalidInput(errors=[FieldError(k[:100], "unknown_field") for k in unknown])
    for name in ("fields", "args"):
        if name in raw and not isinstance(raw[name], dict):
            raise InvalidInput.one(name, "wrong_type", expected="object")
    return Mutation(
        entity=values["entity"],
        op=values["op"],
        id=values["id"],
        fields=raw.get("fields") or {},
        base_version=values.get("base_version"),
        name=values.get("name"),
        args=raw.get("args") or {},
    )


def _dispatch(ctx: Context, m: Mutation) -> Outcome:
    if m.entity in READ_ONLY:
        raise InvalidInput.one("entity", "read_only")
    if m.entity not in HANDLERS:
        raise InvalidInput.one("entity", "invalid_choice", choices=", ".join(HANDLERS))
    if m.op not in WRITABLE_OPS[m.entity]:
        raise InvalidInput.one("op", "invalid_op")
    if m.op == "action" and m.name not in ACTIONS.get(m.entity, ()):
        raise InvalidInput.one("name", "invalid_choice", choices=", ".join(ACTIONS.get(m.entity, ())))
    if m.op == "update" and not m.fields:
        raise InvalidInput.one("fields", "required")
    return HANDLERS[m.entity](ctx, m)


def _rejection(ctx: Context, base: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    return {**base, "status": "rejected", "errors": [e.render(ctx.actor.locale) for e in errors]}


def _receipt(base: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    result = {**base, "version": outcome.version}
    if not outcome.applied:
        result["status"] = "conflict"
    elif outcome.merged:
        result["status"] = "merged"
    else:
        result["status"] = "applied"
    if outcome.conflicts or result["status"] != "applied":
        result["conflicts"] = [c.receipt() for c in outcome.conflicts]
    if outcome.amendment_id:
        result["amendment_id"] = outcome.amendment_id
    return result
