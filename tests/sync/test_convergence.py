"""Several phones working offline and syncing in any order, with lost responses and partial pages, end up
exactly where a fresh full pull would put them, and the server settles every (client, mid) exactly once
(SYNC.md rules 1–5, 7, 8).

A Hypothesis state machine drives five phones: two installs of rep1 (same user, different client_ids), rep2
(same team), rep3 (another team) and lead1. Steps queue offline mutations (creates, edits made on the
replica's version or an older one, deletes of drafts, submit / approve / reject / advance / amendment
decisions / notification reads, and attempts on records outside the phone's scope) and sync a phone: fully,
one page at a time with a tiny `limit`, or with the response lost on the way back (the server settled the
batch; the phone resends the same mids later). At the end every phone drains its queue and pulls until
`has_more` is false; then each replica must equal a fresh full pull for the same user, and the receipts
(on the wire and in `sync_receipt`) prove that each mid was settled once.

The engine, app and HTTP client are built once per test (function-scoped fixtures, outside Hypothesis);
each example empties every table and builds the org afresh, so examples never see each other's rows.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from backend.customers.models import Customer
from backend.models import metadata
from backend.opportunities.models import STAGES, Opportunity
from backend.sync.changelog import ensure_state
from backend.sync.models import SyncReceipt
from backend.visits.models import OUTCOMES, VISIT_STATUSES, Visit
from tests.conftest import Api, Clock, both_databases
from tests.factories import Org, build_org
from tests.sync.helpers import Phone, assert_bodies_current

SETTLED = {"applied", "merged", "conflict", "rejected"}
CST = timezone(timedelta(hours=8))
# Field work happened the day before the test clock's start, in China, from 8 in the morning.
WORK_DAY = (Clock.START.astimezone(CST) - timedelta(days=1)).replace(hour=8, minute=0)
MODELS = {"customer": Customer, "visit": Visit, "opportunity": Opportunity}
PHONES = ("rep1a", "rep1b", "rep2", "rep3", "lead1")
USER_OF = {"rep1a": "rep1", "rep1b": "rep1", "rep2": "rep2", "rep3": "rep3", "lead1": "lead1"}
REPS = ("rep1a", "rep1b", "rep2", "rep3")
# Whose work each user may see (policy.py): a rep their own, lead1 team1's.
SEES = {"rep1": {"rep1"}, "rep2": {"rep2"}, "rep3": {"rep3"}, "lead1": {"lead1", "rep1", "rep2"}}


@dataclass
class Env:
    engine: Engine
    sign_in: Callable[[str], Api]
    clock: Clock
    start: datetime


def reset_database(engine: Engine) -> Org:
    """Every table emptied and the org built again: one example never sees another's rows."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    with Session(engine, expire_on_commit=False) as session:
        ensure_state(session)
        org = build_org(session)
        session.commit()
    return org


# --- values a phone writes --------------------------------------------------------------------------------

texts = st.text(alphabet=st.sampled_from("华东五金鑫达机电 abcXYZ-0123"), min_size=1, max_size=12)
names = texts.filter(lambda s: s.strip() != "")
minutes = st.integers(min_value=0, max_value=12 * 60)
moments = minutes.map(lambda m: (WORK_DAY + timedelta(minutes=m)).isoformat())
# Mostly valid, now and then refused by a rule (rejections must not block the queue).
satisfactions = st.one_of(st.integers(1, 5), st.none(), st.sampled_from([0, 6]))
amounts = st.integers(0, 10**8).map(lambda cents: f"{cents // 100}.{cents % 100:02d}")
coordinates = st.tuples(st.floats(30, 32), st.floats(120, 122))

customer_edits = st.fixed_dictionaries(
    {},
    optional={
        "name": names,
        "phone": st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
        "address": texts,
        "contact": texts,
        "lat": st.floats(30, 32),
    },
).filter(bool)
visit_edits = st.fixed_dictionaries(
    {},
    optional={
        "notes": texts,
        "satisfaction": satisfactions,
        "outcome": st.sampled_from(OUTCOMES),
        "purpose": texts,
        "lat": st.floats(30, 32),
        "check_out_at": moments,
    },
).filter(bool)
opportunity_edits = st.fixed_dictionaries(
    {}, optional={"title": texts, "amount": amounts, "expected_close_on": st.just("2027-06-30")}
).filter(bool)
EDITS = {"customer": customer_edits, "visit": visit_edits, "opportunity": opportunity_edits}


