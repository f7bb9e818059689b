"""Garbage sent to `POST /api/v1/sync` by a signed-in rep: never a 5xx, always a clear answer, nothing changed.

A phone with a bug, an old app, or someone poking the API by hand sends wrong types everywhere, huge and
invalid text, enormous integers, NaN, unknown entities and ops, ids of other people's records, read-only
entities and missing fields. SYNC.md rules 3, 4, 9 and 11, and the "garbage reaching PostgreSQL" trap:
the server answers either 200 with a `rejected` receipt per mutation (each with `errors` of
`{field, code, message}`) or a 4xx problem-details document with an `errors` list, never a 5xx, and it
changes nothing it should not. Every generated mutation is invalid in at least one way that rejects it
whatever its other parts say, so after any request the domain tables must be exactly as before.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from backend.models import metadata
from backend.sync.models import SyncReceipt
from tests.conftest import Api
from tests.sync.helpers import Phone

# Rows no request of a rep may change by sending garbage (sync_client, sync_receipt and
# sync_rejected_create record the settling of the rejected mutations; auth_token its last use).
GUARDED = (
    "customer",
    "visit",
    "opportunity",
    "amendment",
    "notification",
    "conflict",
    "change_log",
    "sync_state",
    "audit_entry",
    "user",
    "unit",
)
FRESH = "<a new client id>"
READ_ONLY = ("goal", "progress", "conflict", "badge", "user", "unit", "review", "plan")
PROBLEM = "application/problem+json"


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables = {t.name: t for t in metadata.sorted_tables}
    with Session(engine) as session:
        return {
            name: sorted((tuple(row) for row in session.execute(select(tables[name]))), key=repr)
            for name in GUARDED
            if name in tables
        }


def receipt_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(SyncReceipt)).scalar_one())


def post_raw(api: Api, content: bytes) -> Any:
    return api.client.post(
        "/api/v1/sync", content=content, headers=api.headers({"Content-Type": "application/json"})
    )


def encode(body: Any) -> bytes:
    """JSON as a sloppy client writes it: NaN and Infinity as bare words, lone surrogates as \\u escapes."""
    return json.dumps(body, allow_nan=True).encode()


def check_problem(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:2000])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    problem: dict[str, Any] = response.json()
    assert problem["status"] == response.status_code
    assert isinstance(problem["code"], str) and isinstance(problem["title"], str)
    assert isinstance(problem["errors"], list)
    for error in problem["errors"]:
        assert set(error) == {"field", "code", "message"}, error
        # `field` names what the client sent, so it is "" for a key "" (an unknown field).
        assert isinstance(error["field"], str), error
        assert all(isinstance(error[k], str) and error[k] for k in ("code", "message")), error
    return problem


def check_rejected(result: dict[str, Any]) -> None:
    assert result["status"] == "rejected", result
    assert result["errors"], result
    for error in result["errors"]:
        assert set(error) == {"field", "code", "message"}, error
        # `field` names what the client sent, so it is "" for a key "" (an unknown field).
        assert isinstance(error["field"], str), error
        assert all(isinstance(error[k], str) and error[k] for k in ("code", "message")), error


@dataclass
class World:
    """Records that exist before the garbage arrives: the sender's own, and rep3's (another team)."""

    sender: Api
    own: dict[str, list[str]]
    foreign: dict[str, list[str]]
    notification: str


def build_worlds(sign_in: Callable[[str], Api]) -> list[World]:
    """rep1 (English) and rep2 (Chinese) each own a customer, a draft and an approved visit, an
    opportunity and a notification; rep3 (another team) the same."""

    def seed(who: str) -> tuple[Phone, dict[str, list[str]]]:
        p = Phone(sign_in(f"{who}@example.com"))
        customer, draft, submitted, opportunity = (str(uuid.uuid4()) for _ in range(4))
        visit = {"customer_id": customer, "check_in_at": "2026-11-19T09:30:00+08:00", "satisfaction": 4}
        p.queue_mutation(
            "customer", "create", customer, fields={"name": f"{who} 华东五金", "lat": 31.2, "lon": 121.4}
        )
        p.queue_mutation("visit", "create", draft, fields=visit | {"notes": "draft"})
        p.queue_mutation("visit", "create", submitted, fields=visit | {"notes": "to review"})
        p.queue_mutation("visit", "action", submitted, name="submit")
        p.queue_mutation("opportunity", "create", opportunity, fields={"customer_id": customer, "amount": "10.00"})
        p.sync()
        assert {r["status"] for r in p.receipts} == {"applied"}, p.receipts
        return p, {"customer": [customer], "visit": [draft, submitted], "opportunity": [opportunity]}

    seeded = {who: seed(who) for who in ("rep1", "rep2", "rep3")}
    for lead, reps in (("lead1", ("rep1", "rep2")), ("lead2", ("rep3",))):
        reviewer = Phone(sign_in(f"{lead}@example.com"))
        reviewer.sync()
        for rep in reps:
            submitted = seeded[rep][1]["visit"][1]
            reviewer.queue_mutation("visit", "action", submitted, name="approve", base_version=2, args={})
        reviewer.sync()
        assert reviewer.receipts[-1]["status"] == "applied", reviewer.receipts
    worlds = []
    for who in ("rep1", "rep2"):
        phone, own = seeded[who]
        phone.sync()
        (notification,) = phone.of("notification")
        worlds.append(World(phone.api, own, seeded["rep3"][1], notification))
    return worlds


# --- the garbage ------------------------------------------------------------------------------------------


def huge_text(min_size: int = 4001) -> st.SearchStrategy[str]:
    """Long text, built cheaply (Hypothesis would spend its whole buffer drawing 4,000 characters)."""
    return st.tuples(
        st.sampled_from(["a", "华", "🙂", "\x00", "a\x00", " "]), st.integers(min_size, min_size + 3000)
    ).map(lambda t: (t[0] * t[1])[: max(min_size, t[1])])


big_ints = st.sampled_from([2**31, 2**53, 2**63, 2**63 - 1, 2**64, -(2**63), -1, 0, 10**30])
junk_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    big_ints,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", " ", "\x00", "null", "1", "true", "NaN", "2026-13-45", "0x10"]),
)
junk = st.recursive(
    junk_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
uuids = st.uuids().map(str)
plausible_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
moments = st.sampled_from(["2026-11-19T09:30:00+08:00", "2026-11-20T01:00:00Z"])
ENTITIES = ("customer", "visit", "opportunity", "notification", "amendment")
ACTION_NAMES = ("submit", "approve", "reject", "advance", "read", "accept", "refuse")


def plausible_fields(world: World) -> st.SearchStrategy[dict[str, Any]]:
    """Fields that are fine on their own (for customers, visits or opportunities): the mutation is invalid
    because of its poison, not because of these. A poison with fields of its own keeps those that fit."""
    return st.fixed_dictionaries(
        {},
        optional={
            "name": plausible_text.filter(str.strip),
            "customer_id": st.sampled_from(world.own["customer"]),
            "check_in_at": moments,
            "notes": plausible_text,
            "satisfaction": st.integers(1, 5),
            "lat": st.floats(-90, 90),
            "amount": st.sampled_from(["1.00", "12000.50"]),
            "title": plausible_text,
        },
    )


def base_mutation(world: World) -> st.SearchStrategy[dict[str, Any]]:
    own_ids = [rid for ids in world.own.values() for rid in ids] + [world.notification]
    return st.fixed_dictionaries(
        {
            "entity": st.sampled_from(ENTITIES),
            "op": st.sampled_from(("create", "update", "delete", "action")),
            "id": st.one_of(uuids, st.sampled_from(own_ids)),
        },
        optional={
            "fields": plausible_fields(world),
            "base_version": st.integers(1, 4),
            "name": st.sampled_from(ACTION_NAMES),
            "args": st.fixed_dictionaries({}, optional={"comment": plausible_text, "stage": st.just("won")}),
            "base": st.dictionaries(st.text(max_size=5), junk_scalars, max_size=2),
        },
    )


def bad_values(world: World) -> dict[str, st.SearchStrategy[Any]]:
    """Field -> values its rule refuses (wrong type, out of range, invalid text, too long, in the future)."""
    texts = st.one_of(
        huge_text(),
        st.text(max_size=5).map(lambda s: s + "\x00"),
        st.sampled_from([7, True, 1.5, [], {}, ["x"], {"zh": "x"}]),
    )
    numbers = st.sampled_from([True, False, "31.2", "", [], {}, [1], {"v": 1}, 1e308, -1e308, 2**63, -(2**63)])
    moments = st.one_of(
        huge_text(41),
        st.sampled_from(
            [
                "2026-11-19",
                "2026-11-19T09:30:00",
                "09:30",
                "2026-13-45T09:30:00+08:00",
                "1999-12-31T23:00:00Z",
                "2027-01-01T00:00:00+08:00",  # in the future
                20261119,
                True,
                [],
            ]
        ),
    )
    days = st.sampled_from(["2026-13-45", "2026/11/19", "19.11.2026", "1999-01-01", "2101-01-01", 20261119, True])
    customer_ids = st.one_of(uuids, st.sampled_from([*world.foreign["customer"], "x", "", 42, True, []]))
    return {
        "name": st.one_of(texts, st.sampled_from(["", "   ", "a" * 201])),
        "notes": texts,
        "purpose": st.one_of(texts, st.just("p" * 201)),
        "address": texts,
        "contact": st.one_of(texts, st.just("c" * 201)),
        "phone": st.one_of(texts, st.just("1" * 65)),
        "title": st.one_of(texts, st.just("t" * 201)),
        "satisfaction": st.one_of(numbers, st.sampled_from([0, 6, -1, 5.0, 4.5, "5", 2**31])),
        "lat": st.one_of(numbers, st.sampled_from([90.5, -91, 1000])),
        "lon": st.one_of(numbers, st.sampled_from([180.5, -181])),
        "accuracy_m": st.one_of(numbers, st.sampled_from([-1, 100_001])),
        "outcome": st.sampled_from(["sold", "", "FOLLOW_UP", 1, True, None, ["ordered"]]),
        "check_in_at": moments,
        "check_out_at": moments.filter(lambda v: v is not None),
        "next_follow_up_on": days,
        "expected_close_on": days,
        "customer_id": customer_ids,
        "opportunity_id": st.sampled_from(["x", 42, True, []]),
        "amount": st.sampled_from([12.5, 12, "1.005", "-1", "abc", "NaN", "Infinity", "1" * 40, True, None, ""]),
    }


def field_poison(world: World) -> st.SearchStrategy[dict[str, Any]]:
    """A create or an update of a customer, visit or opportunity with one field its rule refuses.

    A field of another entity, a server-only field or an unknown name is refused too (`unknown_field`,
    `not_writable`). `null` is refused only where a value is required, so it comes only for those.
    """
    by_field = bad_values(world)
    required_null = st.sampled_from(["name", "customer_id", "check_in_at"]).map(lambda k: (k, None))
    broken = st.one_of(
        st.sampled_from(sorted(by_field)).flatmap(lambda k: by_field[k].map(lambda v: (k, v))),
        st.tuples(st.sampled_from(["owner_id", "status", "rep_id", "stage", "version", "id", "zzz", ""]), junk),
    )

    def build(t: tuple[str, str, tuple[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        entity, op, (name, value) = t
        mutation = {"entity": entity, "op": op, "fields": {name: value}}
        if op == "create":
            return st.just(mutation)
        # An update of the sender's own record, so that its fields are read at all.
        return st.sampled_from(world.own[entity]).map(lambda rid: mutation | {"id": rid, "base_version": 1})

    return (
        st.tuples(
            st.sampled_from(("customer", "visit", "opportunity")),
            st.sampled_from(("create", "update")),
            st.one_of(broken, required_null),
        )
        .filter(lambda t: _refused(t[0], *t[2]))
        .flatmap(build)
    )


FIELDS_OF = {
    "customer": {"name", "address", "contact", "phone", "lat", "lon"},
    "visit": {
        "customer_id",
        "opportunity_id",
        "check_in_at",
        "check_out_at",
        "lat",
        "lon",
        "accuracy_m",
        "purpose",
        "outcome",
        "satisfaction",
        "notes",
        "next_follow_up_on",
    },
    "opportunity": {"customer_id", "title", "amount", "expected_close_on"},
}
NOT_NULL = {"name", "customer_id", "check_in_at"}


def _refused(entity: str, name: str, value: Any) -> bool:
    """Whether this field value is refused whatever else the mutation says (a create refuses nulls of
    required fields; an update would take a null of an optional one, so those are left out)."""
    if name not in FIELDS_OF[entity]:
        return True
    if value is None:
        return name in NOT_NULL
    if name == "outcome":
        return value not in ("follow_up", "interested", "not_interested", "ordered")
    return True


def poisons(world: World) -> st.SearchStrategy[dict[str, Any]]:
    """Changes each of which rejects a mutation, whatever the rest of it says.

    Half of them break a field, so that every field rule is reached (after the entity, op, id and
    base_version have passed)."""
    return st.one_of(field_poison(world), mutation_poison(world))


def mutation_poison(world: World) -> st.SearchStrategy[dict[str, Any]]:
    """A broken part of the mutation itself, someone else's record, or an advance with broken args."""
    foreign_ids = [(entity, rid) for entity, ids in world.foreign.items() for rid in ids]
    not_a_uuid = st.one_of(
        junk.filter(lambda v: not isinstance(v, str)),
        st.text(max_size=80).filter(lambda s: not _is_uuid(s)),
        huge_text(65),
    )
    return st.one_of(
        # The parts of the mutation itself: wrong, unknown, read-only or missing.
        st.one_of(junk, huge_text(33), st.sampled_from([*READ_ONLY, "Customer", "visits", "", "__class__"]))
        .filter(lambda v: v not in ENTITIES)
        .map(lambda v: {"entity": v}),
        st.one_of(junk, st.sampled_from(["insert", "UPDATE", "upsert", "", "approve", "read"]))
        .filter(lambda v: v not in ("create", "update", "delete", "action"))
        .map(lambda v: {"op": v}),
        not_a_uuid.map(lambda v: {"id": v}),
        st.sampled_from([{"id": ...}, {"entity": ...}, {"op": ...}]),  # missing
        st.tuples(st.text(min_size=1, max_size=10).filter(lambda k: k not in MUTATION_KEYS), junk).map(
            lambda t: {t[0]: t[1]}
        ),
        junk.filter(lambda v: not isinstance(v, dict)).map(lambda v: {"fields": v}),
        junk.filter(lambda v: not isinstance(v, dict)).map(lambda v: {"args": v}),
        st.one_of(
            st.booleans(),
            st.floats(),
            st.text(max_size=5),
            big_ints.filter(lambda n: n < 1 or n >= 2**31),
            st.lists(st.integers(1, 3), max_size=2),
        ).map(lambda v: {"base_version": v}),
        st.one_of(junk.filter(lambda v: v is not None and not isinstance(v, str)), huge_text(33)).map(
            lambda v: {"name": v}
        ),
        # Someone else's record: not_found, exactly as for an id that never existed.
        st.tuples(st.sampled_from(foreign_ids), st.sampled_from(("update", "delete", "action"))).map(
            lambda t: {"entity": t[0][0], "id": t[0][1], "op": t[1]}
        ),
        # An advance with broken args.
        st.one_of(
            st.just({"stage": "closed", "at": "2026-11-19T09:30:00+08:00"}),
            st.just({"stage": "won"}),
            st.just({"at": "2026-11-19T09:30:00+08:00"}),
            bad_values(world)["check_in_at"].map(lambda v: {"stage": "won", "at": v}),
            st.just({"stage": "won", "at": "2026-11-19T09:30:00+08:00", "extra": 1}),
            st.just({"stage": None, "at": "2026-11-19T09:30:00+08:00"}),
        ).map(
            lambda args: {
                "entity": "opportunity",
                "op": "action",
                "id": world.own["opportunity"][0],
                "name": "advance",
                "args": args,
            }
        ),
    )


