"""A customer's pinyin initials (from sync, HTTP and the migration's backfill) and its position taken from an
approved check-in, which a lead or manager over its owner confirms."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from backend.audit.models import AuditEntry
from backend.customers.models import Customer
from backend.customers.pinyin import initials
from backend.db import make_engine
from tests.sync.helpers import Phone, checked_database, phones
from tests.test_migrations import _OLD_ROWS, _run

CST = timezone(timedelta(hours=8))
SHANGHAI = (31.2304, 121.4737)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from checked_database(request.param, tmp_path)


@pytest.fixture
def phone(sign_in: Any) -> Callable[[str], Phone]:
    return phones(sign_in)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("上海华联超市", "shhlcs"),
        ("ABC 五金", "abcwj"),
        ("重庆银行 2 号店", "cqyh2hd"),
        ("ＡＢＣ", "abc"),
        ("（）", None),
    ],
)
def test_initials_are_the_first_letters_with_latin_letters_and_digits_kept(name: str, expected: str | None):
    assert initials(name) == expected


def test_initials_follow_the_name_through_sync(org, phone):
    rep = phone("rep1")
    customer_id = str(uuid.uuid4())
    rep.queue_mutation("customer", "create", customer_id, fields={"name": "上海华联超市"})
    rep.sync()
    assert rep.of("customer")[customer_id]["initials"] == "shhlcs"
    rep.queue_mutation("customer", "update", customer_id, base_version=1, fields={"name": "ABC 五金"})
    rep.sync()
    assert rep.of("customer")[customer_id]["initials"] == "abcwj"
    # Sent by the phone, they are refused like every server-set field.
    rep.queue_mutation("customer", "update", customer_id, base_version=2, fields={"initials": "x"})
    assert rep.send()["results"][0]["errors"][0]["code"] == "not_writable"


def test_initials_follow_the_name_over_http(org, sign_in, phone):
    lead = sign_in("lead1@example.com")
    created = lead.post("/api/v1/customers", json={"name": "华东五金", "owner_id": org.user("rep1")})
    assert created.json()["initials"] == "hdwj"
    changed = lead.patch(f"/api/v1/customers/{created.json()['id']}", json={"name": "上海华联超市"})
    assert changed.json()["initials"] == "shhlcs"
    rep = phone("rep1")
    rep.sync()
    assert rep.of("customer")[created.json()["id"]]["initials"] == "shhlcs"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_migration_gives_existing_customers_initials_and_a_new_version(kind: str, tmp_path: Path, request):
    engine = (
        make_engine(f"sqlite:///{tmp_path / 'm.db'}") if kind == "sqlite" else request.getfixturevalue("pg_engine")
    )
    _run(engine, ("upgrade", "0010"))
    with engine.begin() as connection:
        for table, values in _OLD_ROWS[:3]:
            if table == "customer":
                values = values | {"name": "上海华联超市"}
            names = ", ".join(values)
            connection.execute(
                text(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(":" + n for n in values)})'), values
            )
        connection.execute(
            text(
                "INSERT INTO change_log (entity, record_id, seq, version, deleted, owner_id, changed_at, body) "
                "VALUES ('customer', 'c1', 1, 1, false, 'p1', :at, '{}')"
            ),
            {"at": _OLD_ROWS[0][1]["updated_at"]},
        )
        connection.execute(text("UPDATE sync_state SET last_seq = 1"))
    _run(engine, ("upgrade", "0011"))
    with engine.connect() as connection:
        customer = connection.execute(text("SELECT initials, version FROM customer WHERE id = 'c1'")).one()
        logged = connection.execute(text("SELECT seq, version, body FROM change_log WHERE record_id = 'c1'")).one()
        last = connection.execute(text("SELECT last_seq FROM sync_state")).scalar_one()
    assert tuple(customer) == ("shhlcs", 2)
    # Phones that hold it pull it again: a new position, its body rendered afresh at the pull.
    assert (tuple(logged), last) == ((2, 2, None), 2)
    if kind == "sqlite":
        engine.dispose()


# --- position from an approved check-in ---------------------------------------------------------------------


def _unplaced_customer_with_visits(phone: Any, clock: Any) -> tuple[Phone, Phone, dict[str, str]]:
    """rep1's customer without coordinates: an approved check-in there, a submitted one, one without a
    position (approved), and an approved check-in at another customer."""
    rep, lead = phone("rep1"), phone("lead1")
    day = (clock.now - timedelta(days=1)).astimezone(CST).replace(hour=9, minute=0, second=0, microsecond=0)
    ids = {"customer": str(uuid.uuid4()), "other": str(uuid.uuid4())}
    rep.queue_mutation("customer", "create", ids["customer"], fields={"name": "华联超市"})
    rep.queue_mutation("customer", "create", ids["other"], fields={"name": "五金店", "lat": 31.0, "lon": 121.0})
    far_spot = (SHANGHAI[0] + 0.01, SHANGHAI[1])  # about 1.1 km north
    for key, customer, hours, place in (
        ("approved", ids["customer"], 0, SHANGHAI),
        ("submitted", ids["customer"], 2, SHANGHAI),
        ("unplaced", ids["customer"], 4, None),
        ("far", ids["customer"], 6, far_spot),
        ("elsewhere", ids["other"], 8, (31.0, 121.0)),
    ):
        ids[key] = str(uuid.uuid4())
        position = {} if place is None else {"lat": place[0], "lon": place[1], "accuracy_m": 10}
        fields = {"customer_id": customer, "check_in_at": (day + timedelta(hours=hours)).isoformat()} | position
        rep.queue_mutation("visit", "create", ids[key], fields=fields)
        rep.queue_mutation("visit", "action", ids[key], name="submit", args={})
    rep.sync()
    lead.sync()
    for key in ("approved", "unplaced", "far", "elsewhere"):
        base = lead.versions[("visit", ids[key])]
        lead.queue_mutation("visit", "action", ids[key], name="approve", base_version=base)
    lead.sync()
    return rep, lead, ids


def test_a_lead_gives_a_customer_the_position_of_an_approved_check_in(org, phone, sign_in, clock, engine):
    rep, _, ids = _unplaced_customer_with_visits(phone, clock)
    assert rep.of("visit")[ids["far"]]["distance_m"] is None
    lead = sign_in("lead1@example.com")
    answer = lead.post(f"/api/v1/customers/{ids['customer']}/position", json={"visit_id": ids["approved"]})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["lat"], answer.json()["lon"]) == SHANGHAI
    rep.sync()
    # The customer's visits are measured from it now, and the one 1.1 km away is far; statuses stay.
    assert rep.of("visit")[ids["far"]]["distance_m"] == pytest.approx(1112, abs=2)
    assert rep.of("visit")[ids["far"]]["flags"] == ["far"]
    assert rep.of("visit")[ids["far"]]["status"] == "approved"
    assert rep.of("visit")[ids["approved"]]["distance_m"] == 0
    assert rep.of("customer")[ids["customer"]]["lat"] == SHANGHAI[0]
    with Session(engine) as session:
        trail = session.scalars(select(AuditEntry).where(AuditEntry.action == "customer.position")).one()
    assert (trail.actor_id, trail.record_id, trail.after) == (
        org.user("lead1"),
        ids["customer"],
        {"lat": SHANGHAI[0], "lon": SHANGHAI[1], "visit_id": ids["approved"]},
    )
    # Once placed, it is not moved by another check-in.
    again = lead.post(f"/api/v1/customers/{ids['customer']}/position", json={"visit_id": ids["far"]})
    assert (again.status_code, again.json()["errors"][0]["code"]) == (422, "customer_has_position")


def test_only_an_approved_positioned_check_in_at_that_customer_gives_a_position(org, phone, sign_in, clock):
    _, _, ids = _unplaced_customer_with_visits(phone, clock)
    lead = sign_in("lead1@example.com")
    path = f"/api/v1/customers/{ids['customer']}/position"
    refusals = {}
    for key in ("submitted", "unplaced", "elsewhere"):
        answer = lead.post(path, json={"visit_id": ids[key]})
        assert answer.status_code == 422
        refusals[key] = [(e["field"], e["code"]) for e in answer.json()["errors"]]
    assert refusals == {
        "submitted": [("visit_id", "visit_not_approved")],
        "unplaced": [("visit_id", "visit_without_position")],
        "elsewhere": [("visit_id", "visit_of_other_customer")],
    }
    missing = lead.post(path, json={"visit_id": str(uuid.uuid4())})
    assert [(e["field"], e["code"]) for e in missing.json()["errors"]] == [("visit_id", "not_found")]
    assert lead.post(path, json={}).json()["errors"][0]["code"] == "required"


def test_the_position_is_for_leads_and_managers_over_the_owner_only(org, phone, sign_in, clock):
    _, _, ids = _unplaced_customer_with_visits(phone, clock)
    path = f"/api/v1/customers/{ids['customer']}/position"
    body = {"visit_id": ids["approved"]}
    # Another team's lead does not see the customer at all; its rep may not confirm it.
    assert sign_in("lead2@example.com").post(path, json=body).status_code == 404
    assert sign_in("rep1@example.com").post(path, json=body).status_code == 403
    assert (
        sign_in("lead2@example.com").post(f"/api/v1/customers/{uuid.uuid4()}/position", json=body).status_code
        == 404
    )
    # The region's manager, above the team, may.
    answer = sign_in("eastmgr@example.com").post(path, json=body)
    assert (answer.status_code, answer.json()["lat"]) == (200, SHANGHAI[0])


def test_a_leads_radius_for_a_customer_rejudges_its_visits(org, phone, sign_in, clock, engine):
    rep, _, ids = _unplaced_customer_with_visits(phone, clock)
    lead = sign_in("lead1@example.com")
    assert (
        lead.post(f"/api/v1/customers/{ids['customer']}/position", json={"visit_id": ids["approved"]}).status_code
        == 200
    )
    rep.sync()
    assert rep.of("visit")[ids["far"]]["flags"] == ["far"]
    assert lead.patch(f"/api/v1/customers/{ids['customer']}", json={"radius_m": 1500}).status_code == 200
    rep.sync()
    assert rep.of("visit")[ids["far"]]["flags"] is None
    with Session(engine) as session:
        assert session.get_one(Customer, ids["customer"]).radius_m == 1500


def test_a_rep_placing_their_customer_through_sync_rejudges_its_visits(org, phone, clock):
    rep = phone("rep1")
    customer_id, visit_id = str(uuid.uuid4()), str(uuid.uuid4())
    day = (clock.now - timedelta(days=1)).astimezone(CST).replace(hour=9, minute=0, second=0, microsecond=0)
    rep.queue_mutation("customer", "create", customer_id, fields={"name": "华联超市"})
    fields = {"customer_id": customer_id, "check_in_at": day.isoformat(), "lat": SHANGHAI[0] + 0.01}
    rep.queue_mutation("visit", "create", visit_id, fields=fields | {"lon": SHANGHAI[1], "accuracy_m": 10})
    rep.sync()
    assert (rep.of("visit")[visit_id]["distance_m"], rep.of("visit")[visit_id]["flags"]) == (None, None)
    rep.queue_mutation(
        "customer", "update", customer_id, base_version=1, fields={"lat": SHANGHAI[0], "lon": SHANGHAI[1]}
    )
    rep.sync()
    assert rep.of("visit")[visit_id]["distance_m"] == pytest.approx(1112, abs=2)
    assert rep.of("visit")[visit_id]["flags"] == ["far"]