@dataclass
class Device:
    """A Phone plus what the test knows about its traffic (the Phone itself only sees what it applied)."""

    name: str
    user: str
    phone: Phone
    # Records created offline and not yet settled: the phone shows them and may edit them (version 1).
    pending: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # Every result for each mid in every response that reached the wire, lost ones included.
    wire: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    issued: dict[int, dict[str, Any]] = field(default_factory=dict)
    # mid -> the error code the server must answer (mutations on records the user may not see).
    must_reject: dict[int, str] = field(default_factory=dict)

    def queue(self, entity: str, op: str, record_id: str, **rest: Any) -> dict[str, Any]:
        mutation = self.phone.queue_mutation(entity, op, record_id, **rest)
        self.issued[mutation["mid"]] = mutation
        return mutation

    def post(self, limit: int | None) -> dict[str, Any]:
        response = self.phone.api.post("/api/v1/sync", json=self.phone.envelope(limit))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        for result in body["results"]:
            assert result["status"] != "gap", (self.name, result)
            self.wire[result["mid"]].append(result)
        return body

    def send(self, limit: int | None = None) -> dict[str, Any]:
        body = self.post(limit)
        self.phone.apply(body)
        settled = {(m["entity"], m["id"]) for m in self.issued.values() if m["mid"] <= body["last_mid"]}
        for key in settled & self.pending.keys():
            del self.pending[key]
        return body

    def drain(self, limit: int | None = None) -> None:
        body = self.send(limit)
        rounds = 1
        while body["has_more"] or self.phone.queue:
            body = self.send(limit)
            rounds += 1
            assert rounds < 500, f"{self.name} never caught up"

    def records(self, entity: str) -> dict[str, tuple[dict[str, Any], int]]:
        """What the phone shows of an entity: its replica, and its own creates not yet settled."""
        shown = {rid: (data, self.phone.versions[(entity, rid)]) for rid, data in self.phone.of(entity).items()}
        for (kind, rid), data in self.pending.items():
            if kind == entity and rid not in shown:
                shown[rid] = (data, 1)
        return shown


def step(method: Callable[..., None]) -> Callable[..., None]:
    """Marks the machine broken while a step runs, so teardown's final checks don't mask the step's error."""

    @functools.wraps(method)
    def wrapper(self: Convergence, *args: Any, **kwargs: Any) -> None:
        self.healthy = False
        method(self, *args, **kwargs)
        self.healthy = True

    return wrapper


def can(names: tuple[str, ...], entity: str, **where: set[Any]) -> Callable[[Any], Any]:
    """Run the rule only when one of these phones shows such a record."""
    return precondition(lambda self: bool(self._candidates(names, entity, **where)))