MUTATION_KEYS = {"mid", "entity", "op", "id", "fields", "base", "base_version", "name", "args"}


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def garbage_mutation(world: World) -> st.SearchStrategy[dict[str, Any]]:
    def poisoned(pair: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
        base, poison = pair
        mutation = dict(base)
        for key, value in poison.items():
            if value is ...:
                mutation.pop(key, None)
            else:
                mutation[key] = value
        if isinstance(poison.get("fields"), dict) and isinstance(base.get("fields"), dict):
            # Fine fields of that entity around the broken one: the rule that refuses it must be reached.
            fitting = {k: v for k, v in base["fields"].items() if k in FIELDS_OF[poison["entity"]]}
            mutation["fields"] = {**fitting, **poison["fields"]}
        return mutation

    return st.tuples(base_mutation(world), poisons(world)).map(poisoned)


@dataclass
class Request:
    """One request: a JSON document (maybe a broken envelope), or raw bytes."""

    body: Any = None
    raw: bytes | None = None
    envelope_ok: bool = True  # False: the whole request must be refused with a 4xx

    def content(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if isinstance(self.body, dict) and self.body.get("client_id") == FRESH:
            self.body["client_id"] = str(uuid.uuid4())
        return encode(self.body)

    @property
    def strict_json(self) -> bool:
        """No NaN, no Infinity and no lone surrogate: a JSON parser must accept it."""
        return self.raw is None and _strict(self.body)


def _strict(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return not any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, list):
        return all(_strict(v) for v in value)
    if isinstance(value, dict):
        return all(_strict(k) and _strict(v) for k, v in value.items())
    return True


RAW_BODIES = [
    b'{"protocol": 1, "client_id": "abcdefghij", "limit": NaN}',
    b'{"protocol": 1, "client_id": "abcdefghij", "limit": Infinity}',
    b'{"protocol": 1, "client_id": "abcdefghij", "limit": -Infinity}',
    b'{"protocol": 1, "client_id": "abcdefghij", "limit": 1e400}',
    b'{"protocol": 1, "client_id": "abcdefghij", "mutations": [{"mid": NaN}]}',
    b'{"protocol": 1, "client_id": "abcdefghij", "cursor": "\\ud800"}',
    b'{"protocol": 1, "client_id": "abc\xed\xa0\x80defghij"}',  # a surrogate in raw UTF-8: not UTF-8
    b"\xff\xfe{\x00}\x00",  # UTF-16
    b'{"protocol": 1, "client_id": "abcdefghij", "mutations": [',
    b'{"protocol": 1, "client_id": "abcdefghij",}',
    b"\xef\xbb\xbf{}",
    b"",
    b"null",
    b"[]",
    b'"sync"',
    b"1",
    b'{"protocol": 1, "protocol": 2}',
    b"{'protocol': 1}",
]


def requests(world: World) -> st.SearchStrategy[Request]:
    @st.composite
    def valid_envelope(draw: st.DrawFn) -> Request:
        mutations = draw(st.lists(garbage_mutation(world), min_size=1, max_size=5))
        # A fresh client (its id is made when the request is sent): mids from 1, now and then a gap or a
        # mid repeated within the batch.
        mid = 1
        for mutation in mutations:
            mutation["mid"] = mid
            mid += draw(st.sampled_from([1, 1, 1, 1, 1, 0, 2]), label="mid step")
        body: dict[str, Any] = {"protocol": 1, "client_id": FRESH, "mutations": mutations}
        for key, value in draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "cursor": st.one_of(st.none(), st.text(max_size=40).filter(lambda s: "\x00" not in s)),
                    # 0 asks for no page (push only).
                    "limit": st.integers(0, 2**31 - 1),
                    "client_time": moments,
                },
            )
        ).items():
            body[key] = value
        return Request(body)

    @st.composite
    def broken_envelope(draw: st.DrawFn) -> Request:
        body = draw(valid_envelope()).body
        key = draw(
            st.sampled_from(
                ["protocol", "client_id", "cursor", "limit", "client_time", "mutations", "mid", "extra"]
            )
        )
        if key == "protocol":
            body["protocol"] = draw(st.one_of(st.sampled_from(["1", 1.0, True, None, 0, 2, -1, 2**63]), junk))
            if (
                body["protocol"] == 1
                and not isinstance(body["protocol"], bool)
                and isinstance(body["protocol"], int)
            ):
                body["protocol"] = "1"
        elif key == "client_id":
            body["client_id"] = draw(
                st.one_of(junk.filter(lambda v: not isinstance(v, str)), st.text(max_size=7), huge_text(65))
            )
        elif key == "cursor":
            body["cursor"] = draw(
                st.one_of(junk.filter(lambda v: not isinstance(v, str) and v is not None), huge_text(201))
            )
        elif key == "limit":
            body["limit"] = draw(
                st.one_of(
                    st.sampled_from([-1, 2**31, 2**63, "5", True, 1.5]),
                    junk.filter(lambda v: v is not None and (isinstance(v, bool) or not isinstance(v, int))),
                )
            )
        elif key == "client_time":
            body["client_time"] = draw(
                st.one_of(
                    junk.filter(lambda v: v is not None),
                    st.sampled_from(["2026-11-19T09:30:00", "2026-11-19", "yesterday"]),
                )
            )
        elif key == "mutations":
            body["mutations"] = draw(junk.filter(lambda v: not isinstance(v, list) and v is not None))
        elif key == "mid":
            index = draw(st.integers(0, len(body["mutations"]) - 1))
            bad = draw(
                st.one_of(
                    st.sampled_from([True, False, "1", 1.0, 0, -1, 2**53, 2**63, None, ...]),
                    junk.filter(lambda v: isinstance(v, bool) or not isinstance(v, int)),
                )
            )
            if bad is ...:
                del body["mutations"][index]["mid"]
            else:
                body["mutations"][index]["mid"] = bad
        else:
            body[
                draw(
                    st.text(min_size=1, max_size=10).filter(
                        lambda k: k not in ("protocol", "client_id", "client_time", "cursor", "limit", "mutations")
                    )
                )
            ] = draw(junk)
        if draw(st.booleans()) and key != "mutations":
            body = draw(st.sampled_from([[body], body["mutations"], json.dumps(body)]))
        return Request(body, envelope_ok=False)

    return st.one_of(
        valid_envelope(),
        valid_envelope(),
        valid_envelope(),
        broken_envelope(),
        st.sampled_from(RAW_BODIES).map(lambda raw: Request(raw=raw, envelope_ok=False)),
    )


