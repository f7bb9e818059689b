"""Every collection GET answers a page at a time: `limit`, a keyset cursor, and the next page in `Link`.

Each list is seeded with more rows than a page of two holds, for one caller (the owner) and for someone
with a different scope (the outsider), through the same services and endpoints the app uses.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from backend.audit.service import record_audit
from backend.db import CLOCK
from backend.notify.service import notify
from backend.org.models import User
from backend.paging import MAX_LIMIT
from backend.rewards.models import Badge
from backend.visits.service import create_visit, submit
from tests.conftest import both_databases
from tests.kpi.helpers import actor, customer

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@dataclass
class Case:
    """A seeded list: its path, who reads it, and someone whose scope holds other rows (or not the record)."""

    path: str
    owner: Any
    outsider: Any


def next_link(response: Any) -> str | None:
    header = response.headers.get("link")
    if header is None:
        return None
    found = re.fullmatch(r'<([^>]+)>; rel="next"', header)
    assert found, header
    return found.group(1)


def walk(api: Any, first: str) -> list[list[dict[str, Any]]]:
    """Every page from `first` on, following `Link` rel=next until it is absent."""
    pages, address = [], first
    while address is not None:
        response = api.get(address)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        address = next_link(response)
        assert len(pages) < 50, "the links never end"
    return pages


def identity(row: dict[str, Any]) -> str:
    """A row's id, or the whole row for the histories, whose entries have none."""
    return str(row["id"]) if "id" in row else json.dumps(row, sort_keys=True)