class Convergence(RuleBasedStateMachine):
    env: ClassVar[Env]

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        env.clock.now = env.start
        self.org = reset_database(env.engine)
        self.devices = {
            name: Device(name, USER_OF[name], Phone(env.sign_in(self.org.email(USER_OF[name])))) for name in PHONES
        }
        self.healthy = True
        self.made = 0

    def _new_id(self) -> str:
        """Ids the phones make, the same in every replay of an example (Hypothesis replays to shrink)."""
        self.made += 1
        return str(uuid.UUID(int=self.made, version=4))

    # --- helpers ------------------------------------------------------------------------------------------

    def _candidates(self, names: tuple[str, ...], entity: str, **where: set[Any]) -> list[tuple[str, str]]:
        """(phone, record id) pairs of what those phones show of an entity, where each field is in its set."""
        return [
            (name, rid)
            for name in names
            # In the order the phone learnt of them: the draws must not depend on the ids the server makes.
            for rid, (record, _) in self.devices[name].records(entity).items()
            if all(record.get(k) in allowed for k, allowed in where.items())
        ]

    def _choose(
        self, data: st.DataObject, names: tuple[str, ...], entity: str, **where: set[Any]
    ) -> tuple[Device, str, dict[str, Any], int]:
        name, rid = data.draw(st.sampled_from(self._candidates(names, entity, **where)), label=entity)
        device = self.devices[name]
        record, version = device.records(entity)[rid]
        return device, rid, record, version

    @staticmethod
    def _base_version(data: st.DataObject, version: int) -> int:
        """The replica's version, or (a phone that edited an old copy) any older one."""
        return data.draw(st.one_of(st.just(version), st.integers(1, version)), label="base_version")

    @initialize(data=st.data())
    @step
    def first_day(self, data: st.DataObject) -> None:
        """Each rep logs a customer and a visit (submitted or not) and everyone syncs: work for the lead."""
        for name in REPS:
            self.create_customer(name, data)
            self.create_visit(data, name)
            if data.draw(st.booleans(), label="submit it"):
                self.submit(data, name)
        for device in self.devices.values():
            device.drain()

    # --- offline work -------------------------------------------------------------------------------------

    @rule(name=st.sampled_from(REPS), data=st.data())
    @step
    def create_customer(self, name: str, data: st.DataObject) -> None:
        device = self.devices[name]
        fields = {"name": data.draw(names, label="name")}
        if data.draw(st.booleans(), label="with coordinates"):
            fields["lat"], fields["lon"] = data.draw(coordinates, label="lat, lon")
        rid = self._new_id()
        device.queue("customer", "create", rid, fields=fields)
        device.pending[("customer", rid)] = {**fields, "owner_id": self.org.user(device.user)}

    @can(REPS, "customer")
    @rule(data=st.data())
    @step
    def create_visit(self, data: st.DataObject, only: str | None = None) -> None:
        device, customer_id, _, _ = self._choose(data, (only,) if only else REPS, "customer")
        fields: dict[str, Any] = {
            "customer_id": customer_id,
            "check_in_at": data.draw(moments, label="check_in_at"),
            "outcome": data.draw(st.sampled_from(OUTCOMES), label="outcome"),
            "satisfaction": data.draw(satisfactions, label="satisfaction"),
            "notes": data.draw(texts, label="notes"),
        }
        if data.draw(st.booleans(), label="with coordinates"):
            fields["lat"], fields["lon"] = data.draw(coordinates, label="lat, lon")
        rid = self._new_id()
        device.queue("visit", "create", rid, fields=fields)
        device.pending[("visit", rid)] = {**fields, "status": "draft", "rep_id": self.org.user(device.user)}

    @can(REPS, "customer")
    @rule(data=st.data())
    @step
    def create_opportunity(self, data: st.DataObject) -> None:
        device, customer_id, _, _ = self._choose(data, REPS, "customer")
        fields = {"customer_id": customer_id, "title": data.draw(texts, label="title")}
        if data.draw(st.booleans(), label="with amount"):
            fields["amount"] = data.draw(amounts, label="amount")
        rid = self._new_id()
        device.queue("opportunity", "create", rid, fields=fields)
        device.pending[("opportunity", rid)] = {**fields, "stage": "lead", "owner_id": self.org.user(device.user)}

    @can(PHONES, "customer")
    @rule(entity=st.sampled_from(("customer", "visit", "visit", "opportunity")), data=st.data())
    @step
    def edit(self, entity: str, data: st.DataObject) -> None:
        if not self._candidates(PHONES, entity):
            entity = "customer"
        device, rid, record, version = self._choose(data, PHONES, entity)
        fields = data.draw(EDITS[entity], label="fields")
        mutation: dict[str, Any] = {"fields": fields, "base_version": self._base_version(data, version)}
        if data.draw(st.booleans(), label="with base"):
            mutation["base"] = {k: record.get(k) for k in fields}
        device.queue(entity, "update", rid, **mutation)

    @can(REPS, "visit", status={"draft"})
    @rule(data=st.data())
    @step
    def delete_draft_visit(self, data: st.DataObject) -> None:
        device, rid, _, version = self._choose(data, REPS, "visit", status={"draft"})
        device.queue("visit", "delete", rid, base_version=self._base_version(data, version))

    @can(REPS, "customer")
    @rule(data=st.data())
    @step
    def delete_customer(self, data: st.DataObject) -> None:
        device, rid, _, version = self._choose(data, REPS, "customer")
        device.queue("customer", "delete", rid, base_version=self._base_version(data, version))

    @can(REPS, "visit")
    @rule(data=st.data())
    @step
    def submit(self, data: st.DataObject, only: str | None = None) -> None:
        device, rid, _, version = self._choose(data, (only,) if only else REPS, "visit")
        device.queue("visit", "action", rid, name="submit", base_version=version)

    @can(("lead1",), "visit")
    @rule(approve=st.booleans(), data=st.data())
    @step
    def review(self, approve: bool, data: st.DataObject) -> None:
        # Mostly what the lead's replica shows as waiting; now and then any visit (answered invalid_state).
        waiting = {"submitted"}
        if not self._candidates(("lead1",), "visit", status=waiting) or not data.draw(st.integers(0, 3)):
            waiting = set(VISIT_STATUSES)
        lead, rid, _, version = self._choose(data, ("lead1",), "visit", status=waiting)
        args = {"comment": data.draw(texts, label="comment")} if not approve or data.draw(st.booleans()) else {}
        base = self._base_version(data, version)
        lead.queue("visit", "action", rid, name="approve" if approve else "reject", base_version=base, args=args)

    @can(PHONES, "opportunity")
    @rule(data=st.data())
    @step
    def advance(self, data: st.DataObject) -> None:
        device, rid, _, version = self._choose(data, PHONES, "opportunity")
        args = {"stage": data.draw(st.sampled_from(STAGES), label="stage"), "at": data.draw(moments, label="at")}
        if args["stage"] in ("won", "lost"):
            args["reason"] = data.draw(st.sampled_from(("价格", "relationship")), label="reason")
        device.queue("opportunity", "action", rid, name="advance", base_version=version, args=args)

    @can(("lead1",), "amendment", status={"pending"})
    @rule(accept=st.booleans(), data=st.data())
    @step
    def decide_amendment(self, accept: bool, data: st.DataObject) -> None:
        lead, rid, _, _ = self._choose(data, ("lead1",), "amendment", status={"pending"})
        lead.queue("amendment", "action", rid, name="accept" if accept else "refuse")

    @can(PHONES, "notification", read_at={None})
    @rule(data=st.data())
    @step
    def read_notification(self, data: st.DataObject) -> None:
        device, rid, _, _ = self._choose(data, PHONES, "notification", read_at={None})
        device.queue("notification", "action", rid, name="read")

    def _foreign(self, name: str, entity: str) -> dict[str, int]:
        """Records some phone shows that `name`'s user may not see: id -> version."""
        owner_key = "rep_id" if entity == "visit" else "owner_id"
        visible = {self.org.user(u) for u in SEES[self.devices[name].user]}
        return {
            rid: version
            for other in self.devices.values()
            for rid, (record, version) in other.records(entity).items()
            if record.get(owner_key) not in visible
        }

    @precondition(lambda self: any(self._foreign(name, "customer") for name in PHONES))
    @rule(entity=st.sampled_from(("customer", "visit", "opportunity")), data=st.data())
    @step
    def trespass(self, entity: str, data: st.DataObject) -> None:
        """An update or delete of a record the user may not see: `not_found`, as for an id that never was."""
        name = data.draw(st.sampled_from([n for n in PHONES if self._foreign(n, "customer")]), label="phone")
        if not self._foreign(name, entity):
            entity = "customer"
        foreign = self._foreign(name, entity)
        device = self.devices[name]
        rid = data.draw(st.sampled_from(list(foreign)), label=f"foreign {entity}")
        if entity == "opportunity" or data.draw(st.booleans(), label="update"):
            fields = data.draw(EDITS[entity], label="fields")
            mutation = device.queue(entity, "update", rid, base_version=foreign[rid], fields=fields)
        else:
            mutation = device.queue(entity, "delete", rid, base_version=foreign[rid])
        device.must_reject[mutation["mid"]] = "not_found"

    @rule(minutes=st.integers(1, 120))
    @step
    def time_passes(self, minutes: int) -> None:
        self.env.clock.advance(minutes=minutes)

    # --- syncing ------------------------------------------------------------------------------------------

    @rule(name=st.sampled_from(PHONES), limit=st.sampled_from([None, 1, 2, 3, 7]))
    @step
    def sync(self, name: str, limit: int | None) -> None:
        self.devices[name].drain(limit)

    @rule(name=st.sampled_from(PHONES), limit=st.sampled_from([1, 2, 5]))
    @step
    def sync_one_page(self, name: str, limit: int) -> None:
        """One page and no more: the phone goes offline with `has_more` still true."""
        self.devices[name].send(limit)

    @rule(name=st.sampled_from(PHONES), limit=st.sampled_from([None, 2]))
    @step
    def sync_response_lost(self, name: str, limit: int | None) -> None:
        """The server settles the batch, but the response never reaches the phone: it resends later."""
        self.devices[name].post(limit)

    # --- the end ------------------------------------------------------------------------------------------

    def teardown(self) -> None:
        if not self.healthy:
            return  # a step failed: let its error be the one reported
        for _ in range(2):  # the second round pulls what the others pushed after a phone's first round
            for device in self.devices.values():
                device.drain()
        for device in self.devices.values():
            self._check_replica(device)
            self._check_receipts(device)
        self._check_exactly_once()
        assert_bodies_current(self.env.engine)

    def _check_replica(self, device: Device) -> None:
        assert not device.phone.queue and not device.pending
        fresh = Phone(device.phone.api)
        seen: Counter[tuple[str, str]] = Counter()
        body = fresh.send()
        seen.update((c["entity"], c["id"]) for c in body["changes"])
        while body["has_more"]:
            body = fresh.send()
            seen.update((c["entity"], c["id"]) for c in body["changes"])
        twice = [key for key, n in seen.items() if n > 1]
        assert not twice, f"a full pull sent these records twice: {twice}"
        mine, theirs = device.phone.replica, fresh.replica
        assert sorted(mine.keys() - theirs.keys()) == [], f"{device.name} keeps records a full pull lacks"
        assert sorted(theirs.keys() - mine.keys()) == [], f"{device.name} lacks records of a full pull"
        stale = {key: (mine[key], theirs[key]) for key in mine if mine[key] != theirs[key]}
        assert not stale, f"{device.name}'s replica differs from a full pull: {stale}"
        assert device.phone.versions == fresh.versions

    def _check_receipts(self, device: Device) -> None:
        with Session(self.env.engine) as session:
            stored = {
                r.mid: r.result
                for r in session.scalars(
                    select(SyncReceipt).where(SyncReceipt.client_id == device.phone.client_id)
                )
            }
        issued = sorted(device.issued)
        assert issued == list(range(1, device.phone.next_mid))
        assert sorted(stored) == issued, f"{device.name}: receipts {sorted(stored)} for mids {issued}"
        for mid in issued:
            first, *retries = device.wire[mid]
            assert first["status"] in SETTLED, (device.name, first)
            assert first["mid"] == mid and first["id"] == device.issued[mid]["id"]
            assert stored[mid] == first, (device.name, mid)
            for retry in retries:
                assert retry == {"mid": mid, "status": "duplicate", "original": first}, (device.name, retry)
            if first["status"] == "rejected":
                assert first["errors"], first
                assert all({"field", "code", "message"} <= e.keys() for e in first["errors"]), first
            event(f"receipt {first['status']}" + (f" {first['errors'][0]['code']}" if "errors" in first else ""))
            event(f"receipt {first['status']} with {[c['rule'] for c in first.get('conflicts', [])]}")
            if retries:
                event("a mid answered again as duplicate")
            if mid in device.must_reject:
                assert first["status"] == "rejected", (device.name, device.issued[mid], first)
                assert first["errors"][0]["code"] == device.must_reject[mid], (device.name, first)

    def _check_exactly_once(self) -> None:
        created: dict[str, set[str]] = defaultdict(set)
        refused: dict[str, set[str]] = defaultdict(set)
        for device in self.devices.values():
            for mid, mutation in device.issued.items():
                if mutation["op"] != "create":
                    continue
                status = device.wire[mid][0]["status"]
                (created if status == "applied" else refused)[mutation["entity"]].add(mutation["id"])
        with Session(self.env.engine) as session:
            for entity, model in MODELS.items():
                ids = list(session.scalars(select(model.id)))
                assert len(ids) == len(set(ids))
                assert set(ids) == created[entity], f"{entity}: rows differ from the applied creates"
                assert not set(ids) & refused[entity]
                total = session.scalar(select(func.count()).select_from(model))
                assert total == len(created[entity])


@both_databases
def test_phones_converge_to_a_full_pull(engine: Engine, sign_in: Callable[[str], Api], clock: Clock) -> None:
    machine = type("BoundConvergence", (Convergence,), {"env": Env(engine, sign_in, clock, clock.now)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=20,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