# --- the property -----------------------------------------------------------------------------------------


def test_garbage_never_fails_the_server_nor_changes_anything(
    org: Any, sign_in: Callable[[str], Api], engine: Engine
) -> None:
    worlds = build_worlds(sign_in)  # rep1 gets English messages, rep2 Chinese ones
    before = snapshot(engine)

    @settings(
        max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
    )
    @given(world_and_request=st.sampled_from(worlds).flatmap(lambda w: st.tuples(st.just(w), requests(w))))
    def garbage_in(world_and_request: tuple[World, Request]) -> None:
        world, request = world_and_request
        sender = world.sender
        receipts = receipt_count(engine)
        response = post_raw(sender, request.content())
        assert response.status_code < 500, response.text[:2000]
        if response.status_code != 200:
            problem = check_problem(response)
            assert receipt_count(engine) == receipts, "a refused request settled something"
            assert not (request.envelope_ok and request.strict_json), f"a valid envelope was refused: {problem}"
        else:
            assert request.envelope_ok and request.strict_json, request
            body = response.json()
            mutations = request.body["mutations"]
            settled = 0
            for mutation, result in zip(mutations, body["results"], strict=False):
                assert result["mid"] == mutation["mid"], (mutation, result)
                if result["status"] == "rejected":
                    check_rejected(result)
                    settled += 1
                else:
                    assert result["status"] in ("duplicate", "gap"), (mutation, result)
                    if result["status"] == "duplicate":
                        check_rejected(result["original"])
            assert receipt_count(engine) == receipts + settled
        assert snapshot(engine) == before, "garbage changed stored data"

    garbage_in()