def with_query(path: str, query: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{query}"


def everything(api: Any, path: str) -> list[dict[str, Any]]:
    """The whole list in one page (the seeds are far smaller than the maximum)."""
    response = api.get(with_query(path, f"limit={MAX_LIMIT}"))
    assert response.status_code == 200, response.text
    assert next_link(response) is None
    return list(response.json())


# --- seeds: one per list -------------------------------------------------------------------------------------


def _customers(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    lead1, lead2 = sign_in(org.email("lead1")), sign_in(org.email("lead2"))
    # Two namesakes: the id decides between them, so a page boundary may fall between equal names.
    for name in ("鑫达机电", "华东五金", "华东五金", "Acme", "Bolt"):
        assert (
            lead1.post("/api/v1/customers", json={"name": name, "owner_id": org.user("rep1")}).status_code == 201
        )
    for name in ("Crane", "华南贸易"):
        assert (
            lead2.post("/api/v1/customers", json={"name": name, "owner_id": org.user("rep3")}).status_code == 201
        )
    return Case("/api/v1/customers", lead1, lead2)


def _opportunity(rep: Any, customer_id: str, title: str) -> str:
    body = {"customer_id": customer_id, "title": title, "amount": "1000.00"}
    created = rep.post("/api/v1/opportunities", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _rep_customer(lead: Any, rep_id: str) -> str:
    return str(lead.post("/api/v1/customers", json={"name": "店", "owner_id": rep_id}).json()["id"])


def _opportunities(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    rep1, rep3 = sign_in(org.email("rep1")), sign_in(org.email("rep3"))
    shop1 = _rep_customer(sign_in(org.email("lead1")), org.user("rep1"))
    shop3 = _rep_customer(sign_in(org.email("lead2")), org.user("rep3"))
    for index in range(5):  # three in one instant: the id orders them
        _opportunity(rep1, shop1, f"deal {index}")
        if index % 2:
            clock.advance(minutes=1)
    for index in range(2):
        _opportunity(rep3, shop3, f"other {index}")
    return Case("/api/v1/opportunities", rep1, rep3)


def _goal(lead: Any, rep_id: str, metric: str, period: str) -> str:
    body = {"subject_type": "user", "subject_id": rep_id, "metric": metric, "period": period, "target": "10"}
    created = lead.post("/api/v1/goals", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _goals(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    lead1, lead2 = sign_in(org.email("lead1")), sign_in(org.email("lead2"))
    for rep in ("rep1", "rep2"):
        for metric, period in (("visits", "2026-11"), ("new_customers", "2026-11"), ("visits", "2026-12")):
            _goal(lead1, org.user(rep), metric, period)
    _goal(lead2, org.user("rep3"), "visits", "2026-11")
    return Case("/api/v1/goals", lead1, lead2)


def _goal_history(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    lead1 = sign_in(org.email("lead1"))
    goal_id = _goal(lead1, org.user("rep1"), "visits", "2026-11")
    for target in ("11", "12", "13", "14"):  # two changes in one instant: the creation still comes first
        assert lead1.patch(f"/api/v1/goals/{goal_id}", json={"target": target}).status_code == 200
        if target in ("12", "14"):
            clock.advance(minutes=1)
    return Case(f"/api/v1/goals/{goal_id}/history", lead1, sign_in(org.email("lead2")))


def _stage_history(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    rep1 = sign_in(org.email("rep1"))
    deal = _opportunity(rep1, _rep_customer(sign_in(org.email("lead1")), org.user("rep1")), "big one")
    for stage in ("qualified", "proposal", "negotiation", "won"):
        clock.advance(minutes=1)
        moved = rep1.post(
            f"/api/v1/opportunities/{deal}/advance", json={"stage": stage, "at": clock.now.isoformat()}
        )
        assert moved.status_code == 200, moved.text
    return Case(f"/api/v1/opportunities/{deal}/stages", rep1, sign_in(org.email("rep3")))


def _units(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    return Case("/api/v1/units", sign_in(org.email("admin")), sign_in(org.email("eastmgr")))


def _users(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    return Case("/api/v1/users", sign_in(org.email("boss")), sign_in(org.email("lead2")))


def _commission_plans(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    boss = sign_in(org.email("boss"))
    tiers = [{"up_to_attainment": None, "rate": "0.03"}]
    for name, unit in (("East A", "east"), ("East B", "east"), ("South", "south"), ("Team 3", "team3")):
        body = {"name": name, "unit_id": org.unit(unit), "mode": "marginal", "tiers": tiers}
        assert boss.post("/api/v1/commissions/plans", json=body).status_code == 201
    return Case("/api/v1/commissions/plans", boss, sign_in(org.email("rep4")))


def _reviews(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    lead1, lead2 = sign_in(org.email("lead1")), sign_in(org.email("lead2"))
    for rep in ("rep1", "rep2"):
        for period in ("2026-09", "2026-10"):
            opened = lead1.post("/api/v1/reviews", json={"rep_id": org.user(rep), "period": period})
            assert opened.status_code == 201, opened.text
    assert lead2.post("/api/v1/reviews", json={"rep_id": org.user("rep3"), "period": "2026-10"}).status_code == 201
    return Case("/api/v1/reviews", lead1, lead2)


def _improvement_plans(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    boss = sign_in(org.email("boss"))
    for rep in ("rep1", "rep2", "rep3", "rep4"):
        body = {
            "rep_id": org.user(rep),
            "goal": "回到 70% 以上",
            "starts_on": "2026-11-20",
            "ends_on": "2026-12-31",
            "exit_criteria": [{"metric": "visits", "period": "2026-11", "min_attainment": 0.7}],
        }
        opened = boss.post("/api/v1/plans", json=body)
        assert opened.status_code == 201, opened.text
    return Case("/api/v1/plans", boss, sign_in(org.email("lead2")))


def _audit(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    with Session(engine, info={CLOCK: clock}) as session:
        for index, who in enumerate(("lead1", "lead1", "rep1", "lead2", "rep4", "rep4")):
            record_audit(session, org.user(who), "visit.approve", "visit", str(uuid.uuid4()), {}, {"n": index})
            if index % 2:
                clock.advance(minutes=1)
        session.commit()
    return Case("/api/v1/audit", sign_in(org.email("boss")), sign_in(org.email("eastmgr")))


def _visits(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    with Session(engine) as session:
        for rep_key, days in (("rep1", (17, 18, 18)), ("rep2", (16, 19)), ("rep3", (18, 19))):
            rep = actor(session, org.user(rep_key))
            shop = customer(session, rep, NOW)
            for day in days:
                at = datetime(2026, 11, day, 2, 0, tzinfo=UTC)
                visit = create_visit(
                    session, rep, str(uuid.uuid4()), {"customer_id": shop, "check_in_at": at}, NOW
                )
                submit(session, rep, visit, NOW)
        session.commit()
    return Case("/api/v1/visits", sign_in(org.email("lead1")), sign_in(org.email("lead2")))


def _notifications(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    with Session(engine, info={CLOCK: clock}) as session:
        for index, who in enumerate(("rep1", "rep1", "rep1", "rep1", "rep1", "rep2", "rep2")):
            user = session.get(User, org.user(who))
            assert user is not None
            body = {"customer": "华东五金", "comment": "no photo"}
            assert notify(session, user, "visit_rejected", f"review:{index}", body, clock.now) is not None
            if index % 2:
                clock.advance(minutes=1)
        session.commit()
    return Case("/api/v1/notifications", sign_in(org.email("rep1")), sign_in(org.email("rep2")))


def _badges(org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    with Session(engine) as session:
        for index, who in enumerate(("rep1", "rep1", "rep1", "rep1", "rep1", "rep2")):
            session.add(Badge(rep_id=org.user(who), kind="full_month", key=f"2026-0{index + 1}", earned_at=NOW))
        session.commit()
    return Case("/api/v1/badges", sign_in(org.email("rep1")), sign_in(org.email("rep2")))


LISTS: dict[str, Callable[[Any, Any, Any, Any], Case]] = {
    "customers": _customers,
    "opportunities": _opportunities,
    "opportunity stages": _stage_history,
    "goals": _goals,
    "goal history": _goal_history,
    "units": _units,
    "users": _users,
    "commission plans": _commission_plans,
    "reviews": _reviews,
    "improvement plans": _improvement_plans,
    "audit": _audit,
    "visits": _visits,
    "notifications": _notifications,
    "badges": _badges,
}
# Every list (the histories of records that do not exist): a wrong `limit`, or a `cursor` that is not one at
# all, is refused before anything is looked up.
PATHS = [
    "/api/v1/customers",
    "/api/v1/opportunities",
    f"/api/v1/opportunities/{uuid.uuid4()}/stages",
    "/api/v1/goals",
    f"/api/v1/goals/{uuid.uuid4()}/history",
    "/api/v1/units",
    "/api/v1/users",
    "/api/v1/commissions/plans",
    "/api/v1/reviews",
    "/api/v1/plans",
    "/api/v1/audit",
    "/api/v1/visits",
    "/api/v1/notifications",
    "/api/v1/badges",
]


@pytest.fixture(params=list(LISTS))
def seeded(request: pytest.FixtureRequest, org: Any, engine: Any, sign_in: Any, clock: Any) -> Case:
    return LISTS[request.param](org, engine, sign_in, clock)


def test_a_page_of_two_holds_two_rows_and_links_to_the_next(seeded: Case) -> None:
    response = seeded.owner.get(with_query(seeded.path, "limit=2"))

    assert response.status_code == 200, response.text
    assert len(response.json()) == 2
    link = next_link(response)
    assert link is not None and link.startswith(seeded.path.split("?")[0] + "?")
    assert "limit=2" in link and "cursor=" in link


@both_databases  # the order of text and of instants is the database's: both must agree with their cursors
def test_following_the_links_yields_every_row_once_in_the_lists_order(seeded: Case) -> None:
    whole = everything(seeded.owner, seeded.path)
    pages = walk(seeded.owner, with_query(seeded.path, "limit=2"))

    assert len(whole) > 2
    assert [len(page) for page in pages[:-1]] == [2] * (len(pages) - 1)
    assert [row for page in pages for row in page] == whole
    assert len({identity(row) for row in whole}) == len(whole)


def test_a_cursor_reaches_only_the_callers_own_rows(seeded: Case) -> None:
    """Someone else's cursor is a position, not a grant: the outsider's own scope applies to the page."""
    link = next_link(seeded.owner.get(with_query(seeded.path, "limit=2")))
    assert link is not None
    answer = seeded.outsider.get(link)
    if answer.status_code == 404:  # the list of one record the outsider may not see
        return
    assert answer.status_code == 200, answer.text
    theirs = {identity(row) for row in everything(seeded.outsider, seeded.path)}
    mine_only = {identity(row) for row in everything(seeded.owner, seeded.path)} - theirs
    assert mine_only, "the seed gives the owner rows the outsider does not see"
    reached = {identity(row) for page in walk(seeded.outsider, link) for row in page}
    assert reached <= theirs
    assert not reached & mine_only


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("limit=0", "limit", "out_of_range"),
        ("limit=-1", "limit", "out_of_range"),
        ("limit=10001", "limit", "out_of_range"),
        ("limit=abc", "limit", "wrong_type"),
        ("limit=1.5", "limit", "wrong_type"),
        ("limit=2%1C", "limit", "wrong_type"),  # a control character str.strip() would have dropped
        ("cursor=not*a*cursor", "cursor", "invalid_cursor"),
        ("cursor=bm90IGpzb24", "cursor", "invalid_cursor"),  # base64url of "not json"
    ],
)
def test_a_wrong_limit_or_cursor_is_refused_naming_it(
    org: Any, sign_in: Any, query: str, field: str, code: str
) -> None:
    boss = sign_in(org.email("boss"))
    for path in PATHS:
        response = boss.get(with_query(path, query))
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)], path


def test_a_cursor_of_one_list_is_refused_by_another(org: Any, sign_in: Any) -> None:
    boss = sign_in(org.email("boss"))
    link = next_link(boss.get("/api/v1/users?limit=2"))
    assert link is not None
    cursor = link.split("cursor=")[1]

    other_list = boss.get(f"/api/v1/units?cursor={cursor}")
    short = boss.get("/api/v1/users?cursor=WyJ1c2VycyIsIngiXQ")  # ["users","x"]: the name but not the id

    for response in (other_list, short):
        assert response.status_code == 422
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("cursor", "invalid_cursor")]


def test_rows_added_before_the_cursor_neither_repeat_nor_shift_the_next_page(org: Any, sign_in: Any) -> None:
    lead = sign_in(org.email("lead1"))
    for name in ("B", "C", "D", "E"):
        lead.post("/api/v1/customers", json={"name": name, "owner_id": org.user("rep1")})
    first = lead.get("/api/v1/customers?limit=2")
    lead.post("/api/v1/customers", json={"name": "A", "owner_id": org.user("rep1")})  # sorts before the page

    rest = walk(lead, str(next_link(first)))

    assert [c["name"] for c in first.json()] == ["B", "C"]
    assert [c["name"] for page in rest for c in page] == ["D", "E"]


def test_filters_travel_in_the_link(org: Any, sign_in: Any) -> None:
    lead = sign_in(org.email("lead1"))
    for rep in ("rep1", "rep2"):
        for metric, period in (("visits", "2026-11"), ("new_customers", "2026-11"), ("visits", "2026-12")):
            _goal(lead, org.user(rep), metric, period)

    pages = walk(lead, "/api/v1/goals?period=2026-11&limit=1")

    assert len(pages) == 4
    assert {g["period"] for page in pages for g in page} == {"2026-11"}


def test_a_list_within_one_page_answers_as_before_without_a_link(org: Any, sign_in: Any) -> None:
    response = sign_in(org.email("boss")).get("/api/v1/users")

    assert response.status_code == 200
    assert "link" not in response.headers
    assert [u["name"] for u in response.json()] == sorted(u.name for u in org.users.values())