# --- one category at a time, with exact answers ------------------------------------------------------------


@pytest.fixture
def world(org: Any, sign_in: Callable[[str], Api]) -> World:
    return build_worlds(sign_in)[0]  # rep1's


def sync_as(world: World, *mutations: dict[str, Any]) -> Any:
    body = {
        "protocol": 1,
        "client_id": str(uuid.uuid4()),
        "mutations": [{"mid": i + 1, **m} for i, m in enumerate(mutations)],
    }
    return post_raw(world.sender, encode(body))


def test_a_mid_that_is_not_a_positive_integer_refuses_the_whole_request(world: World, engine: Engine) -> None:
    before, receipts = snapshot(engine), receipt_count(engine)
    good = {"entity": "customer", "op": "create", "id": str(uuid.uuid4()), "fields": {"name": "x"}}
    for mid in (True, False, "1", 1.0, 0, -1, 2**53, 2**63, None, [1], {"mid": 1}):
        mutations = [{**good, "mid": mid}, {**good, "mid": 2}]
        response = post_raw(
            world.sender, encode({"protocol": 1, "client_id": str(uuid.uuid4()), "mutations": mutations})
        )
        problem = check_problem(response)
        assert (response.status_code, problem["code"]) == (400, "malformed_request"), mid
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [("mutations[0].mid", "wrong_type")], mid
    assert (snapshot(engine), receipt_count(engine)) == (before, receipts)


@pytest.mark.parametrize(
    "body",
    [
        b'{"protocol": 1, "client_id": "abcdefghij", "limit": NaN}',
        b'{"protocol": 1, "client_id": "abcdefghij", "limit": Infinity}',
        b'{"protocol": 1, "client_id": "abcdefghij", "mutations": [{"mid": 1, "entity": "customer", "op": "create",'
        b' "id": "2f1c5a8e-0b4e-4a57-9d7e-3c1f6f0b2a11", "fields": {"name": "x", "lat": -Infinity}}]}',
        b'{"protocol": 1, "client_id": "abcdefghij", "mutations": [{"mid": NaN}]}',
    ],
)
def test_nan_and_infinity_are_not_json(world: World, engine: Engine, body: bytes) -> None:
    before, receipts = snapshot(engine), receipt_count(engine)
    problem = check_problem(post_raw(world.sender, body))
    assert (problem["status"], problem["code"]) == (400, "malformed_request")
    assert (snapshot(engine), receipt_count(engine)) == (before, receipts)


def _own(world: World, entity: str, index: int = 0) -> dict[str, Any]:
    return {"entity": entity, "id": world.own[entity][index]}


# (what to send, given rep1's own records) -> the (field, code) of the rejection
CASES: list[tuple[str, Callable[[World], dict[str, Any]], tuple[str, str]]] = [
    # wrong types and ranges in the mutation's own parts
    (
        "base_version bool",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": True, "fields": {"notes": "n"}},
        ("base_version", "wrong_type"),
    ),
    (
        "base_version text",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": "1", "fields": {"notes": "n"}},
        ("base_version", "wrong_type"),
    ),
    (
        "base_version float",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1.0, "fields": {"notes": "n"}},
        ("base_version", "wrong_type"),
    ),
    (
        "base_version 0",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 0, "fields": {"notes": "n"}},
        ("base_version", "out_of_range"),
    ),
    (
        "base_version -1",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": -1, "fields": {"notes": "n"}},
        ("base_version", "out_of_range"),
    ),
    (
        "base_version 2**63",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 2**63, "fields": {"notes": "n"}},
        ("base_version", "out_of_range"),
    ),
    (
        "base_version ahead",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 9, "fields": {"notes": "n"}},
        ("base_version", "out_of_range"),
    ),
    (
        "id not a uuid",
        lambda w: {"entity": "customer", "op": "create", "id": "42", "fields": {"name": "x"}},
        ("id", "wrong_type"),
    ),
    (
        "id an integer",
        lambda w: {"entity": "customer", "op": "create", "id": 42, "fields": {"name": "x"}},
        ("id", "wrong_type"),
    ),
    (
        "fields a list",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": [["notes", "n"]]},
        ("fields", "wrong_type"),
    ),
    (
        "fields null",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": None},
        ("fields", "wrong_type"),
    ),
    (
        "args a string",
        lambda w: _own(w, "opportunity") | {"op": "action", "name": "advance", "args": "won"},
        ("args", "wrong_type"),
    ),
    (
        "unknown key",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": {"notes": "n"}, "force": True},
        ("force", "unknown_field"),
    ),
    # fields: wrong types, ranges, text rules, server-only and unknown fields
    (
        "satisfaction bool",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": {"satisfaction": True}},
        ("satisfaction", "wrong_type"),
    ),
    (
        "satisfaction text",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": {"satisfaction": "5"}},
        ("satisfaction", "wrong_type"),
    ),
    (
        "satisfaction float",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": {"satisfaction": 5.0}},
        ("satisfaction", "wrong_type"),
    ),
    (
        "satisfaction 6",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": {"satisfaction": 6}},
        ("satisfaction", "out_of_range"),
    ),
    (
        "satisfaction 2**63",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": {"satisfaction": 2**63}},
        ("satisfaction", "out_of_range"),
    ),
    (
        "lat text",
        lambda w: _own(w, "customer") | {"op": "update", "base_version": 1, "fields": {"lat": "31.2"}},
        ("lat", "wrong_type"),
    ),
    (
        "lat huge",
        lambda w: _own(w, "customer") | {"op": "update", "base_version": 1, "fields": {"lat": 1e308}},
        ("lat", "out_of_range"),
    ),
    (
        "lat object",
        lambda w: _own(w, "customer") | {"op": "update", "base_version": 1, "fields": {"lat": {"v": 31}}},
        ("lat", "wrong_type"),
    ),
    (
        "notes 4001",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": {"notes": "记" * 4001}},
        ("notes", "too_long"),
    ),
    (
        "notes NUL",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": {"notes": "a\x00b"}},
        ("notes", "invalid_text"),
    ),
    (
        "name 201",
        lambda w: _own(w, "customer") | {"op": "update", "base_version": 1, "fields": {"name": "n" * 201}},
        ("name", "too_long"),
    ),
    (
        "name blank",
        lambda w: _own(w, "customer") | {"op": "update", "base_version": 1, "fields": {"name": "   "}},
        ("name", "required"),
    ),
    (
        "name null",
        lambda w: _own(w, "customer") | {"op": "update", "base_version": 1, "fields": {"name": None}},
        ("name", "required"),
    ),
    (
        "check_in_at no offset",
        lambda w: (
            _own(w, "visit")
            | {"op": "update", "base_version": 1, "fields": {"check_in_at": "2026-11-19T09:30:00"}}
        ),
        ("check_in_at", "wrong_type"),
    ),
    (
        "check_in_at future",
        lambda w: (
            _own(w, "visit")
            | {"op": "update", "base_version": 1, "fields": {"check_in_at": "2027-01-01T09:30:00+08:00"}}
        ),
        ("check_in_at", "time_in_future"),
    ),
    (
        "amount float",
        lambda w: _own(w, "opportunity") | {"op": "update", "base_version": 1, "fields": {"amount": 12.5}},
        ("amount", "wrong_type"),
    ),
    (
        "amount 3 decimals",
        lambda w: _own(w, "opportunity") | {"op": "update", "base_version": 1, "fields": {"amount": "1.005"}},
        ("amount", "wrong_type"),
    ),
    (
        "server-only status",
        lambda w: _own(w, "visit") | {"op": "update", "base_version": 1, "fields": {"status": "approved"}},
        ("status", "not_writable"),
    ),
    (
        "server-only owner",
        lambda w: {
            "entity": "customer",
            "op": "create",
            "id": str(uuid.uuid4()),
            "fields": {"name": "x", "owner_id": w.own["customer"][0]},
        },
        ("owner_id", "not_writable"),
    ),
    (
        "unknown field",
        lambda w: _own(w, "customer") | {"op": "update", "base_version": 1, "fields": {"vip": True}},
        ("vip", "unknown_field"),
    ),
    # missing parts
    ("no id", lambda w: {"entity": "customer", "op": "create", "fields": {"name": "x"}}, ("id", "required")),
    (
        "no entity",
        lambda w: {"op": "create", "id": str(uuid.uuid4()), "fields": {"name": "x"}},
        ("entity", "required"),
    ),
    (
        "no op",
        lambda w: {"entity": "customer", "id": str(uuid.uuid4()), "fields": {"name": "x"}},
        ("op", "required"),
    ),
    (
        "no name",
        lambda w: {"entity": "customer", "op": "create", "id": str(uuid.uuid4()), "fields": {"phone": "1"}},
        ("name", "required"),
    ),
    ("no fields", lambda w: {"entity": "customer", "op": "create", "id": str(uuid.uuid4())}, ("name", "required")),
    (
        "no check_in_at",
        lambda w: {
            "entity": "visit",
            "op": "create",
            "id": str(uuid.uuid4()),
            "fields": {"customer_id": w.own["customer"][0]},
        },
        ("check_in_at", "required"),
    ),
    (
        "no base_version",
        lambda w: _own(w, "customer") | {"op": "update", "fields": {"name": "y"}},
        ("base_version", "required"),
    ),
    (
        "empty update",
        lambda w: _own(w, "customer") | {"op": "update", "base_version": 1, "fields": {}},
        ("fields", "required"),
    ),
    (
        "no stage",
        lambda w: (
            _own(w, "opportunity")
            | {"op": "action", "name": "advance", "args": {"at": "2026-11-19T09:30:00+08:00"}}
        ),
        ("args.stage", "required"),
    ),
    # unknown entities and ops, read-only entities
    (
        "unknown entity",
        lambda w: {"entity": "spaceship", "op": "create", "id": str(uuid.uuid4())},
        ("entity", "invalid_choice"),
    ),
    (
        "entity an integer",
        lambda w: {"entity": 7, "op": "create", "id": str(uuid.uuid4())},
        ("entity", "wrong_type"),
    ),
    (
        "entity huge",
        lambda w: {"entity": "e" * 5000, "op": "create", "id": str(uuid.uuid4())},
        ("entity", "too_long"),
    ),
    (
        "unknown op",
        lambda w: _own(w, "customer") | {"op": "upsert", "fields": {"name": "y"}},
        ("op", "invalid_choice"),
    ),
    (
        "op of another entity",
        lambda w: _own(w, "opportunity") | {"op": "delete", "base_version": 1},
        ("op", "invalid_op"),
    ),
    (
        "notification update",
        lambda w: {
            "entity": "notification",
            "id": w.notification,
            "op": "update",
            "base_version": 1,
            "fields": {"read_at": "2026-11-19T09:30:00+08:00"},
        },
        ("op", "invalid_op"),
    ),
    (
        "unknown action",
        lambda w: _own(w, "visit") | {"op": "action", "name": "approve_all"},
        ("name", "invalid_choice"),
    ),
    *[
        (
            f"read-only {entity}",
            lambda w, e=entity: {
                "entity": e,
                "op": "update",
                "id": str(uuid.uuid4()),
                "base_version": 1,
                "fields": {"target": 1},
            },
            ("entity", "read_only"),
        )
        for entity in READ_ONLY
    ],
    # what the rep may see but not do
    (
        "rep approves own visit",
        lambda w: _own(w, "visit", 1) | {"op": "action", "name": "approve", "base_version": 3},
        ("op", "forbidden"),
    ),
    (
        "delete an approved visit",
        lambda w: _own(w, "visit", 1) | {"op": "delete", "base_version": 3},
        ("status", "invalid_state"),
    ),
]


def _first_errors(
    world: World, cases: list[tuple[str, Callable[[World], dict[str, Any]], tuple[str, str]]]
) -> dict[str, Any]:
    """Each case sent alone by a new client: case name -> (field, code) of its rejection's first error."""
    answers: dict[str, Any] = {}
    for name, make, _ in cases:
        response = sync_as(world, make(world))
        assert response.status_code == 200, (name, response.text[:500])
        (result,) = response.json()["results"]
        check_rejected(result)
        answers[name] = (result["errors"][0]["field"], result["errors"][0]["code"])
    return answers


def test_each_kind_of_garbage_is_rejected_by_field_and_changes_nothing(world: World, engine: Engine) -> None:
    before, receipts = snapshot(engine), receipt_count(engine)
    assert _first_errors(world, CASES) == {name: expected for name, _, expected in CASES}
    assert snapshot(engine) == before
    assert receipt_count(engine) == receipts + len(CASES)


FOREIGN: list[tuple[str, Callable[[World], dict[str, Any]], tuple[str, str]]] = [
    (
        "update customer",
        lambda w: {
            "entity": "customer",
            "id": w.foreign["customer"][0],
            "op": "update",
            "base_version": 1,
            "fields": {"name": "mine"},
        },
        ("id", "not_found"),
    ),
    (
        "delete customer",
        lambda w: {"entity": "customer", "id": w.foreign["customer"][0], "op": "delete", "base_version": 1},
        ("id", "not_found"),
    ),
    (
        "update visit",
        lambda w: {
            "entity": "visit",
            "id": w.foreign["visit"][0],
            "op": "update",
            "base_version": 1,
            "fields": {"notes": "mine"},
        },
        ("id", "not_found"),
    ),
    (
        "delete draft visit",
        lambda w: {"entity": "visit", "id": w.foreign["visit"][0], "op": "delete", "base_version": 1},
        ("id", "not_found"),
    ),
    (
        "submit visit",
        lambda w: {"entity": "visit", "id": w.foreign["visit"][0], "op": "action", "name": "submit"},
        ("id", "not_found"),
    ),
    (
        "approve visit",
        lambda w: {
            "entity": "visit",
            "id": w.foreign["visit"][1],
            "op": "action",
            "name": "reject",
            "args": {"comment": "x"},
        },
        ("id", "not_found"),
    ),
    (
        "advance opportunity",
        lambda w: {
            "entity": "opportunity",
            "id": w.foreign["opportunity"][0],
            "op": "action",
            "name": "advance",
            "args": {"stage": "won", "at": "2026-11-19T09:30:00+08:00"},
        },
        ("id", "not_found"),
    ),
    (
        "visit to their customer",
        lambda w: {
            "entity": "visit",
            "id": str(uuid.uuid4()),
            "op": "create",
            "fields": {"customer_id": w.foreign["customer"][0], "check_in_at": "2026-11-19T09:30:00+08:00"},
        },
        ("customer_id", "not_found"),
    ),
    (
        "opportunity of their customer",
        lambda w: {
            "entity": "opportunity",
            "id": str(uuid.uuid4()),
            "op": "create",
            "fields": {"customer_id": w.foreign["customer"][0]},
        },
        ("customer_id", "not_found"),
    ),
    (
        "my visit moved to their customer",
        lambda w: (
            _own(w, "visit")
            | {"op": "update", "base_version": 1, "fields": {"customer_id": w.foreign["customer"][0]}}
        ),
        ("customer_id", "not_found"),
    ),
]


def test_other_peoples_records_are_not_found_and_stay_untouched(world: World, engine: Engine) -> None:
    before = snapshot(engine)
    assert _first_errors(world, FOREIGN) == {name: expected for name, _, expected in FOREIGN}
    assert snapshot(engine) == before


def test_huge_text_in_every_text_field_is_rejected_not_truncated(world: World, engine: Engine) -> None:
    before = snapshot(engine)
    huge = "华" * 4001
    response = sync_as(
        world,
        _own(world, "visit") | {"op": "update", "base_version": 1, "fields": {"notes": huge, "purpose": huge}},
        _own(world, "customer")
        | {"op": "update", "base_version": 1, "fields": {"address": huge, "contact": "c\x00"}},
    )
    visit, customer = response.json()["results"]
    assert sorted((e["field"], e["code"]) for e in visit["errors"]) == [
        ("notes", "too_long"),
        ("purpose", "too_long"),
    ]
    assert sorted((e["field"], e["code"]) for e in customer["errors"]) == [
        ("address", "too_long"),
        ("contact", "invalid_text"),
    ]
    assert snapshot(engine) == before


def test_messages_follow_the_senders_language(org: Any, sign_in: Callable[[str], Api], engine: Engine) -> None:
    rep2 = build_worlds(sign_in)[1]
    (result,) = sync_as(
        rep2, _own(rep2, "visit") | {"op": "update", "base_version": 1, "fields": {"satisfaction": 9}}
    ).json()["results"]
    assert result["errors"] == [{"field": "satisfaction", "code": "out_of_range", "message": "必须在 1 到 5 之间"}]


# --- server bugs the garbage found, kept as regressions ---------------------------------------------------


def test_deeply_nested_json_is_a_400(world: World, engine: Engine) -> None:
    receipts = receipt_count(engine)
    problem = check_problem(post_raw(world.sender, b"[" * 5000 + b"]" * 5000))
    assert (problem["status"], problem["code"]) == (400, "malformed_request")
    assert receipt_count(engine) == receipts


def test_a_body_that_is_not_utf8_is_a_400(world: World, engine: Engine) -> None:
    problem = check_problem(post_raw(world.sender, b'{"protocol": 1, "client_id": "abc\xed\xa0\x80defghij"}'))
    assert (problem["status"], problem["code"]) == (400, "malformed_request")


def test_a_nul_in_an_id_is_rejected(world: World, engine: Engine) -> None:
    before = snapshot(engine)
    response = sync_as(
        world,
        {"entity": "customer", "op": "create", "id": "a\x00b", "fields": {"name": "x"}},
        {"entity": "customer", "op": "update", "id": "\x00", "base_version": 1, "fields": {"name": "x"}},
    )
    assert response.status_code == 200, response.text[:500]
    results = response.json()["results"]
    for result in results:
        check_rejected(result)
    assert [(r["errors"][0]["field"], r["errors"][0]["code"]) for r in results] == [("id", "wrong_type")] * 2
    assert snapshot(engine) == before


@pytest.mark.parametrize("whose", ["rep3's", "nobody's"])
def test_a_visit_cannot_point_at_an_opportunity_outside_the_reps_scope(
    world: World, engine: Engine, whose: str
) -> None:
    before = snapshot(engine)
    opportunity = world.foreign["opportunity"][0] if whose == "rep3's" else str(uuid.uuid4())
    fields = {"customer_id": world.own["customer"][0], "check_in_at": "2026-11-19T09:30:00+08:00"}
    response = sync_as(
        world,
        {
            "entity": "visit",
            "op": "create",
            "id": str(uuid.uuid4()),
            "fields": fields | {"opportunity_id": opportunity},
        },
        _own(world, "visit") | {"op": "update", "base_version": 1, "fields": {"opportunity_id": opportunity}},
    )
    results = response.json()["results"]
    assert [(r["status"], r["errors"][0]["field"], r["errors"][0]["code"]) for r in results if "errors" in r] == [
        ("rejected", "opportunity_id", "not_found")
    ] * 2, results
    assert snapshot(engine) == before


def test_a_mid_repeated_within_a_batch_answers_its_receipt(world: World) -> None:
    rejected = {"mid": 1, "entity": "spaceship", "op": "update", "id": str(uuid.uuid4())}
    response = post_raw(
        world.sender, encode({"protocol": 1, "client_id": str(uuid.uuid4()), "mutations": [rejected, rejected]})
    )
    first, again = response.json()["results"]
    check_rejected(first)
    assert again == {"mid": 1, "status": "duplicate", "original": first}
